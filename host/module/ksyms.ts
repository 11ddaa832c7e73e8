// The base kernel's exported functions, implemented: one binding per importing module.
//
// KernelFunctions is derived from abi/kernel.ts, so tsc refuses this file when a symbol is added there
// or its prototype changes without the implementation following.

import { KERNEL_SYMBOLS, STRUCTS } from "../../abi/kernel.js";
import { layoutStruct } from "../../abi/types.js";
import { KernelError, refusal } from "../kernel/error.js";
import { LOG_LINE_MAX, PRINTK_FORMAT_MAX } from "../kernel/printk.js";
import type { Taint } from "../kernel/panic.js";
import { warn } from "../kernel/traps.js";
import { vsprintf } from "../lib/vsprintf.js";
import { dPathSymbols } from "../fs/d_path.js";
import type { Devices } from "../drivers/base/core.js";
import { irqSymbols, type IrqController } from "../irq/manage.js";
import type { Kunit } from "../lib/kunit/executor.js";
import type { IoPorts } from "../kernel/resource.js";
import { timerSymbols, type Clock, type KernelTimer } from "../kernel/time/timer.js";
import type { WaitRegistry } from "../kernel/wait.js";
import type { Idr } from "../lib/idr.js";
import { chrdevSymbols, type CharDevices } from "../fs/char_dev.js";
import type { ModuleFilesystems } from "../fs/module_ops.js";
import type { ModuleDisks } from "../block/module_ops.js";
import type { ModuleNetdevs } from "../net/core/module_ops.js";
import type { ModuleBuffers } from "../fs/buffer.js";
import type { BackingFiles } from "../block/backing.js";
import type { HostfsUser } from "../fs/hostfs/hostfs_user.js";
import type { ModuleTtys } from "../drivers/tty/module_ops.js";
import type { ModuleBinfmts } from "../fs/binfmt_module.js";
import type { Vfs } from "../fs/vfs.js";
import { syscallSymbols, type SyscallTable } from "../kernel/syscalls.js";
import { uaccessSymbols } from "../mm/uaccess.js";
import { SLAB_SYMBOLS } from "../mm/slub.js";
import { mutexDebugSymbols } from "../kernel/locking/mutex_debug.js";
import { spinlockSymbols } from "../kernel/locking/spinlock_debug.js";
import { listDebugSymbols } from "../lib/list_debug.js";
import type { KernelCore } from "../kernel/core.js";
import type { Gate } from "./fnptr.js";
import { withArity } from "./arity.js";
import type { Module } from "./internal.js";

/** The TypeScript value of an ABI type as it crosses the wasm boundary. */
type HostValue<T> = T extends "void" ? void : T extends "i64" | "u64" ? bigint : T extends "bool" ? boolean : number;
type HostParams<P> = { -readonly [K in keyof P]: P[K] extends readonly [string, infer T] ? HostValue<T> : never };
type Symbols = typeof KERNEL_SYMBOLS;
type FuncName = { [K in keyof Symbols]: Symbols[K] extends { kind: "func" } ? K : never }[keyof Symbols];

/** The host implementation every base-kernel function symbol must have, typed from abi/. */
export type KernelFunctions = {
  [K in FuncName]: (...args: HostParams<Symbols[K]["params"]>) => HostValue<Symbols[K]["ret"]>;
};

