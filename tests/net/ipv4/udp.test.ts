// UDP between two kernels over the NE2000s: datagrams each way, nc -u, port unreachable, and the
// errors Linux gives (EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, EMSGSIZE...), each leaving things as they were.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MSG_DONTWAIT } from "../../../host/net/socket.js";
import type { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { call, netHost, ok, sendto, snmp, udpPortTaken, sockaddrIn, udpSocket, unplug, wireName, type Run } from "../net_helpers.js";

let a: { k: Kernel; run: Run };
let b: { k: Kernel; run: Run };
let libcA: Libc;
beforeEach(async () => {
  const wire = wireName("udp");
  a = await netHost(wire, "52:54:00:00:01:01", "10.1.0.1");
  b = await netHost(wire, "52:54:00:00:01:02", "10.1.0.2");
  libcA = a.k.spawn("sender");
});
afterEach(() => unplug(a.k, b.k));

describe("datagrams", () => {
  it("go from a socket on one kernel to nc -u -l on the other", async () => {
    const listening = b.run("nc -u -l -p 5000 -W 2");
    await udpPortTaken(b.k, 5000);
    const fd = udpSocket(libcA);
    expect(sendto(libcA, fd, "hello\n", "10.1.0.2", 5000)).toBe(6);
    expect(sendto(libcA, fd, "again\n", "10.1.0.2", 5000)).toBe(6);
    expect(await listening).toEqual({ status: 0, out: "hello\nagain\n", err: "" });
    expect(snmp(b.k, "Udp").InDatagrams).toBe(2);
    expect(snmp(a.k, "Udp").OutDatagrams).toBe(2);
  });

  it("go from nc -u HOST PORT < FILE on one kernel to nc -u -l on the other, the file in one datagram", async () => {
    const listening = b.run("nc -u -l -p 5001 -W 1");
    await udpPortTaken(b.k, 5001);
    expect(await a.run("echo 'over the wire' > /msg")).toEqual({ status: 0, out: "", err: "" });
    expect(await a.run("nc -u 10.1.0.2 5001 < /msg")).toEqual({ status: 0, out: "", err: "" });
    expect(await listening).toEqual({ status: 0, out: "over the wire\n", err: "" });
    expect(snmp(a.k, "Udp").OutDatagrams).toBe(1);
  });

  it("come back to the sender's port with the source recvfrom names", () => {
    const libcB = b.k.spawn("echo");
    const server = udpSocket(libcB, 7);
    const client = udpSocket(libcA, 40000);
    expect(sendto(libcA, client, "ping", "10.1.0.2", 7)).toBe(4);
    const from = new Uint8Array(16);
    const mm = libcB.task.mm;
    const buf = mm.sbrk(64);
    const addr = mm.sbrk(16);
    const len = mm.sbrk(4);
    mm.bytes(len, 4).set([16, 0, 0, 0]);
    expect(libcB.syscall(45, server, buf, 64, 0, addr, len)).toBe(4);
    from.set(mm.bytes(addr, 16));
    expect([...from.subarray(0, 8)]).toEqual([2, 0, 0x9c, 0x40, 10, 1, 0, 1]);
    expect(call(libcB, "sendto", server, mm.bytes(buf, 4).slice(), 4, 0, from, 16)).toBe(4);
    expect(libcA.syscall(45, client, buf, 64, MSG_DONTWAIT, 0, 0)).toBe(4);
  });

  it("to a port nobody listens on bring back an ICMP port unreachable, counted on both sides", () => {
    const fd = udpSocket(libcA);
    sendto(libcA, fd, "anyone?", "10.1.0.2", 9999);
    expect(snmp(b.k, "Udp").NoPorts).toBe(1);
    expect(snmp(b.k, "Icmp").OutDestUnreachs).toBe(1);
    expect(snmp(a.k, "Icmp").InDestUnreachs).toBe(1);
  });
});

describe("ICMP errors", () => {
  /** A UDP socket of A connected to B's port. */
  function connected(port: number): number {
    const fd = udpSocket(libcA);
    expect(call(libcA, "connect", fd, sockaddrIn("10.1.0.2", port), 16)).toBe(0);
    return fd;
  }
  const write = (fd: number, text: string) => call(libcA, "write", fd, new TextEncoder().encode(text), text.length);
  const readNow = (fd: number) => libcA.syscall(45, fd, libcA.task.mm.sbrk(64), 64, MSG_DONTWAIT, 0, 0);
  /** poll(2) for POLLIN with a zero timeout: the socket's revents (POLLERR 0x8 comes whatever was asked). */
  function revents(fd: number): number {
    const pfd = new Uint8Array(8);
    new DataView(pfd.buffer).setInt32(0, fd, true);
    new DataView(pfd.buffer).setInt16(4, 1, true);
    const mm = libcA.task.mm;
    const p = mm.sbrk(8);
    mm.bytes(p, 8).set(pfd);
    const ready = libcA.syscall(7, p, 1, 0);
    const got = new DataView(mm.bytes(p, 8).slice().buffer).getInt16(6, true);
    expect(ready).toBe(got === 0 ? 0 : 1);
    return got;
  }

  it("a connected socket gets ECONNREFUSED on its next send after a port unreachable, once", () => {
    const fd = connected(9999);
    expect(write(fd, "anyone?")).toBe(7);
    expect(snmp(a.k, "Icmp").InDestUnreachs).toBe(1);
    expect(revents(fd) & 0x8).toBe(0x8);
    expect(write(fd, "again?")).toBe(-111);
    expect(revents(fd) & 0x8).toBe(0);
    expect(write(fd, "third")).toBe(5);
  });

  it("a connected socket gets it on its next receive, before anything queued, then reads on", () => {
    const fd = connected(9999);
    write(fd, "anyone?");
    expect(readNow(fd)).toBe(-111);
    expect(readNow(fd)).toBe(-11);
  });

  it("wakes a reader sleeping on the connected socket, whose read fails with it", async () => {
    const fd = connected(9999);
    // Another task holds the same socket, as after fork(), and sends while the first sleeps in recv.
    const other = a.k.spawn("writer");
    const file = libcA.task.files.get(fd);
    const ofd = other.task.files.install(file);
    file.count++;
    const reading = libcA.syscallAsync(45, fd, libcA.task.mm.sbrk(64), 64, 0, 0, 0);
    expect(call(other, "write", ofd, new TextEncoder().encode("anyone?"), 7)).toBe(7);
    expect(await reading).toBe(-111);
  });

  it("an unconnected socket ignores it, as Linux's do without IP_RECVERR", () => {
    const fd = udpSocket(libcA);
    expect(sendto(libcA, fd, "anyone?", "10.1.0.2", 9999)).toBe(7);
    expect(snmp(a.k, "Icmp").InDestUnreachs).toBe(1);
    expect(sendto(libcA, fd, "anyone?", "10.1.0.2", 9999)).toBe(7);
    expect(readNow(fd)).toBe(-11);
    expect(revents(fd) & 0x8).toBe(0);
  });

  it("port unreachables to one host are rate-limited as icmp_ratelimit: a burst of 6, then one a second", async () => {
    const fd = udpSocket(libcA);
    for (let i = 0; i < 10; i++) sendto(libcA, fd, "x", "10.1.0.2", 9999);
    expect(snmp(b.k, "Udp").NoPorts).toBe(10);
    expect(snmp(b.k, "Icmp").OutDestUnreachs).toBe(6);
    await ok(b.run, "hw tick 1s");
    for (let i = 0; i < 3; i++) sendto(libcA, fd, "x", "10.1.0.2", 9999);
    expect(snmp(b.k, "Icmp").OutDestUnreachs).toBe(7);
    expect(snmp(a.k, "Icmp").InDestUnreachs).toBe(7);
  });

  it("not over lo: every datagram to a closed local port is answered", () => {
    const fd = udpSocket(libcA);
    for (let i = 0; i < 10; i++) sendto(libcA, fd, "x", "127.0.0.1", 9999);
    expect(snmp(a.k, "Icmp").OutDestUnreachs).toBe(10);
  });
});

describe("refusals", () => {
  it("EADDRINUSE for a port taken, EADDRNOTAVAIL for an address not ours, EINVAL for a second bind", () => {
    udpSocket(libcA, 6000);
    const fd = udpSocket(libcA);
    expect(call(libcA, "bind", fd, sockaddrIn("0.0.0.0", 6000), 16)).toBe(-98);
    expect(call(libcA, "bind", fd, sockaddrIn("10.1.0.2", 6001), 16)).toBe(-99);
    expect(call(libcA, "bind", fd, sockaddrIn("10.1.0.1", 6001), 16)).toBe(0);
    expect(call(libcA, "bind", fd, sockaddrIn("10.1.0.1", 6002), 16)).toBe(-22);
  });

  it("ENETUNREACH with no route, EMSGSIZE past the MTU (no fragmentation), EDESTADDRREQ with no address", () => {
    const fd = udpSocket(libcA);
    expect(sendto(libcA, fd, "x", "192.0.2.9", 53)).toBe(-101);
    expect(sendto(libcA, fd, "x".repeat(1473), "10.1.0.2", 53)).toBe(-90);
    expect(sendto(libcA, fd, "x".repeat(1472), "10.1.0.2", 53)).toBe(1472);
    expect(call(libcA, "sendto", fd, new Uint8Array(1), 1, 0, 0, 0)).toBe(-89);
  });

  it("EAGAIN for a read with nothing queued and MSG_DONTWAIT; ENOTSOCK for a file", () => {
    const fd = udpSocket(libcA, 6100);
    const buf = libcA.task.mm.sbrk(16);
    expect(libcA.syscall(45, fd, buf, 16, MSG_DONTWAIT, 0, 0)).toBe(-11);
    const file = libcA.open("/proc/net/dev", 0);
    expect(call(libcA, "bind", file, sockaddrIn("0.0.0.0", 1), 16)).toBe(-88);
  });

  it("EAFNOSUPPORT, ESOCKTNOSUPPORT and EPROTONOSUPPORT for what this kernel has not", () => {
    expect(call(libcA, "socket", 10, 2, 0)).toBe(-97);
    expect(call(libcA, "socket", 2, 1, 0)).toBe(-94);
    expect(call(libcA, "socket", 2, 2, 6)).toBe(-93);
  });

  it("nc names what it cannot do, as OpenBSD's does", async () => {
    await ok(b.run, "true");
    expect(await b.run("nc -u 10.1.0.1 99999")).toEqual({ status: 1, out: "", err: "nc: port number invalid: 99999\n" });
    expect(await b.run("nc -u nosuchhost 53")).toEqual({ status: 1, out: "", err: 'nc: getaddrinfo for host "nosuchhost" port 53: Name or service not known\n' });
  });
});
