// The error queue between two kernels (IP_RECVERR): ICMP errors and local errors queued on UDP and ping
// sockets, read back with recvmsg(MSG_ERRQUEUE) and their struct sock_extended_err, POLLERR and sk_err as
// Linux sets them, and what refuses (EAGAIN, EFAULT, ENOPROTOOPT) leaving the queue as it was.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errnoName } from "../../../abi/errno.js";
import type { Kernel } from "../../../host/init/main.js";
import { KernelError } from "../../../host/kernel/error.js";
import type { Sock } from "../../../host/net/core/sock.js";
import { MSG_DONTWAIT } from "../../../host/net/socket.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { expectRefused, snapshot } from "../../helpers.js";
import { call, netHost, sendto, sockaddrIn, udpSocket, unplug, wireName, type Run } from "../net_helpers.js";

const SOL_SOCKET = 1;
const SO_ERROR = 4;
const SOL_IP = 0;
const IP_RECVERR = 11;
const IP_RECVTTL = 12;
const IP_TTL = 2;
const MSG_ERRQUEUE = 0x2000;
const MSG_CTRUNC = 0x8;
const MSG_TRUNC = 0x20;
const POLLERR = 0x8;

let a: { k: Kernel; run: Run };
let b: { k: Kernel; run: Run };
let libc: Libc;
beforeEach(async () => {
  const wire = wireName("recverr");
  a = await netHost(wire, "52:54:00:00:08:01", "10.8.0.1");
  b = await netHost(wire, "52:54:00:00:08:02", "10.8.0.2");
  libc = a.k.spawn("sender");
});
afterEach(() => unplug(a.k, b.k));

const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
const setsockopt = (fd: number, name: number, v: number) => call(libc, "setsockopt", fd, SOL_IP, name, int(v), 4);
const sockOf = (fd: number) => libc.task.files.get(fd).private as Sock;

/** getsockopt() of an int: [result, value, optlen]. */
function getsockopt(fd: number, level: number, name: number): [number, number, number] {
  const mm = libc.task.mm;
  const [val, len] = [mm.sbrk(4), mm.sbrk(4)];
  mm.bytes(len, 4).set(int(4));
  const ret = libc.syscall(55, fd, level, name, val, len);
  const v = (p: number) => new DataView(mm.bytes(p, 4).slice().buffer).getInt32(0, true);
  return [ret, v(val), v(len)];
}

/** poll(2) for POLLIN, no wait: the revents. */
function revents(fd: number): number {
  const mm = libc.task.mm;
  const p = mm.sbrk(8);
  mm.bytes(p, 8).set([...int(fd), 1, 0, 0, 0]);
  libc.syscall(7, p, 1, 0);
  return new DataView(mm.bytes(p, 8).slice().buffer).getInt16(6, true);
}

interface Msg {
  ret: number;
  data: number[];
  name: number[];
  flags: number;
  controllen: number;
  cmsgs: { len: number; level: number; type: number; data: Uint8Array }[];
}

/** recvmsg(fd, flags) with a 64-byte buffer, room for a sockaddr_in and controllen bytes of control messages. */
function recvmsg(fd: number, flags: number, controllen = 128): Msg {
  const mm = libc.task.mm;
  const [buf, iov, name, control, msg] = [64, 8, 16, Math.max(controllen, 1), 28].map((n) => mm.sbrk(n)) as [number, number, number, number, number];
  mm.bytes(iov, 8).set(new Uint8Array(new Uint32Array([buf, 64]).buffer));
  mm.bytes(msg, 28).set(new Uint8Array(new Uint32Array([name, 16, iov, 1, control, controllen, 0]).buffer));
  const ret = libc.syscall(47, fd, msg, flags);
  const hdr = new DataView(mm.bytes(msg, 28).slice().buffer);
  const used = hdr.getUint32(20, true);
  const ctl = mm.bytes(control, Math.max(controllen, 1)).slice();
  const cmsgs = [];
  for (let at = 0; at + 12 <= used; ) {
    const v = new DataView(ctl.buffer, at);
    const len = v.getUint32(0, true);
    if (len < 12) break;
    cmsgs.push({ len, level: v.getInt32(4, true), type: v.getInt32(8, true), data: ctl.slice(at + 12, at + len) });
    at += (len + 3) & ~3;
  }
  return { ret, data: ret > 0 ? [...mm.bytes(buf, ret)] : [], name: [...mm.bytes(name, 8)], flags: hdr.getUint32(24, true), controllen: used, cmsgs };
}

