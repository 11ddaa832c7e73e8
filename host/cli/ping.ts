// ping: iputils' ping over an ICMP datagram socket, with its output and summary. `ping [-c N] [-i S]
// [-s SIZE] [-W S] ADDR`: an echo request each interval, each reply printed with its round-trip time,
// the statistics when the count is reached or Ctrl-C ends it.
//
// Round-trip times are real (the frames' trip through drivers, cards and wires takes real time); the
// interval and the waiting are in the kernel's time, which the shell lets run while ping sleeps.

import { SYSCALLS } from "../../abi/syscalls.js";
import { POLLIN } from "../../abi/poll.js";
import { strerror } from "../../abi/errno.js";
import { formatIp, get16, parseIp, put16 } from "../net/ipv4/inet.js";
import { AF_INET, SOCK_DGRAM, sockaddrIn } from "../net/socket.js";
import { IPPROTO_ICMP } from "../net/ipv4/ip.js";
import { ICMP_ECHO, ICMP_ECHOREPLY } from "../net/ipv4/icmp.js";
import type { Libc } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";
import type { Step } from "./command.js";

const SOL_IP = 0;
const IP_TTL = 2;
const IP_RECVTTL = 12;

/** MAXWAIT: how long ping waits for the last replies once the count is sent (-W changes it). */
const LINGER_S = 10;

/** iputils' sprint of a time in microseconds as milliseconds: fewer decimals as it grows. */
export function formatMs(us: number): string {
  const t = Math.round(us);
  if (t >= 100000 - 50) return `${Math.floor((t + 500) / 1000)}`;
  if (t >= 10000 - 5) return `${Math.floor((t + 50) / 1000)}.${Math.floor(((t + 50) % 1000) / 100)}`;
  if (t >= 1000) return `${Math.floor((t + 5) / 1000)}.${String(Math.floor(((t + 5) % 1000) / 10)).padStart(2, "0")}`;
  return `0.${String(t).padStart(3, "0")}`;
}

/** "%ld.%03ld" of microseconds, as the rtt summary prints each figure. */
function ms3(us: number): string {
  const t = Math.round(us);
  return `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, "0")}`;
}

interface Options {
  count: number;
  intervalS: number;
  size: number;
  waitS: number;
}

class Pinger {
  transmitted = 0;
  received = 0;
  private readonly rtts: number[] = [];
  private readonly sentAt = new Map<number, number>();

  constructor(
    private readonly ctx: CommandContext,
    private readonly fd: number,
    private readonly dst: number,
    private readonly opts: Options,
  ) {}

  /** An echo request: seq in network order, the data iputils sends (a timestamp's room, then 0x10, 0x11...). */
  *send(seq: number): Generator<Step, number, void> {
    const msg = new Uint8Array(8 + this.opts.size);
    msg[0] = ICMP_ECHO;
    put16(msg, 6, seq);
    for (let i = 8 + 16; i < msg.length; i++) msg[i] = (i - 8) & 0xff;
    this.sentAt.set(seq, performance.now());
    const ret = yield* this.ctx.libc.callBuffers(SYSCALLS.sendto, [this.fd, msg, msg.length, 0, sockaddrIn(this.dst), 16]);
    this.transmitted++;
    if (ret < 0) this.ctx.err(`ping: sendmsg: ${strerror(-ret)}\n`);
    return ret;
  }

  /** Wait up to ms for replies, printing each; false when interrupted (Ctrl-C). */
  *receive(ms: number): Generator<Step, boolean, void> {
    const clock = this.ctx.kernel.clock;
    const until = clock.nowNs + ms * 1e6;
    for (;;) {
      const left = Math.max(0, Math.ceil((until - clock.nowNs) / 1e6));
      const pfd = new Uint8Array(8);
      new DataView(pfd.buffer).setInt32(0, this.fd, true);
      new DataView(pfd.buffer).setUint16(4, POLLIN, true);
      const ready = yield* this.ctx.libc.callBuffers(SYSCALLS.poll, [pfd, 1, left]);
      if (ready < 0) return false;
      if (ready === 0) return true;
      const got = yield* this.recvmsg();
      if (got === null) return false;
      this.reply(got.data, got.ttl);
      if (this.received >= this.opts.count && this.opts.count > 0) return true;
    }
  }

  /** recvmsg() of one reply with its IP_TTL control message; null when interrupted. */
  private *recvmsg(): Generator<Step, { data: Uint8Array; ttl: number } | null, void> {
    const mm = this.ctx.libc.task.mm;
    const mark = mm.mark;
    try {
      const size = 8 + this.opts.size + 64;
      const [buf, iov, control, msg] = [size, 8, 16, 28].map((n) => mm.sbrk(n)) as [number, number, number, number];
      mm.bytes(iov, 8).set(new Uint8Array(new Uint32Array([buf, size]).buffer));
      mm.bytes(msg, 28).set(new Uint8Array(new Uint32Array([0, 0, iov, 1, control, 16, 0]).buffer));
      const n = yield* this.ctx.libc.call(SYSCALLS.recvmsg, [this.fd, msg, 0]);
      if (n < 0) return null;
      const cmsg = new DataView(mm.bytes(control, 16).slice().buffer);
      const hasTtl = new DataView(mm.bytes(msg, 28).slice().buffer).getUint32(20, true) >= 16 && cmsg.getInt32(4, true) === SOL_IP && cmsg.getInt32(8, true) === IP_TTL;
      return { data: mm.bytes(buf, n).slice(), ttl: hasTtl ? cmsg.getInt32(12, true) : -1 };
    } finally {
      mm.release(mark);
    }
  }

