// CONFIG_DEBUG_SPINLOCK's reports (kernel/locking/spinlock_debug.c): the cold path of a module's spinlocks
// and rwlocks.
//
// The locks themselves are inline code in the module (abi/include/spinlock.ts, rwlock.ts) on the lock in its
// own memory; when one of their checks fails they call spin_bug, which logs spin_dump()'s two lines, or
// rwlock_bug, which logs its one, and each ends in BUG(): the module oopses and the kernel and other modules
// go on. Linux reports and carries on instead (a recursive lock then spins for ever on SMP); a sandbox stops
// the module whose lock is broken.

import { STRUCTS } from "../../../abi/kernel.js";
import { LOGLEVELS } from "../../../abi/kern_levels.js";
import { SPINLOCK_OWNER_INIT } from "../../../abi/spinlock.js";
import { layoutStruct } from "../../../abi/types.js";
import { hex } from "../../mm/maccess.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { currentOrNull } from "../sched.js";
import { ModuleBug, readStructOrTrap } from "../traps.js";

const SPINLOCK = layoutStruct("spinlock_t", STRUCTS.spinlock_t);
const RWLOCK = layoutStruct("rwlock_t", STRUCTS.rwlock_t);

/** What the report needs from the kernel. */
export interface SpinDumpContext {
  printk(message: string, level: number): number;
  /** The task module code runs for outside a system call (insmod, rmmod). */
  readonly comm: string;
}

/** The task module code runs for, as comm and pid. */
function runningTask(k: SpinDumpContext): { comm: string; pid: number } {
  const task = currentOrNull();
  return { comm: task?.comm ?? k.comm, pid: task?.pid ?? 1 };
}

/** spin_dump(): which check failed, for which task, and the lock's debug fields. */
function spinDump(k: SpinDumpContext, mod: Module, lock: number, msg: string): void {
  const fields = readStructOrTrap(mod.memory, lock, SPINLOCK);
  const { comm, pid } = runningTask(k);
  // The fast path cannot name the task that took the lock (that would cost a call): on one CPU without
  // preemption it is the task running module code, so a held lock's owner is shown as that one.
  const owner = fields.owner !== 0 && fields.owner !== SPINLOCK_OWNER_INIT ? `${comm}/${pid}` : "<none>/-1";
  const emerg = (m: string) => k.printk(m, LOGLEVELS.KERN_EMERG);
  emerg(`BUG: spinlock ${msg} on CPU#0, ${comm}/${pid}`);
  emerg(` lock: 0x${lock.toString(16)}, .magic: ${hex(fields.magic!)}, .owner: ${owner}, .owner_cpu: ${fields.owner_cpu! | 0}`);
}

/** rwlock_bug(): which check failed, for which task, on which lock (%p). */
function rwlockBug(k: SpinDumpContext, mod: Module, lock: number, msg: string): void {
  // Linux prints only the address; a lock outside the module's memory still traps, as spin_dump's read does.
  readStructOrTrap(mod.memory, lock, RWLOCK);
  const { comm, pid } = runningTask(k);
  k.printk(`BUG: rwlock ${msg} on CPU#0, ${comm}/${pid}, ${(lock >>> 0).toString(16).padStart(8, "0")}`, LOGLEVELS.KERN_EMERG);
}

/** spin_bug and rwlock_bug as module `mod` imports them. */
export function spinlockSymbols(k: SpinDumpContext, mod: Module): Pick<KernelFunctions, "spin_bug" | "rwlock_bug"> {
  return {
    spin_bug(lock, msgPtr) {
      spinDump(k, mod, lock, readMessage(mod, msgPtr));
      throw new ModuleBug("", "", 0);
    },
    rwlock_bug(lock, msgPtr) {
      rwlockBug(k, mod, lock, readMessage(mod, msgPtr));
      throw new ModuleBug("", "", 0);
    },
  };
}

/** A check's text ("recursion", "bad magic", "lock->magic != lock"), as a module's inline lock code passes it. */
export function readMessage(mod: Module, ptr: number): string {
  try {
    return mod.memory.readString(ptr, 64);
  } catch {
    return "";
  }
}