/** What the implementations need from the kernel. */
export interface KsymContext {
  readonly syscalls: SyscallTable;
  readonly vfs: Vfs;
  readonly moduleFilesystems: ModuleFilesystems;
  readonly moduleBinfmts: ModuleBinfmts;
  readonly moduleDisks: ModuleDisks;
  readonly net: { readonly modules: ModuleNetdevs };
  readonly moduleBuffers: ModuleBuffers;
  readonly backingFiles: BackingFiles;
  readonly hostfs: HostfsUser;
  readonly moduleTtys: ModuleTtys;
  readonly chrdevs: CharDevices;
  readonly devices: Devices;
  readonly ioports: IoPorts;
  readonly irqs: IrqController;
  readonly clock: Clock;
  /** The symbols implemented in wasm, bound to modules in place of their JS implementations. */
  readonly core: KernelCore;
  /** `slub_debug` on the command line: every kmalloc and kfree takes the checked path (host/mm/slab.ts). */
  readonly slubDebug: boolean;
  readonly timers: Idr<KernelTimer>;
  readonly waits: WaitRegistry;
  readonly kunit: Kunit;
  /** The loader's gate, for calls back into module code. */
  callModule: Gate;
  printk(message: string, level: number): number;
  warn(message: string): void;
  readonly taint: Taint;
  /** The task on whose behalf module code runs, for Oops and WARNING reports. */
  readonly comm: string;
  moduleByHandle(handle: number): Module | undefined;
  /** Wall-clock time in nanoseconds. */
  realtimeNs(): bigint;
}

const TIMESPEC64 = layoutStruct("timespec64", STRUCTS.timespec64);

/** Some of the base kernel's functions as module `mod` imports them: one subsystem's, typically. */
type SymbolGroup = (k: KsymContext, mod: Module) => Partial<KernelFunctions>;

/** The exports of each subsystem (EXPORT_SYMBOL beside the code), and the loader's own. */
const GROUPS = [
  (_k: KsymContext, mod: Module) => uaccessSymbols(mod),
  (k: KsymContext, mod: Module) => syscallSymbols(k.syscalls, mod, k.callModule.bind(k)),
  (k: KsymContext, mod: Module) => dPathSymbols(k.vfs, mod),
  (k: KsymContext, mod: Module) => k.moduleFilesystems.symbols(mod),
  (k: KsymContext, mod: Module) => k.moduleBinfmts.symbols(mod),
  (k: KsymContext, mod: Module) => k.moduleDisks.symbols(mod),
  (k: KsymContext, mod: Module) => k.net.modules.symbols(mod),
  (k: KsymContext, mod: Module) => k.moduleBuffers.symbols(mod),
  (k: KsymContext, mod: Module) => k.backingFiles.symbols(mod),
  (k: KsymContext, mod: Module) => k.hostfs.symbols(mod),
  (k: KsymContext, mod: Module) => k.net.modules.symbols(mod),
  (k: KsymContext, mod: Module) => k.moduleTtys.symbols(mod),
  (k: KsymContext, mod: Module) => chrdevSymbols(k.chrdevs, (m, p) => k.moduleFilesystems.fileOperations(m, p), mod),
  (k: KsymContext, mod: Module) => k.devices.symbols(mod),
  (k: KsymContext, mod: Module) => k.ioports.symbols(mod),
  (k: KsymContext, mod: Module) => irqSymbols(k.irqs, mod, k.callModule.bind(k)),
  (k: KsymContext, mod: Module) => timerSymbols(k.clock, k.timers, mod, k.callModule.bind(k)),
  (k: KsymContext, mod: Module) => k.waits.symbols(mod, (m) => k.warn(m)),
  (k: KsymContext, mod: Module) => k.kunit.symbols(mod, (fmt, args) => printkFormat(k, mod, fmt, args)),
  (k: KsymContext, mod: Module) => spinlockSymbols(k, mod),
  (k: KsymContext, mod: Module) => mutexDebugSymbols(k, mod),
  (k: KsymContext, mod: Module) => listDebugSymbols(k, mod),
  coreSymbols,
] as const satisfies readonly SymbolGroup[];

/** U1 | U2 as U1 & U2: what the groups provide together. */
type Together<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type Provided = Together<ReturnType<(typeof GROUPS)[number]>>;

/** The base-kernel functions as module `mod` imports them, every one (tsc refuses a symbol no group provides). */
export function kernelFunctions(k: KsymContext, mod: Module): KernelFunctions {
  const all: Provided = Object.assign({}, ...GROUPS.map((group) => group(k, mod)));
  return all;
}

/** Which group provides each symbol: learnt from the first binding in the process, the groups' keys being fixed. */
let groupOf: ReadonlyMap<string, SymbolGroup> | undefined;

