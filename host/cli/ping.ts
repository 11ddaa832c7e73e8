// ping: iputils' ping over an ICMP datagram socket, with its output and summary. `ping [-c N] [-i S]
// [-s SIZE] [-W S] ADDR`: an echo request each interval, each reply printed with its round-trip time,
// each ICMP error about a request read from the socket's error queue (IP_RECVERR) and printed as
// iputils does ("From 10.0.0.1 icmp_seq=1 Destination Host Unreachable"), the statistics when replies
// and errors make the count or Ctrl-C ends it.
//
// Round-trip times are real (the frames' trip through drivers, cards and wires takes real time); the
// interval and the waiting are in the kernel's time, which the shell lets run while ping sleeps.

import { SYSCALLS } from "../../abi/syscalls.js";
import { POLLERR, POLLIN } from "../../abi/poll.js";
import { ERRNO, strerror } from "../../abi/errno.js";
import { formatIp, get16, get32, parseIp, put16 } from "../net/ipv4/inet.js";
import { AF_INET, MSG_DONTWAIT, SOCK_DGRAM, sockaddrIn } from "../net/socket.js";
import { IPPROTO_ICMP } from "../net/ipv4/ip.js";
import { ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_PARAMETERPROB, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED } from "../net/ipv4/icmp.js";
import { IP_RECVERR, IP_RECVTTL, IP_TTL, MSG_ERRQUEUE, SOL_IP } from "../net/ipv4/ip_sockglue.js";
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL } from "../net/core/sock.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";
import type { Step } from "./command.js";

/** MAXWAIT: how long ping waits for the last replies once the count is sent (-W changes it). */
const LINGER_S = 10;
/** struct msghdr and struct cmsghdr on wasm32. */
const MSGHDR = 28;
const CMSGHDR = 12;

/** pr_icmph()'s words for each destination-unreachable code. */
const UNREACH_TEXT = [
  "Destination Net Unreachable", "Destination Host Unreachable", "Destination Protocol Unreachable", "Destination Port Unreachable",
  "Frag needed and DF set (mtu = %u)", "Source Route Failed", "Destination Net Unknown", "Destination Host Unknown", "Source Host Isolated",
  "Destination Net Prohibited", "Destination Host Prohibited", "Destination Net Unreachable for Type of Service",
  "Destination Host Unreachable for Type of Service", "Packet filtered", "Precedence Violation", "Precedence Cutoff",
];

/** pr_icmph(): what iputils prints for an ICMP error of this type and code (info: the MTU or the pointer). */
export function icmpText(type: number, code: number, info: number): string {
  if (type === ICMP_DEST_UNREACH) return UNREACH_TEXT[code]?.replace("%u", String(info)) ?? `Dest Unreachable, Bad Code: ${code}`;
  if (type === ICMP_SOURCE_QUENCH) return "Source Quench";
  if (type === ICMP_TIME_EXCEEDED) return code === 0 ? "Time to live exceeded" : code === 1 ? "Frag reassembly time exceeded" : `Time exceeded, Bad Code: ${code}`;
  if (type === ICMP_PARAMETERPROB) return `Parameter problem: pointer = ${info}`;
  return `Bad ICMP type: ${type}`;
}

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

/** What one recvmsg() gave: its result, the data, the address and the control messages. */
interface Received {
  readonly ret: number;
  readonly data: Uint8Array;
  readonly from: number;
  readonly cmsgs: readonly { level: number; type: number; data: DataView }[];
}

class Pinger {
  transmitted = 0;
  received = 0;
  /** nerrors: ICMP errors and local errors, the summary's "+N errors". */
  errors = 0;
  /** The most requests that were out at once, as far as answers and errors tell (iputils' pipesize). */
  private pipesize = 1;
  private readonly rtts: number[] = [];
  private readonly sentAt = new Map<number, number>();

  constructor(
    private readonly ctx: CommandContext,
    private readonly fd: number,
    private readonly dst: number,
    private readonly opts: Options,
  ) {}

  /** Replies and errors make the count: ping stops waiting then. */
  get done(): boolean {
    return this.opts.count > 0 && this.received + this.errors >= this.opts.count;
  }

