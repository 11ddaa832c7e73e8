// Networking: the round trip of a ping (an ICMP echo through a ping socket) and UDP throughput (1472-byte
// datagrams, the most one Ethernet frame carries), between two kernels whose NE2000s share an in-process
// wire (the ne driver, remote DMA, ARP, IPv4, interrupts on both sides), next to the same over lo.
//
// Both sides answer at once: a frame that crosses the wire is served by the other kernel before the
// sender's system call returns, so a round trip is two passes through the stack, the drivers and the
// cards. Figures are wall time: µs a round trip (lower is better), MB/s of datagrams received.

import { SYSCALLS } from "../../abi/syscalls.js";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { ipChecksum, put16 } from "../../host/net/ipv4/inet.js";
import { MSG_DONTWAIT, sockaddrIn } from "../../host/net/socket.js";
import type { Libc } from "../../host/user/nolibc.js";
import { stats } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";

const PAYLOAD = 1472;

function kernelOn(wire: string, mac: string, addr: string): Kernel {
  const k = new Kernel();
  const sh = new Session(k, () => {}, (t) => {
    throw new Error(`bench: ${t}`);
  });
  for (const line of [`hw attach ne2000 mac=${mac} net=${wire}`, "modprobe ne", "ip link set eth0 up", `ip addr add ${addr}/24 dev eth0`]) sh.exec(line);
  return k;
}

/** A system call that must succeed, with its buffers in the task's memory at fixed places. */
function sys(libc: Libc, nr: number, ...args: number[]): number {
  const r = libc.syscall(nr, ...args);
  if (r < 0) throw new Error(`bench: system call ${nr} failed with ${r}`);
  return r;
}

function put(libc: Libc, data: Uint8Array): number {
  const p = libc.task.mm.sbrk(data.length);
  libc.task.mm.bytes(p, data.length).set(data);
  return p;
}

/** A ping socket of libc's task, with a 64-byte echo request to dst and a 128-byte buffer for the reply in its memory. */
export function pingSocket(libc: Libc, dst: number): { fd: number; msg: number; len: number; to: number; buf: number } {
  const fd = sys(libc, SYSCALLS.socket, 2, 2, 1);
  const echo = new Uint8Array(64);
  echo[0] = 8;
  put16(echo, 2, ipChecksum(echo));
  return { fd, msg: put(libc, echo), len: echo.length, to: put(libc, sockaddrIn(dst)), buf: libc.task.mm.sbrk(128) };
}

/** n echo round trips from libc to dst; µs each. */
function pings(libc: Libc, dst: number, n: number): () => number {
  const { fd, msg, len, to, buf } = pingSocket(libc, dst);
  return () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      sys(libc, SYSCALLS.sendto, fd, msg, len, 0, to, 16);
      sys(libc, SYSCALLS.recvfrom, fd, buf, 128, MSG_DONTWAIT, 0, 0);
    }
    return ((performance.now() - t0) * 1000) / n;
  };
}

/** n datagrams from `from` to a socket of `to` on port, each received there; MB/s received. */
function udp(from: Libc, to: Libc, dst: number, port: number, n: number): () => number {
  const tx = sys(from, SYSCALLS.socket, 2, 2, 0);
  const rx = sys(to, SYSCALLS.socket, 2, 2, 0);
  sys(to, SYSCALLS.bind, rx, put(to, sockaddrIn(0, port)), 16);
  const data = put(from, new Uint8Array(PAYLOAD));
  const addr = put(from, sockaddrIn(dst, port));
  const buf = to.task.mm.sbrk(PAYLOAD);
  return () => {
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      sys(from, SYSCALLS.sendto, tx, data, PAYLOAD, 0, addr, 16);
      bytes += sys(to, SYSCALLS.recvfrom, rx, buf, PAYLOAD, MSG_DONTWAIT, 0, 0);
    }
    return bytes / 1e6 / ((performance.now() - t0) / 1000);
  };
}

export const net: BenchPath = {
  name: "net",
  async run(ctx) {
    const wire = `bench-${process.pid}`;
    const a = kernelOn(wire, "52:54:00:00:0b:01", "10.11.0.1");
    const b = kernelOn(wire, "52:54:00:00:0b:02", "10.11.0.2");
    const [la, lb] = [a.spawn("bench"), b.spawn("bench")];
    const n = ctx.quick ? 20 : 2000;
    const lo = 0x7f000001;
    const peer = 0x0a0b0002;
    const targets: Record<string, () => number> = {
      ping_wire: pings(la, peer, n), ping_lo: pings(la, lo, n),
      udp_wire: udp(la, lb, peer, 9000, n), udp_lo: udp(la, la, lo, 9001, n),
    };
    const runs = ctx.quick ? 2 : 7;
    const samples: Record<string, number[]> = {};
    for (let r = 0; r <= runs; r++) {
      for (const [name, fn] of Object.entries(targets)) {
        const v = fn();
        // The first round warms up (V8's tiers, ARP).
        if (r > 0) (samples[name] ??= []).push(v);
      }
    }
    for (const k of [a, b]) for (const d of [...k.machine.list()]) k.machine.detach(d.name);
    const label: Record<string, string> = {
      ping_wire: "ping round trip, two kernels over NE2000s on an in-process wire",
      ping_lo: "ping round trip over lo",
      udp_wire: `UDP throughput, ${PAYLOAD}-byte datagrams, two kernels over NE2000s on an in-process wire`,
      udp_lo: `UDP throughput, ${PAYLOAD}-byte datagrams, over lo`,
    };
    const figures: Figure[] = Object.entries(samples).map(([name, s]) => ({
      id: `net.${name}`, label: label[name]!, unit: name.startsWith("ping") ? "µs" : "MB/s", runs: s.length, iterations: n, stats: stats(s),
    }));
    return { figures };
  },
};