/** A sock_extended_err and its offender, as numbers. */
function extendedErr(data: Uint8Array) {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    errno: v.getUint32(0, true), origin: data[4], type: data[5], code: data[6], pad: data[7], info: v.getUint32(8, true), data: v.getUint32(12, true),
    offender: [...data.subarray(16, 24)],
  };
}

/** A system call that must fail with code and leave the socket's queues, and the kernel, as they were. */
function refused(fd: number, code: string, syscall: () => number): void {
  const sock = sockOf(fd);
  const state = () => ({ kernel: snapshot(a.k), err: sock.peekErr(), failed: sock.failed, readable: sock.readable });
  expectRefused(state, () => {
    const ret = syscall();
    if (ret < 0) throw new KernelError(errnoName(-ret)!, "refused");
  }, code as never);
}

const text = (s: string) => [...new TextEncoder().encode(s)];

describe("a UDP socket with IP_RECVERR", () => {
  function recverrSocket(): number {
    const fd = udpSocket(libc);
    expect(setsockopt(fd, IP_RECVERR, 1)).toBe(0);
    expect(getsockopt(fd, SOL_IP, IP_RECVERR)).toEqual([0, 1, 4]);
    return fd;
  }

  it("gets a port unreachable on its error queue: the datagram, where it went, and the sock_extended_err", () => {
    const fd = recverrSocket();
    expect(sendto(libc, fd, "anyone?", "10.8.0.2", 9999)).toBe(7);
    expect(revents(fd) & POLLERR).toBe(POLLERR);
    const m = recvmsg(fd, MSG_ERRQUEUE);
    expect(m.ret).toBe(7);
    expect(m.data).toEqual(text("anyone?"));
    expect(m.name).toEqual([...sockaddrIn("10.8.0.2", 9999).subarray(0, 8)]);
    expect(m.flags).toBe(MSG_ERRQUEUE);
    expect(m.controllen).toBe(44);
    expect(m.cmsgs).toHaveLength(1);
    expect(m.cmsgs[0]).toMatchObject({ len: 44, level: SOL_IP, type: IP_RECVERR });
    // ECONNREFUSED from SO_EE_ORIGIN_ICMP, ICMP_DEST_UNREACH/ICMP_PORT_UNREACH, offended by 10.8.0.2.
    expect(extendedErr(m.cmsgs[0]!.data)).toEqual({ errno: 111, origin: 2, type: 3, code: 3, pad: 0, info: 0, data: 0, offender: [2, 0, 0, 0, 10, 8, 0, 2] });
    expect(revents(fd) & POLLERR).toBe(0);
  });

  it("has sk_err set too, even unconnected: SO_ERROR reads and clears it, the next send fails with it once", () => {
    const fd = recverrSocket();
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 111, 4]);
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 0, 4]);
    expect(sendto(libc, fd, "again?", "10.8.0.2", 9999)).toBe(6);
    expect(sendto(libc, fd, "third?", "10.8.0.2", 9999)).toBe(-111);
    // Both errors are still queued; reading the first makes sk_err the second's, reading that clears it.
    expect(recvmsg(fd, MSG_ERRQUEUE).data).toEqual(text("anyone?"));
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 111, 4]);
    expect(recvmsg(fd, MSG_ERRQUEUE).data).toEqual(text("again?"));
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 0, 4]);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(-11);
    expect(revents(fd) & POLLERR).toBe(0);
  });

  it("makes an ordinary receive fail with sk_err first, and leaves the error queue to MSG_ERRQUEUE", () => {
    const fd = recverrSocket();
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    expect(recvmsg(fd, MSG_DONTWAIT).ret).toBe(-111);
    expect(recvmsg(fd, MSG_DONTWAIT).ret).toBe(-11);
    expect(revents(fd) & POLLERR).toBe(POLLERR);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(7);
  });

  it("gives the ICMP message's TTL as IP_TTL before IP_RECVERR when IP_RECVTTL is on too", () => {
    const fd = recverrSocket();
    expect(setsockopt(fd, IP_RECVTTL, 1)).toBe(0);
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    const m = recvmsg(fd, MSG_ERRQUEUE);
    expect(m.cmsgs.map((c) => [c.len, c.level, c.type])).toEqual([[16, SOL_IP, IP_TTL], [44, SOL_IP, IP_RECVERR]]);
    expect(new DataView(m.cmsgs[0]!.data.buffer).getInt32(0, true)).toBe(64);
    expect(m.controllen).toBe(60);
  });

  it("cuts what does not fit: the data with MSG_TRUNC, the control message with MSG_CTRUNC", () => {
    const fd = recverrSocket();
    sendto(libc, fd, "x".repeat(100), "10.8.0.2", 9999);
    const m = recvmsg(fd, MSG_ERRQUEUE, 20);
    expect(m.ret).toBe(64);
    expect(m.flags).toBe(MSG_ERRQUEUE | MSG_TRUNC | MSG_CTRUNC);
    expect(m.controllen).toBe(20);
    expect(m.cmsgs[0]).toMatchObject({ len: 20, level: SOL_IP, type: IP_RECVERR });
  });

  it("queues a local error for a datagram too long for IPv4: EMSGSIZE, the route's MTU, no offender", () => {
    const fd = recverrSocket();
    const big = new Uint8Array(65508);
    expect(call(libc, "sendto", fd, big, big.length, 0, sockaddrIn("10.8.0.2", 9), 16)).toBe(-90);
    const m = recvmsg(fd, MSG_ERRQUEUE);
    expect(m.ret).toBe(0);
    expect(m.name).toEqual([...sockaddrIn("10.8.0.2", 0).subarray(0, 8)]);
    expect(extendedErr(m.cmsgs[0]!.data)).toEqual({ errno: 90, origin: 1, type: 0, code: 0, pad: 0, info: 1500, data: 0, offender: [0, 0, 0, 0, 0, 0, 0, 0] });
    // Past 65535 bytes the send is refused before anything is queued.
    const huge = new Uint8Array(65536);
    expect(call(libc, "sendto", fd, huge, huge.length, 0, sockaddrIn("10.8.0.2", 9), 16)).toBe(-90);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(-11);
  });

  it("gets the host unreachable ARP gives for an address nobody has, and fails the next send with EHOSTUNREACH", async () => {
    const fd = recverrSocket();
    expect(sendto(libc, fd, "anyone?", "10.8.0.9", 9)).toBe(7);
    await a.run("hw tick 3s");
    expect(sendto(libc, fd, "again?", "10.8.0.9", 9)).toBe(-113);
    const m = recvmsg(fd, MSG_ERRQUEUE);
    expect(m.data).toEqual(text("anyone?"));
    expect(m.name).toEqual([...sockaddrIn("10.8.0.9", 9).subarray(0, 8)]);
    expect(extendedErr(m.cmsgs[0]!.data)).toEqual({ errno: 113, origin: 2, type: 3, code: 1, pad: 0, info: 0, data: 0, offender: [2, 0, 0, 0, 10, 8, 0, 1] });
  });

  it("holds what the receive buffer holds: each error its quoted data (548 bytes of the packet at most) and 768", () => {
    const fd = recverrSocket();
    const data = new Uint8Array(1000);
    for (let i = 0; i < 200; i++) {
      // Over lo every datagram is answered; SO_ERROR clears sk_err so that the next send goes.
      expect(call(libc, "sendto", fd, data, data.length, 0, sockaddrIn("127.0.0.1", 9999), 16)).toBe(1000);
      expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 111, 4]);
    }
    let queued = 0;
    for (let m = recvmsg(fd, MSG_ERRQUEUE); m.ret >= 0; m = recvmsg(fd, MSG_ERRQUEUE)) {
      expect(m.flags).toBe(MSG_ERRQUEUE | MSG_TRUNC);
      queued++;
    }
    // 548 - 20 (IP) - 8 (UDP) = 520 bytes of data each: 165 of 520 + 768 fit in 212992.
    expect(queued).toBe(165);
    expect(sockOf(fd).failed).toBe(false);
  });

  it("empties the error queue when IP_RECVERR is turned off", () => {
    const fd = recverrSocket();
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    expect(setsockopt(fd, IP_RECVERR, 0)).toBe(0);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(-11);
    expect(getsockopt(fd, SOL_IP, IP_RECVERR)).toEqual([0, 0, 4]);
  });
});