  /**
   * An echo request: seq in network order, the data iputils sends (a timestamp's room, then 0x10,
   * 0x11...). A send that fails counts as sent (iputils' hard local error); one failing because of an
   * ICMP error reads that error first, and is sent again when the error was not ours.
   */
  *send(seq: number): Generator<Step, void, void> {
    const msg = new Uint8Array(8 + this.opts.size);
    msg[0] = ICMP_ECHO;
    put16(msg, 6, seq);
    for (let i = 8 + 16; i < msg.length; i++) msg[i] = (i - 8) & 0xff;
    for (;;) {
      this.sentAt.set(seq, performance.now());
      const ret = yield* this.ctx.libc.callBuffers(SYSCALLS.sendto, [this.fd, msg, msg.length, 0, sockaddrIn(this.dst), 16]);
      if (ret >= 0) break;
      if (ret === -ERRNO.EMSGSIZE[0]) this.errors++;
      else if (ret !== -ERRNO.ENOBUFS[0] && ret !== -ERRNO.ENOMEM[0]) {
        const why = yield* this.receiveError();
        if (why === "foreign") continue;
        if (why === "local") break;
      }
      this.ctx.err(`ping: sendmsg: ${strerror(-ret)}\n`);
      break;
    }
    this.transmitted++;
  }

  /**
   * Wait up to ms for replies and errors, printing each, as iputils' main loop does: after a poll, read
   * until nothing is left; a read that fails, or POLLERR, sends it to the error queue. False when
   * interrupted (Ctrl-C).
   */
  *receive(ms: number): Generator<Step, boolean, void> {
    const clock = this.ctx.kernel.clock;
    const until = clock.nowNs + ms * 1e6;
    while (!this.done) {
      const left = Math.max(0, Math.ceil((until - clock.nowNs) / 1e6));
      const pfd = new Uint8Array(8);
      new DataView(pfd.buffer).setInt32(0, this.fd, true);
      new DataView(pfd.buffer).setUint16(4, POLLIN, true);
      let revents = 0;
      const ready = yield* this.ctx.libc.callBuffers(SYSCALLS.poll, [pfd, 1, left], ([p]) => {
        revents = new DataView(this.ctx.libc.task.mm.bytes(p!, 8).slice().buffer).getInt16(6, true);
      });
      if (ready < 0) return false;
      if (ready === 0) return true;
      let recvError = (revents & POLLERR) !== 0;
      for (;;) {
        const got = yield* this.recvmsg(8 + this.opts.size + 64, MSG_DONTWAIT, 16);
        // Only a closed socket reads 0: nothing more will come.
        if (got.ret === 0) break;
        if (got.ret > 0) {
          const ttl = got.cmsgs.find((c) => c.level === SOL_IP && c.type === IP_TTL);
          this.reply(got.data, ttl ? ttl.data.getInt32(0, true) : -1);
          continue;
        }
        if ((got.ret === -ERRNO.EAGAIN[0] && !recvError) || got.ret === -ERRNO.EINTR[0]) break;
        recvError = false;
        if ((yield* this.receiveError()) === "failed") {
          this.ctx.err(`ping: recvmsg: ${strerror(-got.ret)}\n`);
          break;
        }
      }
    }
    return true;
  }

  /** recvmsg() into a scratch buffer of size bytes with controllen bytes of control messages. */
  private *recvmsg(size: number, flags: number, controllen: number): Generator<Step, Received, void> {
    const mm = this.ctx.libc.task.mm;
    const mark = mm.mark;
    try {
      const [buf, iov, name, control, msg] = [size, 8, 16, controllen, MSGHDR].map((n) => mm.sbrk(n)) as [number, number, number, number, number];
      mm.bytes(iov, 8).set(new Uint8Array(new Uint32Array([buf, size]).buffer));
      mm.bytes(msg, MSGHDR).set(new Uint8Array(new Uint32Array([name, 16, iov, 1, control, controllen, 0]).buffer));
      const ret = yield* this.ctx.libc.call(SYSCALLS.recvmsg, [this.fd, msg, flags]);
      if (ret < 0) return { ret, data: new Uint8Array(0), from: 0, cmsgs: [] };
      const used = new DataView(mm.bytes(msg, MSGHDR).slice().buffer).getUint32(20, true);
      const ctl = mm.bytes(control, used).slice();
      const cmsgs = [];
      for (let at = 0; at + CMSGHDR <= used; ) {
        const v = new DataView(ctl.buffer, at);
        const len = v.getUint32(0, true);
        if (len < CMSGHDR) break;
        cmsgs.push({ level: v.getInt32(4, true), type: v.getInt32(8, true), data: new DataView(ctl.buffer, at + CMSGHDR, Math.min(len, used - at) - CMSGHDR) });
        at += (len + 3) & ~3;
      }
      return { ret, data: mm.bytes(buf, ret).slice(), from: get32(mm.bytes(name, 16), 4), cmsgs };
    } finally {
      mm.release(mark);
    }
  }