  private reply(msg: Uint8Array, ttl: number): void {
    if (msg.length < 8 || msg[0] !== ICMP_ECHOREPLY) return;
    const seq = get16(msg, 6);
    const sent = this.sentAt.get(seq);
    if (sent === undefined) return;
    this.sentAt.delete(seq);
    const us = (performance.now() - sent) * 1000;
    this.rtts.push(us);
    this.received++;
    const ttlText = ttl >= 0 ? ` ttl=${ttl}` : "";
    this.ctx.out(`${msg.length} bytes from ${formatIp(this.dst)}: icmp_seq=${seq}${ttlText} time=${formatMs(us)} ms\n`);
  }

  /** The statistics iputils prints at the end. */
  summary(elapsedMs: number): void {
    const loss = this.transmitted ? ((this.transmitted - this.received) * 100) / this.transmitted : 0;
    this.ctx.out(`\n--- ${formatIp(this.dst)} ping statistics ---\n`);
    this.ctx.out(`${this.transmitted} packets transmitted, ${this.received} received, ${Number(loss.toPrecision(6))}% packet loss, time ${Math.round(elapsedMs)}ms\n`);
    if (this.rtts.length === 0) return;
    const min = Math.min(...this.rtts);
    const max = Math.max(...this.rtts);
    const avg = this.rtts.reduce((a, b) => a + b, 0) / this.rtts.length;
    const mdev = Math.sqrt(this.rtts.reduce((a, b) => a + b * b, 0) / this.rtts.length - avg * avg);
    this.ctx.out(`rtt min/avg/max/mdev = ${ms3(min)}/${ms3(avg)}/${ms3(max)}/${ms3(mdev)} ms\n`);
  }
}

function* ping(ctx: CommandContext, target: string, opts: Options): CommandSteps {
  const dst = parseIp(target);
  if (dst === null) {
    ctx.err(`ping: ${target}: Name or service not known\n`);
    return 2;
  }
  const libc = ctx.libc;
  // iputils first connects a UDP socket to learn the route and source address.
  const probe = yield* libc.callBuffers(SYSCALLS.socket, [AF_INET, SOCK_DGRAM, 0]);
  const conn = probe < 0 ? probe : yield* libc.callBuffers(SYSCALLS.connect, [probe, sockaddrIn(dst), 16]);
  if (probe >= 0) libc.close(probe);
  if (conn < 0) {
    ctx.err(`ping: connect: ${strerror(-conn)}\n`);
    return 2;
  }
  const fd = yield* libc.callBuffers(SYSCALLS.socket, [AF_INET, SOCK_DGRAM, IPPROTO_ICMP]);
  if (fd < 0) {
    ctx.err(`ping: socket: ${strerror(-fd)}\n`);
    return 2;
  }
  try {
    const on = new Uint8Array(new Int32Array([1]).buffer);
    yield* libc.callBuffers(SYSCALLS.setsockopt, [fd, SOL_IP, IP_RECVTTL, on, 4]);
    ctx.out(`PING ${target} (${target}) ${opts.size}(${opts.size + 28}) bytes of data.\n`);
    const p = new Pinger(ctx, fd, dst, opts);
    const start = ctx.kernel.clock.nowNs;
    let more = true;
    for (let seq = 1; more && (opts.count === 0 || seq <= opts.count); seq++) {
      yield* p.send(seq);
      const last = opts.count !== 0 && seq === opts.count;
      more = yield* p.receive(last ? opts.waitS * 1000 : opts.intervalS * 1000);
    }
    p.summary((ctx.kernel.clock.nowNs - start) / 1e6);
    return p.received === 0 ? 1 : 0;
  } finally {
    libc.close(fd);
  }
}

function positive(name: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`ping: invalid argument: '${v}'`);
  return n;
}

export const pingCommand: CliCommand = {
  name: "ping",
  usage: "ping [-c COUNT] [-i INTERVAL] [-s SIZE] [-W TIMEOUT] ADDRESS",
  help: "send ICMP echo requests and print the replies (iputils)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("ping", args, ctx, (c) =>
        c.option("-c <count>").option("-i <interval>").option("-s <size>").option("-W <timeout>").argument("<destination>"));
      const o = cmd.opts<{ c?: string; i?: string; s?: string; W?: string }>();
      let opts: Options;
      try {
        const size = o.s === undefined ? 56 : positive("s", o.s, true);
        if (size > 65507) throw new Error(`ping: invalid argument: '${o.s}': out of range: 0 <= value <= 65507`);
        opts = {
          count: o.c === undefined ? 0 : positive("c", o.c, true),
          intervalS: o.i === undefined ? 1 : positive("i", o.i, false),
          size,
          waitS: o.W === undefined ? LINGER_S : positive("W", o.W, false),
        };
      } catch (e) {
        ctx.err(`${(e as Error).message}\n`);
        return 1;
      }
      return ping(ctx, cmd.args[0]!, opts);
    }),
};