/**
 * The base-kernel functions `names` (what a module imports) as module `mod` imports them: the kernel
 * core's wasm functions where it has them, else the groups that provide them, and only those, so a module
 * importing printk and kmalloc does not pay for closures over block devices and filesystems. A name no
 * group provides is absent from the result. `arity` (the parameters the module declares for a name) fits
 * each JS function to its import (./arity.ts).
 */
export function bindKernelSymbols(
  k: KsymContext,
  mod: Module,
  names: Iterable<string>,
  arity: (name: string) => number | undefined = () => undefined,
): ReadonlyMap<string, WebAssembly.ImportValue> {
  const wanted = [...names];
  const core = k.core.bind(mod.ref, wanted, () => ({
    get: (handle) => getReference(mod, k.moduleByHandle(handle), handle),
    put: (handle) => putReference(k, mod, handle),
  }));
  // As Linux's debug caches skip SLUB's fast path, slub_debug binds no per-module fast path.
  const slab = !k.slubDebug && wanted.some((name) => SLAB_SYMBOLS.has(name)) ? mod.slab.fastPath()?.symbols : undefined;
  for (const [name, fn] of slab ?? []) if (wanted.includes(name)) core.set(name, fn);
  const bound = bindGroups(k, mod, wanted.filter((name) => !core.has(name)));
  for (const [name, fn] of bound) bound.set(name, withArity(fn, arity(name)));
  for (const [name, fn] of core) bound.set(name, fn);
  return bound;
}

function bindGroups(k: KsymContext, mod: Module, names: readonly string[]): Map<string, WebAssembly.ImportValue> {
  const bound = new Map<string, WebAssembly.ImportValue>();
  if (!groupOf) {
    const learnt = new Map<string, SymbolGroup>();
    for (const group of GROUPS) {
      for (const [name, fn] of Object.entries(group(k, mod))) {
        learnt.set(name, group);
        bound.set(name, fn as WebAssembly.ImportValue);
      }
    }
    groupOf = learnt;
    return bound;
  }
  const groups = new Set<SymbolGroup>();
  for (const name of names) {
    const group = groupOf.get(name);
    if (group) groups.add(group);
  }
  for (const group of groups) for (const [name, fn] of Object.entries(group(k, mod))) bound.set(name, fn as WebAssembly.ImportValue);
  return bound;
}

/** The loader's own symbols and the core's: printk, kmalloc, module references, the clock. */
function coreSymbols(
  k: KsymContext,
  mod: Module,
): Pick<
  KernelFunctions,
  "_printk" | "netdev_printk" | "kmalloc" | "kzalloc" | "kfree" | "ksize" | "try_module_get" | "module_put" | "module_refcount" | "ktime_get_real_ts64"
> {
  const efault = (sym: string, e: unknown): number => {
    if (e instanceof KernelError) k.warn(`${mod.name}: ${sym}: ${e.message} (EFAULT)`);
    return refusal(e);
  };
  const format = (fmt: number, args: readonly number[]) => printkFormat(k, mod, fmt, args);
  return {
    _printk(level, fmt, ...args) {
      try {
        return k.printk(format(fmt, args), level);
      } catch (e) {
        return efault("printk", e);
      }
    },
    netdev_printk(level, dev, fmt, ...args) {
      try {
        return k.printk(`${k.net.modules.deviceName(mod, dev)}: ${format(fmt, args)}`, level);
      } catch (e) {
        return efault("netdev_printk", e);
      }
    },
    kmalloc: (size, flags) => mod.slab.kmalloc(size >>> 0, flags >>> 0),
    kzalloc: (size, flags) => mod.slab.kmalloc(size >>> 0, (flags | 0x100) >>> 0),
    kfree: (ptr) => mod.slab.kfree(ptr >>> 0),
    ksize: (ptr) => mod.slab.ksize(ptr >>> 0),
    try_module_get: (handle) => getReference(mod, k.moduleByHandle(handle), handle),
    module_put: (handle) => putReference(k, mod, handle),
    module_refcount: (handle) => {
      const target = k.moduleByHandle(handle);
      return target ? moduleRefcount(target) : -22;
    },
    ktime_get_real_ts64(ts) {
      try {
        const view = mod.memory.view(ts, TIMESPEC64.size);
        const ns = k.realtimeNs();
        view.setBigInt64(TIMESPEC64.fields[0]!.offset, ns / 1_000_000_000n, true);
        view.setBigInt64(TIMESPEC64.fields[1]!.offset, ns % 1_000_000_000n, true);
      } catch (e) {
        efault("ktime_get_real_ts64", e);
      }
    },
  };
}