describe("a UDP socket without IP_RECVERR", () => {
  it("queues nothing: an unconnected socket ignores the error, a local error is only EMSGSIZE", () => {
    const fd = udpSocket(libc);
    expect(sendto(libc, fd, "anyone?", "10.8.0.2", 9999)).toBe(7);
    expect(sendto(libc, fd, "anyone?", "10.8.0.2", 9999)).toBe(7);
    const big = new Uint8Array(65508);
    expect(call(libc, "sendto", fd, big, big.length, 0, sockaddrIn("10.8.0.2", 9), 16)).toBe(-90);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(-11);
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 0, 4]);
    expect(revents(fd) & POLLERR).toBe(0);
  });
});

describe("ping sockets", () => {
  const ECHO = [8, 0, 0, 0, 0, 0, 0, 7, 0xaa, 0xbb];
  function pingSocket(recverr: boolean): number {
    const fd = call(libc, "socket", 2, 2, 1);
    expect(fd).toBeGreaterThanOrEqual(0);
    if (recverr) expect(setsockopt(fd, IP_RECVERR, 1)).toBe(0);
    return fd;
  }
  const echo = (fd: number, to: string) => call(libc, "sendto", fd, new Uint8Array(ECHO), ECHO.length, 0, sockaddrIn(to, 0), 16);
  const tick = (time: string) => a.run(`hw tick ${time}`);

  it("with IP_RECVERR get the host unreachable for a request ARP could not resolve, from this host, with the request", async () => {
    const fd = pingSocket(true);
    expect(echo(fd, "10.8.0.9")).toBe(10);
    expect(revents(fd) & POLLERR).toBe(0);
    await tick("3s");
    expect(revents(fd) & POLLERR).toBe(POLLERR);
    const m = recvmsg(fd, MSG_ERRQUEUE);
    expect(m.ret).toBe(10);
    // The request as it went: the identifier the kernel chose, its checksum, then sequence and data.
    const ident = sockOf(fd).bound!.port;
    expect(m.data.slice(4)).toEqual([ident >> 8, ident & 0xff, 0, 7, 0xaa, 0xbb]);
    expect(m.data[0]).toBe(8);
    expect(m.name).toEqual([...sockaddrIn("10.8.0.9", 0).subarray(0, 8)]);
    expect(extendedErr(m.cmsgs[0]!.data)).toEqual({ errno: 113, origin: 2, type: 3, code: 1, pad: 0, info: 0, data: 0, offender: [2, 0, 0, 0, 10, 8, 0, 1] });
  });

  it("with IP_RECVERR fail the next send with EHOSTUNREACH when the error was not read, and send the one after", async () => {
    const fd = pingSocket(true);
    echo(fd, "10.8.0.9");
    await tick("3s");
    expect(echo(fd, "10.8.0.9")).toBe(-113);
    expect(echo(fd, "10.8.0.9")).toBe(10);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(10);
  });

  it("without IP_RECVERR ignore it unconnected (a soft error), as Linux's do", async () => {
    const fd = pingSocket(false);
    echo(fd, "10.8.0.9");
    await tick("3s");
    expect(revents(fd) & POLLERR).toBe(0);
    expect(echo(fd, "10.8.0.9")).toBe(10);
    expect(recvmsg(fd, MSG_ERRQUEUE).ret).toBe(-11);
  });

  it("queue a local error for a request too long for IPv4", () => {
    const fd = pingSocket(true);
    const big = new Uint8Array(65516);
    big[0] = 8;
    expect(call(libc, "sendto", fd, big, big.length, 0, sockaddrIn("10.8.0.2", 0), 16)).toBe(-90);
    expect(extendedErr(recvmsg(fd, MSG_ERRQUEUE).cmsgs[0]!.data)).toMatchObject({ errno: 90, origin: 1, info: 1500 });
  });
});