  /**
   * ping4_receive_error_msg(): one error off the error queue. An ICMP error about one of our requests
   * is printed ("From ADDR icmp_seq=N Destination Host Unreachable") and counted: "icmp"; a local error
   * is printed and counted: "local", as is an empty queue; an error about something else: "foreign";
   * a queue that cannot be read: "failed".
   */
  private *receiveError(): Generator<Step, "icmp" | "local" | "foreign" | "failed", void> {
    const got = yield* this.recvmsg(8, MSG_ERRQUEUE | MSG_DONTWAIT, 512);
    if (got.ret < 0) return got.ret === -ERRNO.EAGAIN[0] || got.ret === -ERRNO.EINTR[0] ? "local" : "failed";
    const ee = got.cmsgs.find((c) => c.level === SOL_IP && c.type === IP_RECVERR)?.data;
    if (!ee) return "failed";
    const [eeErrno, origin, type, code, info] = [ee.getUint32(0, true), ee.getUint8(4), ee.getUint8(5), ee.getUint8(6), ee.getUint32(8, true)];
    if (origin === SO_EE_ORIGIN_LOCAL) {
      this.errors++;
      this.ctx.err(eeErrno === ERRNO.EMSGSIZE[0] ? `ping: local error: message too long, mtu=${info}\n` : `ping: local error: ${strerror(eeErrno)}\n`);
      return "local";
    }
    if (origin !== SO_EE_ORIGIN_ICMP || got.ret < 8 || got.from !== this.dst || got.data[0] !== ICMP_ECHO) return "foreign";
    const seq = get16(got.data, 6);
    this.acknowledge(seq);
    this.errors++;
    const offender = ee.getUint32(16 + 4, false);
    this.ctx.out(`From ${formatIp(offender)} icmp_seq=${seq} ${icmpText(type, code, info)}\n`);
    return "icmp";
  }

  /** acknowledge(): how far behind the last request this answer is tells how many were out at once. */
  private acknowledge(seq: number): void {
    const diff = (this.transmitted - seq) & 0xffff;
    if (diff <= 0x7fff) this.pipesize = Math.max(this.pipesize, diff + 1);
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
    this.acknowledge(seq);
    const ttlText = ttl >= 0 ? ` ttl=${ttl}` : "";
    this.ctx.out(`${msg.length} bytes from ${formatIp(this.dst)}: icmp_seq=${seq}${ttlText} time=${formatMs(us)} ms\n`);
  }

  /** The statistics iputils prints at the end, the last line ending whatever it holds (rtt, pipe, or nothing). */
  summary(elapsedMs: number): void {
    const loss = this.transmitted ? ((this.transmitted - this.received) * 100) / this.transmitted : 0;
    const errors = this.errors ? `, +${this.errors} errors` : "";
    this.ctx.out(`\n--- ${formatIp(this.dst)} ping statistics ---\n`);
    this.ctx.out(`${this.transmitted} packets transmitted, ${this.received} received${errors}, ${Number(loss.toPrecision(6))}% packet loss, time ${Math.round(elapsedMs)}ms\n`);
    const last: string[] = [];
    if (this.rtts.length > 0) {
      const min = Math.min(...this.rtts);
      const max = Math.max(...this.rtts);
      const avg = this.rtts.reduce((a, b) => a + b, 0) / this.rtts.length;
      const mdev = Math.sqrt(this.rtts.reduce((a, b) => a + b * b, 0) / this.rtts.length - avg * avg);
      last.push(`rtt min/avg/max/mdev = ${ms3(min)}/${ms3(avg)}/${ms3(max)}/${ms3(mdev)} ms`);
    }
    if (this.pipesize > 1) last.push(`pipe ${this.pipesize}`);
    this.ctx.out(`${last.join(", ")}\n`);
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
    yield* libc.callBuffers(SYSCALLS.setsockopt, [fd, SOL_IP, IP_RECVERR, on, 4]);
    yield* libc.callBuffers(SYSCALLS.setsockopt, [fd, SOL_IP, IP_RECVTTL, on, 4]);
    ctx.out(`PING ${target} (${target}) ${opts.size}(${opts.size + 28}) bytes of data.\n`);
    const p = new Pinger(ctx, fd, dst, opts);
    const start = ctx.kernel.clock.nowNs;
    // The summary's time runs to the last request sent (iputils' cur_time), not to the end of the wait.
    let lastSent = start;
    let more = true;
    for (let seq = 1; more && !p.done && (opts.count === 0 || seq <= opts.count); seq++) {
      lastSent = ctx.kernel.clock.nowNs;
      yield* p.send(seq);
      const last = opts.count !== 0 && seq === opts.count;
      more = yield* p.receive(last ? opts.waitS * 1000 : opts.intervalS * 1000);
    }
    p.summary((lastSent - start) / 1e6);
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
