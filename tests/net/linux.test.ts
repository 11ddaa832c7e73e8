// Proof against the real Linux network stack: a network namespace whose TAP device socat bridges to the
// card's UDP wire (one Ethernet frame per datagram), so Linux's own ping, ARP and UDP talk to wasm-lkm's
// eth0 and back. Needs root, /dev/net/tun, ip, socat and ping (Debian's iproute2, socat, iputils-ping,
// which .ci/run installs); without them it is skipped by name.

import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kernel } from "../../host/init/main.js";
import { MSG_DONTWAIT } from "../../host/net/socket.js";
import { call, netHost, sendto, sockaddrIn, udpSocket, unplug, type Run } from "./net_helpers.js";

function have(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const ROOT_USER = process.getuid?.() === 0;
const READY = ROOT_USER && existsSync("/dev/net/tun") && ["ip", "socat", "ping"].every(have);
const WHY = "needs root, /dev/net/tun, ip, socat and iputils-ping";

const id = process.pid % 10000;
const NS = `wlkm${id}`;
const TAP = `wlkmtap${id}`;
const port = 40000 + (process.pid % 2000) * 10;
let socat: ChildProcess | null = null;
let host: { k: Kernel; run: Run } | null = null;

/** A command in the namespace, asynchronously: the kernel in this process must keep serving the wire meanwhile. */
function inNs(args: readonly string[], input?: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile("ip", ["netns", "exec", NS, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      done({ status: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!READY)(`against Linux in a network namespace (${WHY})`, () => {
  beforeAll(async () => {
    execFileSync("ip", ["netns", "add", NS]);
    socat = spawn("socat", [`UDP-DATAGRAM:127.0.0.1:${port},bind=127.0.0.1:${port + 1}`, `TUN,tun-type=tap,tun-name=${TAP},iff-no-pi,iff-up`], { stdio: "ignore" });
    for (let i = 0; i < 100 && !existsSync(`/sys/class/net/${TAP}`); i++) await sleep(20);
    execFileSync("ip", ["link", "set", TAP, "netns", NS]);
    execFileSync("ip", ["-n", NS, "addr", "add", "192.0.2.1/24", "dev", TAP]);
    execFileSync("ip", ["-n", NS, "link", "set", TAP, "up"]);
    execFileSync("ip", ["-n", NS, "link", "set", "lo", "up"]);
    host = await netHost(`udp:${port}:127.0.0.1:${port + 1}`, "52:54:00:00:04:02", "192.0.2.2");
  }, 30_000);

  afterAll(() => {
    if (host) unplug(host.k);
    socat?.kill("SIGTERM");
    try {
      execFileSync("ip", ["netns", "del", NS]);
    } catch {
      // never made
    }
  });

  it("Linux's ping gets answers from wasm-lkm's eth0", async () => {
    const r = await inNs(["ping", "-c", "2", "-W", "3", "192.0.2.2"]);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(r.stdout).toMatch(/64 bytes from 192\.0\.2\.2: icmp_seq=1 ttl=64 time=/);
  }, 30_000);

  it("wasm-lkm's ping gets answers from Linux", async () => {
    const r = await host!.run("ping -c 2 -i 0.2 192.0.2.1");
    expect(r.out).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(r.out).toMatch(/64 bytes from 192\.0\.2\.1: icmp_seq=1 ttl=64 time=/);
  }, 30_000);

  it("ARP entries appear on both sides", async () => {
    const linuxMac = execFileSync("ip", ["-n", NS, "-br", "link", "show", TAP]).toString().split(/\s+/)[2]!;
    expect(host!.k.read("/proc/net/arp")).toContain(`192.0.2.1        0x1         0x2         ${linuxMac}     *        eth0\n`);
    const neigh = await inNs(["ip", "neigh", "show", "192.0.2.2"]);
    expect(neigh.stdout).toContain("192.0.2.2 dev");
    expect(neigh.stdout).toContain("lladdr 52:54:00:00:04:02");
  }, 30_000);

  it("a UDP datagram goes each way", async () => {
    const received = inNs(["socat", "-u", "UDP-RECV:6000", "STDOUT"]);
    await sleep(300);
    const libc = host!.k.spawn("sender");
    expect(sendto(libc, udpSocket(libc), "to linux\n", "192.0.2.1", 6000)).toBe(9);
    await sleep(300);
    execFileSync("ip", ["netns", "exec", NS, "pkill", "-f", "UDP-RECV:6000"]);
    expect((await received).stdout).toBe("to linux\n");

    const server = udpSocket(libc, 7000);
    await inNs(["socat", "-u", "STDIN", "UDP-SENDTO:192.0.2.2:7000"], "to wasm-lkm\n");
    const buf = libc.task.mm.sbrk(64);
    let n = -11;
    for (let i = 0; i < 200 && n === -11; i++) {
      await sleep(10);
      n = libc.syscall(45, server, buf, 64, MSG_DONTWAIT, 0, 0);
    }
    expect(n).toBe(12);
    expect(new TextDecoder().decode(libc.task.mm.bytes(buf, 12))).toBe("to wasm-lkm\n");
  }, 30_000);

  it("Linux's socat to a closed wasm-lkm port is refused by its port unreachable", async () => {
    const r = await inNs(["socat", "-t", "2", "-", "UDP:192.0.2.2:9999"], "anyone?\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E read\(\d+, 0x[0-9a-f]+, \d+\): Connection refused/);
  }, 30_000);

  it("a connected wasm-lkm socket to a closed Linux port gets ECONNREFUSED", async () => {
    const libc = host!.k.spawn("refused");
    const fd = udpSocket(libc);
    expect(call(libc, "connect", fd, sockaddrIn("192.0.2.1", 9999), 16)).toBe(0);
    const text = new TextEncoder().encode("anyone?");
    expect(call(libc, "write", fd, text, text.length)).toBe(7);
    const buf = libc.task.mm.sbrk(64);
    let n = -11;
    for (let i = 0; i < 200 && n === -11; i++) {
      await sleep(10);
      n = libc.syscall(45, fd, buf, 64, MSG_DONTWAIT, 0, 0);
    }
    expect(n).toBe(-111);
  }, 30_000);

  it("Linux's ping and wasm-lkm's report an address nobody answers ARP for alike: a host unreachable from themselves", async () => {
    const [linux, ours] = await Promise.all([inNs(["ping", "-n", "-c", "1", "192.0.2.99"]), host!.run("ping -c 1 192.0.2.99")]);
    // The sender and the time differ; the lines do not.
    const lines = (out: string, self: string) => out.replaceAll(self, "SELF").replace(/time \d+ms/, "time Tms").split("\n");
    expect(lines(linux.stdout, "192.0.2.1")).toEqual(lines(ours.out, "192.0.2.2"));
    expect(ours.out).toContain("From 192.0.2.2 icmp_seq=1 Destination Host Unreachable\n");
    expect(ours.out).toContain("1 packets transmitted, 0 received, +1 errors, 100% packet loss");
    expect([linux.status, ours.status]).toEqual([1, 1]);
  }, 30_000);

  it("a wasm-lkm UDP socket with IP_RECVERR gets Linux's port unreachable on its error queue", async () => {
    const libc = host!.k.spawn("recverr");
    const fd = udpSocket(libc);
    expect(call(libc, "setsockopt", fd, 0, 11, new Uint8Array([1, 0, 0, 0]), 4)).toBe(0);
    expect(sendto(libc, fd, "anyone?", "192.0.2.1", 9999)).toBe(7);
    const mm = libc.task.mm;
    const [buf, iov, control, msg] = [64, 8, 64, 28].map((n) => mm.sbrk(n)) as [number, number, number, number];
    mm.bytes(iov, 8).set(new Uint8Array(new Uint32Array([buf, 64]).buffer));
    mm.bytes(msg, 28).set(new Uint8Array(new Uint32Array([0, 0, iov, 1, control, 64, 0]).buffer));
    let n = -11;
    for (let i = 0; i < 200 && n === -11; i++) {
      await sleep(10);
      n = libc.syscall(47, fd, msg, 0x2000);
    }
    expect(n).toBe(7);
    expect(new TextDecoder().decode(mm.bytes(buf, 7))).toBe("anyone?");
    // cmsg IP_RECVERR: ECONNREFUSED, SO_EE_ORIGIN_ICMP, type 3 code 3, offender Linux's 192.0.2.1.
    const ee = mm.bytes(control, 44).slice();
    expect([...ee.subarray(0, 24)]).toEqual([44, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0, 111, 0, 0, 0, 2, 3, 3, 0, 0, 0, 0, 0]);
    expect([...ee.subarray(28, 36)]).toEqual([2, 0, 0, 0, 192, 0, 2, 1]);
  }, 30_000);
});
