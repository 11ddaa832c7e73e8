// start_kernel(): one kernel instance, its subsystems wired together and its /proc files registered.

import { LOGLEVEL_DEFAULT } from "../../abi/kern_levels.js";
import { Kernfs } from "../fs/kernfs.js";
import { Taint } from "../kernel/panic.js";
import { LogBuffer, LOG_BUF_LEN, type LogRecord } from "../kernel/printk.js";
import { registerKernelSysctls } from "../kernel/sysctl.js";
import { Kallsyms } from "../module/kallsyms.js";
import type { Module } from "../module/internal.js";
import { ModuleLoader, type LoaderContext, type LoadOptions } from "../module/main.js";
import { procModules } from "../module/procfs.js";

export interface KernelOptions {
  /** Microseconds since boot; defaults to the process's monotonic clock from the moment of boot. */
  readonly clockUsec?: () => number;
  /** Wall-clock nanoseconds, for ktime_get_real_ts64. */
  readonly realtimeNs?: () => bigint;
  /** Bytes of kmalloc memory each module may hold (default 8 MiB). */
  readonly kmallocCap?: number;
  /** The maximum of each module's linear memory, in 64 KiB pages (default 512: 32 MiB). */
  readonly memoryMaxPages?: number;
  readonly logBufLen?: number;
  /** The console: sees each record below the console log level as it is logged. */
  readonly console?: (record: LogRecord) => void;
}

export const DEFAULT_KMALLOC_CAP = 8 << 20;
export const DEFAULT_MEMORY_MAX_PAGES = 512;

export class Kernel implements LoaderContext {
  readonly log: LogBuffer;
  readonly taint = new Taint();
  readonly kernfs = new Kernfs();
  readonly kallsyms = new Kallsyms();
  readonly modules: ModuleLoader;
  readonly limits: LoaderContext["limits"];
  /** The task name Oops lines report: the command being run. */
  comm = "swapper/0";
  dieCounter = 0;
  private readonly realtime: () => bigint;

  constructor(opts: KernelOptions = {}) {
    const boot = performance.now();
    this.log = new LogBuffer(opts.clockUsec ?? (() => (performance.now() - boot) * 1000), opts.logBufLen ?? LOG_BUF_LEN, opts.console);
    this.realtime = opts.realtimeNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.limits = { kmallocCap: opts.kmallocCap ?? DEFAULT_KMALLOC_CAP, memoryMaxPages: opts.memoryMaxPages ?? DEFAULT_MEMORY_MAX_PAGES };
    this.modules = new ModuleLoader(this);
    this.kernfs.add("/proc/modules", { mode: 0o444, show: () => procModules(this.modules.list()) });
    this.kernfs.add("/proc/kallsyms", { mode: 0o444, show: () => this.kallsyms.show() });
    registerKernelSysctls(this.kernfs, this.taint, this.log.levels);
  }

  /** printk with an explicit level (LOGLEVEL_DEFAULT: from the message's KERN_* prefix). */
  printk(message: string, level: number = LOGLEVEL_DEFAULT): number {
    return this.log.printk(message, level);
  }

  warn(message: string): void {
    this.log.printk(message, 4);
  }

  moduleByHandle(handle: number): Module | undefined {
    return this.modules.byHandle(handle);
  }

  realtimeNs(): bigint {
    return this.realtime();
  }

  /** insmod: load a module binary; see ModuleLoader.load for the errors. */
  insmod(bytes: Uint8Array, opts: LoadOptions = {}): Module {
    return this.as("insmod", () => this.modules.load(bytes, opts));
  }

  /** rmmod: see ModuleLoader.unload for the errors. */
  rmmod(name: string, force = false): void {
    this.as("rmmod", () => this.modules.unload(name, force));
  }

  /** Read a /proc or /sys file. */
  read(path: string): string {
    return this.kernfs.read(path);
  }

  /** Write a /proc or /sys file, as `echo VALUE > PATH` does (VALUE with its newline). */
  write(path: string, buf: string): void {
    this.as("echo", () => this.kernfs.write(path, buf));
  }

  private as<T>(comm: string, fn: () => T): T {
    const saved = this.comm;
    this.comm = comm;
    try {
      return fn();
    } finally {
      this.comm = saved;
    }
  }
}
