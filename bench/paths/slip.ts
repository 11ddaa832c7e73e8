// SLIP: the round trip of a ping (an ICMP echo through a ping socket) between two kernels whose 16550As
// are joined by an in-process null-modem cable, both lines in SLIP (serial16550, the slip discipline,
// IPv4), at 115200 baud.
//
// With `timing=baud` a character takes its time on the line (10 bits, 86.8 µs), and both kernels' clocks
// are moved together in steps of STEP_NS until the answer is in: the round trip in simulated time (what
// a user of a daemon, whose simulated time follows the wall clock, waits), and the wall time the host
// took to simulate it. With instant timing the cable moves bytes at once, so the round trip is only the
// work of the two stacks, drivers and UARTs, in wall time (set beside net.ping_wire's NE2000s).

import { N_SLIP, TIOCSETD } from "../../abi/termios.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { O_RDWR } from "../../abi/fcntl.js";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { MSG_DONTWAIT } from "../../host/net/socket.js";
import type { Libc } from "../../host/user/nolibc.js";
import { stats } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";
import { pingSocket } from "./net.js";

/** How far both clocks move between looks for the answer: the simulated round trip's resolution. */
const STEP_NS = 10_000;
/** A round trip not done in this much simulated time is lost: the bench fails rather than spin. */
const GIVE_UP_NS = 1e9;

/** A kernel whose COM1, on `cable`, is in SLIP at 115200 baud as sl0 with addr/24, and a task to ping from. */
function kernelOn(cable: string, timing: "baud" | "instant", addr: string): { k: Kernel; libc: Libc } {
  const k = new Kernel();
  const sh = new Session(k, () => {}, (t) => {
    throw new Error(`bench: ${t}`);
  });
  sh.exec(`hw attach uart16550 line=${cable} timing=${timing}`);
  sh.exec("modprobe serial16550");
  const libc = k.spawn("bench");
  const int = new Uint8Array(4);
  new DataView(int.buffer).setInt32(0, N_SLIP, true);
  libc.ioctl(libc.open("/dev/ttyS0", O_RDWR), TIOCSETD, int);
  for (const line of ["stty -F /dev/ttyS0 115200", `ip addr add ${addr}/24 dev sl0`, "ip link set sl0 up"]) {
    if (sh.exec(line) !== 0) throw new Error(`bench: ${line} failed`);
  }
  return { k, libc };
}

/** One echo round trip from libc to dst, moving both kernels' clocks until the answer is in: simulated ns. */
function pinger(libc: Libc, dst: number, kernels: readonly Kernel[]): () => number {
  const { fd, msg, len, to, buf } = pingSocket(libc, dst);
  return () => {
    if (libc.syscall(SYSCALLS.sendto, fd, msg, len, 0, to, 16) !== len) throw new Error("bench: sendto failed");
    for (let waited = 0; waited < GIVE_UP_NS; waited += STEP_NS) {
      if (libc.syscall(SYSCALLS.recvfrom, fd, buf, 128, MSG_DONTWAIT, 0, 0) > 0) return waited;
      for (const k of kernels) k.tick(STEP_NS);
    }
    throw new Error(`bench: no answer over SLIP in ${GIVE_UP_NS / 1e9} s of simulated time`);
  };
}

/** Runs of n round trips: each run's mean simulated ms and wall ms a round trip. */
function measure(ping: () => number, runs: number, n: number): { simulated: number[]; wall: number[] } {
  const simulated: number[] = [];
  const wall: number[] = [];
  ping();
  for (let r = 0; r < runs; r++) {
    let sim = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sim += ping();
    wall.push((performance.now() - t0) / n);
    simulated.push(sim / 1e6 / n);
  }
  return { simulated, wall };
}

export const slip: BenchPath = {
  name: "slip",
  async run(ctx) {
    const runs = ctx.quick ? 2 : 7;
    const pair = (timing: "baud" | "instant") => {
      const cable = `bench-slip-${timing}-${process.pid}`;
      return [kernelOn(cable, timing, "10.12.0.1"), kernelOn(cable, timing, "10.12.0.2")] as const;
    };
    const [a, b] = pair("baud");
    const baud = measure(pinger(a.libc, 0x0a0c0002, [a.k, b.k]), runs, ctx.quick ? 2 : 10);
    const [c, d] = pair("instant");
    const instant = measure(pinger(c.libc, 0x0a0c0002, [c.k, d.k]), runs, ctx.quick ? 20 : 2000);
    for (const k of [a.k, b.k, c.k, d.k]) for (const dev of [...k.machine.list()]) k.machine.detach(dev.name);
    const figure = (id: string, label: string, unit: "ms" | "µs", samples: number[], iterations: number): Figure => ({
      id: `slip.${id}`, label, unit, runs: samples.length, iterations, stats: stats(samples),
    });
    return {
      figures: [
        figure("ping_115200_simulated", "ping round trip over SLIP at 115200 baud, simulated time", "ms", baud.simulated, ctx.quick ? 2 : 10),
        figure("ping_115200_wall", "ping round trip over SLIP at 115200 baud, wall time to simulate it", "ms", baud.wall, ctx.quick ? 2 : 10),
        figure("ping_instant", "ping round trip over SLIP, bytes moved at once, wall time", "µs", instant.wall.map((ms) => ms * 1000), ctx.quick ? 20 : 2000),
      ],
    };
  },
};
