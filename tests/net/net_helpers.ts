// Helpers for the network tests: kernels on a shared wire, and socket calls from a task with their
// buffers in its memory.

import { expect } from "vitest";
import { ERRNO } from "../../abi/errno.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliRunner, type CliResult } from "../helpers.js";

export type Run = (line: string) => Promise<CliResult>;

export const ok = async (run: Run, line: string): Promise<string> => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

let wires = 0;

/** A fresh in-process wire's name. */
export function wireName(tag: string): string {
  return `${tag}-${process.pid}-${wires++}`;
}

/** A kernel with an NE2000 on `net` (a wire name, or udp:...), the ne driver, and eth0 up with addr/24. */
export async function netHost(net: string, mac: string, addr: string): Promise<{ k: Kernel; run: Run }> {
  const k = new Kernel();
  const run = cliRunner(k);
  await ok(run, `hw attach ne2000 mac=${mac} net=${net}`);
  await ok(run, "modprobe ne");
  await ok(run, "ip link set eth0 up");
  await ok(run, `ip addr add ${addr}/24 dev eth0`);
  return { k, run };
}

/** Detach every device, closing the cards' wires. */
export function unplug(...ks: Kernel[]): void {
  for (const k of ks) for (const d of [...k.machine.list()]) k.machine.detach(d.name);
}

export function sockaddrIn(addr: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, 2, true);
  v.setUint16(2, port, false);
  addr.split(".").forEach((p, i) => (b[4 + i] = Number(p)));
  return b;
}

/** A system call whose buffer arguments are copied into the task's memory; returns the raw result. */
export function call(libc: Libc, name: keyof typeof SYSCALLS, ...args: (number | Uint8Array)[]): number {
  const mm = libc.task.mm;
  const ptrs = args.map((a) => {
    if (typeof a === "number") return a;
    const p = mm.sbrk(Math.max(a.length, 1));
    mm.bytes(p, a.length).set(a);
    return p;
  });
  return libc.syscall(SYSCALLS[name], ...ptrs);
}

/** A UDP socket of the task, bound to port when given. */
export function udpSocket(libc: Libc, port?: number): number {
  const fd = call(libc, "socket", 2, 2, 0);
  expect(fd).toBeGreaterThanOrEqual(0);
  if (port !== undefined) expect(call(libc, "bind", fd, sockaddrIn("0.0.0.0", port), 16)).toBe(0);
  return fd;
}

/** Wait (event loop turns) until something on k has bound UDP port `port`: a bind of it is then EADDRINUSE. */
export async function udpPortTaken(k: Kernel, port: number): Promise<void> {
  const probe = k.spawn("probe");
  try {
    for (;;) {
      const fd = udpSocket(probe);
      const bound = call(probe, "bind", fd, sockaddrIn("0.0.0.0", port), 16);
      expect(call(probe, "close", fd)).toBe(0);
      if (bound === -ERRNO.EADDRINUSE[0]) return;
      expect(bound).toBe(0);
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    k.tasks.exit(probe.task);
  }
}

export function sendto(libc: Libc, fd: number, text: string, addr: string, port: number): number {
  return call(libc, "sendto", fd, new TextEncoder().encode(text), text.length, 0, sockaddrIn(addr, port), 16);
}

/** The counters of a /proc/net/snmp section (Ip, Icmp, Udp), by name. */
export function snmp(k: Kernel, section: string): Record<string, number> {
  const lines = k.read("/proc/net/snmp").split("\n").filter((l) => l.startsWith(`${section}: `));
  const names = lines[0]!.split(" ").slice(1);
  const values = lines[1]!.split(" ").slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}
