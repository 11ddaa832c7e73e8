// Two `wasm-lkm boot` daemons, separate processes, whose NE2000s share a UDP wire on the loopback
// address (or whose UARTs share a UDP null-modem cable, in SLIP): one pings the other through the real
// CLI, as a user would.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/paths.js";

const CLI = join(ROOT, "dist/host/cli/wasm-lkm.js");
const dir = mkdtempSync(join(tmpdir(), "wasm-lkm-net-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

/** A daemon in the foreground; resolves once its first line says it listens. */
function boot(socket: string): Promise<void> {
  const child = spawn("node", [CLI, "boot", "--socket", socket, "--foreground"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((done, fail) => {
    child.stdout!.setEncoding("utf8").once("data", () => done());
    child.once("exit", (code) => fail(new Error(`boot exited (${code})`)));
  });
}

function cli(socket: string, line: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile("node", [CLI, ...line.split(" ")], { cwd: ROOT, env: { ...process.env, WASM_LKM_SOCKET: socket } }, (error, stdout, stderr) => {
      done({ status: error ? Number((error as { code?: unknown }).code) : 0, stdout, stderr });
    });
  });
}

describe("two daemons on a UDP wire", () => {
  it("ping each other through the CLI", async () => {
    const port = 30000 + (process.pid % 2000) * 10;
    const socks = [join(dir, "a.sock"), join(dir, "b.sock")];
    await Promise.all(socks.map(boot));
    const setup = async (socket: string, local: number, peer: number, mac: string, addr: string) => {
      for (const line of [`hw attach ne2000 mac=${mac} net=udp:${local}:127.0.0.1:${peer}`, "modprobe ne", "ip link set eth0 up", `ip addr add ${addr}/24 dev eth0`]) {
        expect(await cli(socket, line), line).toMatchObject({ status: 0, stderr: "" });
      }
    };
    await setup(socks[0]!, port, port + 1, "52:54:00:00:03:01", "10.3.0.1");
    await setup(socks[1]!, port + 1, port, "52:54:00:00:03:02", "10.3.0.2");
    const r = await cli(socks[0]!, "ping -c 2 -i 0.2 10.3.0.2");
    expect(r.stdout).toMatch(/^PING 10\.3\.0\.2 \(10\.3\.0\.2\) 56\(84\) bytes of data\.\n64 bytes from 10\.3\.0\.2: icmp_seq=1 ttl=64 time=/);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect((await cli(socks[1]!, "cat /proc/net/arp")).stdout).toContain("10.3.0.1         0x1         0x2         52:54:00:00:03:01");
  }, 60_000);
});

/** `slattach` in a client of its own, holding the line until it is sent Ctrl-C; resolves once the line is in SLIP. */
function slattach(socket: string): Promise<ChildProcess> {
  const child = spawn("node", [CLI, "slattach", "-p", "slip", "-s", "115200", "/dev/ttyS0"], {
    cwd: ROOT, env: { ...process.env, WASM_LKM_SOCKET: socket }, stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((done, fail) => {
    child.stdout!.setEncoding("utf8").once("data", (line: string) => {
      expect(line).toBe("slip started on /dev/ttyS0 interface sl0\n");
      done(child);
    });
    child.once("exit", (code) => fail(new Error(`slattach exited (${code})`)));
  });
}

describe("two daemons on a UDP null-modem cable", () => {
  it("ping each other over SLIP through the CLI, and get their lines back when slattach is stopped", async () => {
    const port = 31000 + (process.pid % 2000) * 10;
    const socks = [join(dir, "sa.sock"), join(dir, "sb.sock")];
    await Promise.all(socks.map(boot));
    const setup = async (socket: string, local: number, peer: number, addr: string): Promise<ChildProcess> => {
      for (const line of [`hw attach uart16550 line=udp:${local}:127.0.0.1:${peer}`, "modprobe serial16550"]) {
        expect(await cli(socket, line), line).toMatchObject({ status: 0, stderr: "" });
      }
      const holder = await slattach(socket);
      for (const line of [`ip addr add ${addr}/24 dev sl0`, "ip link set sl0 up"]) {
        expect(await cli(socket, line), line).toMatchObject({ status: 0, stderr: "" });
      }
      return holder;
    };
    const holders = [await setup(socks[0]!, port, port + 1, "10.4.0.1"), await setup(socks[1]!, port + 1, port, "10.4.0.2")];
    const r = await cli(socks[0]!, "ping -c 2 -i 0.2 10.4.0.2");
    expect(r.stdout).toMatch(/^PING 10\.4\.0\.2 \(10\.4\.0\.2\) 56\(84\) bytes of data\.\n64 bytes from 10\.4\.0\.2: icmp_seq=1 ttl=64 time=/);
    expect(r.stdout).toContain("2 packets transmitted, 2 received, 0% packet loss");
    const back = await cli(socks[1]!, "ping -c 1 10.4.0.1");
    expect(back.stdout).toContain("1 packets transmitted, 1 received, 0% packet loss");
    for (const h of holders) {
      const exited = new Promise((done) => h.once("exit", done));
      h.kill("SIGINT");
      expect(await exited).toBe(130);
    }
    expect(await cli(socks[0]!, "ip link show sl0")).toMatchObject({ status: 1, stderr: 'Cannot find device "sl0"\n' });
  }, 60_000);
});