/** vsprintf() of a module's format string and argument slots into one record's room; EFAULT for a bad format pointer. */
function printkFormat(k: KsymContext, mod: Module, fmt: number, args: readonly number[]): string {
  const format = mod.memory.readString(fmt, PRINTK_FORMAT_MAX);
  const clamped = (site: string, message: string) => warnOnce(k, `lib/vsprintf.c ${site}`, message);
  return vsprintf(format, args, (p, max) => safeString(mod, p, max), { size: LOG_LINE_MAX, warn: clamped });
}

/** A %s argument's first max characters and its length; null when it is not a string in the module's memory. */
function safeString(mod: Module, ptr: number, max: number): { text: string; length: number } | null {
  try {
    return { text: mod.memory.readString(ptr, max), length: mod.memory.stringLength(ptr) };
  } catch {
    return null;
  }
}

/** The WARN_ONCE()s each kernel has given, by site. */
const warned = new WeakMap<KsymContext, Set<string>>();

/** WARN_ONCE(): the first time a site warns in this kernel, a WARNING report (taint W); later times, nothing. */
function warnOnce(k: KsymContext, where: string, message: string): void {
  const sites = warned.get(k) ?? new Set<string>();
  warned.set(k, sites);
  if (sites.has(where)) return;
  sites.add(where);
  warn({ log: (level, m) => void k.printk(m, level), taint: k.taint, comm: k.comm }, where, message, new Error());
}

/** module_refcount() as lsmod shows it: -1 once unloading has begun. */
export function moduleRefcount(mod: Module): number {
  return mod.state === "GOING" ? -1 : mod.refcnt;
}

/** try_module_get(): NULL (0) always succeeds; a module going away or dead refuses. Taking it is a use. */
export function tryModuleGet(mod: Module | undefined, handle: number): boolean {
  if (handle === 0) return true;
  if (!mod || mod.dead || mod.state === "GOING" || mod.state === "UNFORMED") return false;
  mod.refcnt++;
  mod.visited = true;
  return true;
}

/** module_put() of a reference known to be held: dropping it is a use too (MOD_VISITED). */
export function moduleRelease(mod: Module): void {
  mod.refcnt--;
  mod.visited = true;
}

/** try_module_get() as a module calls it: the reference is recorded as the caller's, for its module_put. */
function getReference(caller: Module, target: Module | undefined, handle: number): boolean {
  if (!tryModuleGet(target, handle)) return false;
  if (target) caller.held.take(target);
  return true;
}

/**
 * module_put() as a module calls it: it may drop only a reference it took itself. Any other put (one
 * that would drop a reference an open file, a mount or another module holds) is refused with a warning
 * naming the caller, and the count is untouched.
 */
function putReference(k: KsymContext, caller: Module, handle: number): void {
  if (handle === 0) return;
  const target = k.moduleByHandle(handle);
  if (!target || !caller.held.drop(target)) {
    k.warn(`${caller.name}: module_put of ${target ? target.name : `unknown module ${handle}`} without a reference`);
    return;
  }
  moduleRelease(target);
}

/** The references a module still holds as it goes, dropped: a line per module they were on. */
export function dropReferences(mod: Module, byHandle: (handle: number) => Module | undefined): string[] {
  return mod.held.drain(byHandle).map(([target, n]) => {
    for (let i = 0; i < n; i++) moduleRelease(target);
    return `${n} reference(s) on module ${target.name} still held at unload; dropped`;
  });
}
