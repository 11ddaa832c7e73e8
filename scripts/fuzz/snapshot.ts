// The kernel state a refused insmod (or an insmod and its rmmod) must leave exactly as it was: what the
// tests' expectRefused() and the fuzzer compare before and after.

import { NR_SYSCALLS } from "../../abi/syscalls.js";
import type { Kernel } from "../../host/init/main.js";

export interface Snapshot {
  /** /proc/tty/drivers and /proc/tty/ldiscs. */
  readonly tty: string;
  /** /proc/modules: what lsmod shows. */
  readonly modules: string;
  readonly kallsyms: string;
  readonly refcnts: readonly (readonly [string, number])[];
  /** kmalloc accounting: the bytes every module holds. */
  readonly slabBytes: number;
  /** Every path under /sys/module. */
  readonly sysModule: readonly string[];
  /** The names in /dev. */
  readonly dev: readonly string[];
  /** The resources modules register: majors, IRQ actions, I/O ports, filesystem types. */
  readonly devices: string;
  /** The disks and partitions drivers added (/proc/partitions). */
  readonly partitions: string;
  readonly interrupts: string;
  readonly ioports: string;
  readonly filesystems: string;
  /** Slots holding a module's system call handler, with their owners. */
  readonly syscalls: readonly string[];
  readonly timers: number;
  readonly waitQueues: number;
  /** Net devices and their counters (/proc/net/dev), /sys/class/net, and each device's flags, addresses and routes. */
  readonly netdev: string;
  readonly sysClassNet: readonly string[];
  readonly inet: readonly string[];
}

export function snapshot(k: Kernel): Snapshot {
  const mods = k.modules.list();
  return {
    modules: k.read("/proc/modules"),
    kallsyms: k.read("/proc/kallsyms"),
    refcnts: mods.map((m) => [m.name, m.refcnt] as const),
    slabBytes: mods.reduce((n, m) => n + m.slab.bytes, 0),
    sysModule: kernfsTree(k, "/sys/module"),
    dev: devNames(k),
    devices: k.read("/proc/devices"),
    partitions: k.read("/proc/partitions"),
    interrupts: k.read("/proc/interrupts"),
    ioports: k.read("/proc/ioports"),
    filesystems: k.read("/proc/filesystems"),
    syscalls: Array.from({ length: NR_SYSCALLS }, (_, nr) => `${nr}: ${k.syscalls.owners(nr).join(" ")}`).filter((s) => !/: (kernel)?$/.test(s)),
    timers: k.timers.size,
    waitQueues: k.waits.queues.size,
    tty: k.read("/proc/tty/drivers") + k.read("/proc/tty/ldiscs"),
    netdev: k.read("/proc/net/dev"),
    sysClassNet: kernfsTree(k, "/sys/class/net"),
    inet: [
      ...k.net.core.list().map((d) => `${d.name} ${d.flags} ${d.mtu} ${[...d.addr].join(":")}`),
      ...k.net.devinet.list().map((a) => `${a.dev.name} ${a.local}/${a.prefixlen}`),
      ...k.net.fib.routes().map((r) => `${r.dst}/${r.prefixlen} ${r.gateway} ${r.dev.name}`),
    ],
  };
}

/** The paths under dir in kernfs, depth first, each directory's names sorted. */
function kernfsTree(k: Kernel, dir: string): string[] {
  return k.kernfs.list(dir).flatMap((name) => {
    const path = `${dir}/${name}`;
    return k.kernfs.node(path)?.kind === "dir" ? [path, ...kernfsTree(k, path)] : [path];
  });
}

/** /dev as a task lists it (a task made for the purpose, gone again afterwards). */
function devNames(k: Kernel): string[] {
  const libc = k.spawn("snapshot");
  try {
    return libc.readdir("/dev").map((e) => e.name).filter((n) => n !== "." && n !== "..");
  } finally {
    k.tasks.exit(libc.task);
  }
}

/** The fields of two snapshots that differ ([] when they are the same). */
export function changedFields(before: Snapshot, after: Snapshot): string[] {
  return (Object.keys(before) as (keyof Snapshot)[]).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}
