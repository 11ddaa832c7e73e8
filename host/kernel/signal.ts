// Signals (kernel/signal.c), as far as this kernel delivers them: the terminal's SIGINT, a daemon client
// that goes away (SIGHUP), halt's SIGKILL, the watchdog's SIGKILL for a task it stops.
//
// There are no handlers: every signal sent here is fatal by default, so a pending signal interrupts the
// task's waiting system call (-EINTR, see host/user/nolibc.ts) and ends the command on its next return to
// user space, with status 128 + the signal, as bash reports a child killed by it.

import type { Task } from "./sched.js";

/** send_sig(): mark it pending and, as signal_wake_up() does, wake the task if it sleeps. */
export function sendSignal(task: Task, sig: number): void {
  task.sigpending |= 1 << (sig - 1);
  if (task.sleeping) task.wake();
}

/** signal_pending(). */
export function signalPending(task: Task): boolean {
  return task.sigpending !== 0;
}

/** The lowest pending signal's number (the one that kills the task), 0 when none is. */
export function firstPending(task: Task): number {
  const mask = task.sigpending;
  return mask === 0 ? 0 : 31 - Math.clz32(mask & -mask) + 1;
}

/** flush_signals(): the shell's task lives on after the command a signal ended. */
export function flushSignals(task: Task): void {
  task.sigpending = 0;
}
