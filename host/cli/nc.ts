// nc: a small netcat for UDP, as OpenBSD's nc takes it. `nc -u -l [-p] PORT [-W N]` binds the port and
// prints each datagram it receives (quitting after N with -W); `nc -u HOST PORT [-W N]` sends its
// standard input, a datagram per read, then prints up to N datagrams that come back.

import { strerror } from "../../abi/errno.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { parseIp } from "../net/ipv4/inet.js";
import { AF_INET, SOCK_DGRAM, sockaddrIn } from "../net/socket.js";
import type { Libc } from "../user/nolibc.js";
import { parseArgs, SCHEDULE, withUsage, type CliCommand, type CommandContext, type CommandSteps, type Step } from "./command.js";

/** The largest datagram nc reads at once. */
const BUFSIZE = 65536;

/** Print up to limit datagrams (0: until interrupted); the status: 1 if interrupted first. */
function* receive(ctx: CommandContext, fd: number, limit: number): CommandSteps {
  const decoder = new TextDecoder();
  for (let n = 0; limit === 0 || n < limit; n++) {
    const data = yield* readOne(ctx.libc, fd);
    // Interrupted before the datagrams asked for came (Ctrl-C, or nothing can come): a failure.
    if (data === null) return 1;
    ctx.out(decoder.decode(data));
    yield SCHEDULE;
  }
  return 0;
}

/** One datagram; null when the wait was interrupted. */
function* readOne(libc: Libc, fd: number): Generator<Step, Uint8Array | null, void> {
  const mm = libc.task.mm;
  const mark = mm.mark;
  try {
    const buf = mm.sbrk(BUFSIZE);
    const n = yield* libc.call(SYSCALLS.read, [fd, buf, BUFSIZE]);
    return n < 0 ? null : mm.bytes(buf, n).slice();
  } finally {
    mm.release(mark);
  }
}

function* nc(ctx: CommandContext, listen: boolean, host: string | undefined, port: number, limit: number): CommandSteps {
  const libc = ctx.libc;
  const fd = yield* libc.call(SYSCALLS.socket, [AF_INET, SOCK_DGRAM, 0]);
  if (fd < 0) {
    ctx.err(`nc: socket: ${strerror(-fd)}\n`);
    return 1;
  }
  try {
    if (listen) {
      const ret = yield* libc.callBuffers(SYSCALLS.bind, [fd, sockaddrIn(0, port), 16]);
      if (ret < 0) {
        ctx.err(`nc: bind failed: ${strerror(-ret)}\n`);
        return 1;
      }
      return yield* receive(ctx, fd, limit);
    }
    const addr = parseIp(host ?? "");
    if (addr === null) {
      ctx.err(`nc: getaddrinfo for host "${host}" port ${port}: Name or service not known\n`);
      return 1;
    }
    const conn = yield* libc.callBuffers(SYSCALLS.connect, [fd, sockaddrIn(addr, port), 16]);
    if (conn < 0) {
      ctx.err(`nc: connect to ${host} port ${port} (udp) failed: ${strerror(-conn)}\n`);
      return 1;
    }
    for (;;) {
      const data = yield* readOne(libc, 0);
      if (data === null || data.length === 0) break;
      const sent = yield* libc.callBuffers(SYSCALLS.write, [fd, data, data.length]);
      if (sent < 0) {
        ctx.err(`nc: write failed: ${strerror(-sent)}\n`);
        return 1;
      }
    }
    return limit > 0 ? yield* receive(ctx, fd, limit) : 0;
  } finally {
    libc.close(fd);
  }
}

export const ncCommand: CliCommand = {
  name: "nc",
  usage: "nc -u [-l] [-p PORT] [-W COUNT] [HOST] PORT",
  help: "send or receive UDP datagrams (OpenBSD netcat's -u)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("nc", args, ctx, (c) =>
        c.option("-u").option("-l").option("-p <port>").option("-W <count>").argument("[args...]"));
      const o = cmd.opts<{ u?: boolean; l?: boolean; p?: string; W?: string }>();
      const words = cmd.args;
      if (!o.u) {
        ctx.err("nc: only UDP (-u) is supported\n");
        return 1;
      }
      const portWord = o.l ? (o.p ?? words[0]) : words[1];
      const host = o.l ? undefined : words[0];
      const port = Number(portWord);
      if (portWord === undefined || !/^\d+$/.test(portWord) || port < 1 || port > 65535) {
        ctx.err(`nc: port number invalid: ${portWord ?? ""}\n`);
        return 1;
      }
      const limit = o.W === undefined ? 0 : Number(o.W);
      if (!Number.isInteger(limit) || limit < 0) {
        ctx.err(`nc: recvlimit is invalid: ${o.W}\n`);
        return 1;
      }
      return nc(ctx, o.l === true, host, port, limit);
    }),
};