describe("refusals", () => {
  it("EAGAIN for MSG_ERRQUEUE on an empty queue, without waiting even on a blocking socket", () => {
    const fd = udpSocket(libc);
    expect(setsockopt(fd, IP_RECVERR, 1)).toBe(0);
    refused(fd, "EAGAIN", () => recvmsg(fd, MSG_ERRQUEUE).ret);
  });

  it("EFAULT for a bad msghdr, iovec or buffer, the error left on the queue", () => {
    const fd = udpSocket(libc);
    expect(setsockopt(fd, IP_RECVERR, 1)).toBe(0);
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    const mm = libc.task.mm;
    const end = mm.memory.buffer.byteLength;
    refused(fd, "EFAULT", () => libc.syscall(47, fd, end - 8, MSG_ERRQUEUE));
    const msg = mm.sbrk(28);
    mm.bytes(msg, 28).set(new Uint8Array(new Uint32Array([0, 0, end - 4, 1, 0, 0, 0]).buffer));
    refused(fd, "EFAULT", () => libc.syscall(47, fd, msg, MSG_ERRQUEUE));
    const iov = mm.sbrk(8);
    mm.bytes(iov, 8).set(new Uint8Array(new Uint32Array([end - 2, 64]).buffer));
    mm.bytes(msg, 28).set(new Uint8Array(new Uint32Array([0, 0, iov, 1, 0, 0, 0]).buffer));
    refused(fd, "EFAULT", () => libc.syscall(47, fd, msg, MSG_ERRQUEUE));
    refused(fd, "EFAULT", () => libc.syscall(45, fd, end - 2, 64, MSG_ERRQUEUE, 0, 0));
    expect(recvmsg(fd, MSG_ERRQUEUE).data).toEqual(text("anyone?"));
  });

  it("EFAULT from getsockopt with a bad value or length pointer, sk_err kept", () => {
    const fd = udpSocket(libc);
    expect(setsockopt(fd, IP_RECVERR, 1)).toBe(0);
    sendto(libc, fd, "anyone?", "10.8.0.2", 9999);
    const end = libc.task.mm.memory.buffer.byteLength;
    const len = libc.task.mm.sbrk(4);
    libc.task.mm.bytes(len, 4).set(int(4));
    refused(fd, "EFAULT", () => libc.syscall(55, fd, SOL_SOCKET, SO_ERROR, end - 2, len));
    refused(fd, "EFAULT", () => libc.syscall(55, fd, SOL_SOCKET, SO_ERROR, len, end - 2));
    expect(getsockopt(fd, SOL_SOCKET, SO_ERROR)).toEqual([0, 111, 4]);
  });

  it("ENOPROTOOPT for IP_RECVERR on a packet socket, EINVAL for a short value", () => {
    const fd = udpSocket(libc);
    refused(fd, "EINVAL", () => call(libc, "setsockopt", fd, SOL_IP, IP_RECVERR, int(1), 2));
    expect(getsockopt(fd, SOL_IP, IP_RECVERR)).toEqual([0, 0, 4]);
    const pfd = call(libc, "socket", 17, 3, 0x0300);
    expect(pfd).toBeGreaterThanOrEqual(0);
    refused(pfd, "ENOPROTOOPT", () => setsockopt(pfd, IP_RECVERR, 1));
    refused(pfd, "ENOPROTOOPT", () => getsockopt(pfd, SOL_IP, IP_RECVERR)[0]);
  });
});
