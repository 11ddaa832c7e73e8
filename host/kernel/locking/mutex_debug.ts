// CONFIG_DEBUG_MUTEXES's and lockdep's reports on a module's mutexes (kernel/locking/mutex-debug.c, the
// DEBUG_LOCKS_WARN_ON of include/linux/debug_locks.h, lockdep.c's print_deadlock_bug): their cold path.
//
// The mutexes are inline code in the module (abi/include/mutex.ts). Linux warns and carries on after a
// DEBUG_LOCKS_WARN_ON, and after lockdep's recursive-locking report the task sleeps for ever on its own
// mutex; a sandbox cannot let a module run on with a broken mutex or hold the kernel, so both end in BUG():
// the module oopses and the kernel and other modules go on.

import { LOGLEVELS } from "../../../abi/kern_levels.js";
import { STRUCTS } from "../../../abi/kernel.js";
import { layoutStruct } from "../../../abi/types.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { currentOrNull } from "../sched.js";
import { ModuleBug, readStructOrTrap, warn, type WarnContext } from "../traps.js";
import { readMessage } from "./spinlock_debug.js";

const MUTEX = layoutStruct("mutex", STRUCTS.mutex);

/** What the reports need from the kernel. */
export interface MutexDebugContext extends Pick<WarnContext, "taint" | "comm"> {
  printk(message: string, level: number): number;
}

/**
 * print_deadlock_bug(): the task takes a mutex it holds.
 * Lock classes have no names here: the address stands for one.
 */
function printDeadlockBug(k: MutexDebugContext, lock: number): void {
  const task = currentOrNull();
  const who = `${task?.comm ?? k.comm}/${task?.pid ?? 1}`;
  const name = (lock >>> 0).toString(16).padStart(8, "0");
  for (const line of [
    "", "============================================", "WARNING: possible recursive locking detected",
    "--------------------------------------------", `${who} is trying to acquire lock:`, `${name} (${name})`,
    "", "but task is already holding lock:", `${name} (${name})`, "", "other info that might help us debug this:",
    " Possible unsafe locking scenario:", "", "       CPU0", "       ----", `  lock(${name});`, `  lock(${name});`,
    "", " *** DEADLOCK ***", "", " May be due to missing lock nesting notation", "",
  ]) k.printk(line, LOGLEVELS.KERN_WARNING);
}

/** debug_locks_warn_on and print_deadlock_bug as module `mod` imports them. */
export function mutexDebugSymbols(
  k: MutexDebugContext,
  mod: Module,
): Pick<KernelFunctions, "debug_locks_warn_on" | "print_deadlock_bug"> {
  const log = (level: number, m: string) => void k.printk(m, level);
  return {
    debug_locks_warn_on(where, cond) {
      const message = `DEBUG_LOCKS_WARN_ON(${readMessage(mod, cond)})`;
      warn({ log, taint: k.taint, comm: k.comm }, readMessage(mod, where), message, new Error());
      throw new ModuleBug("", "", 0);
    },
    print_deadlock_bug(lock) {
      readStructOrTrap(mod.memory, lock, MUTEX);
      printDeadlockBug(k, lock);
      throw new ModuleBug("", "", 0);
    },
  };
}
