// Signals (kernel/signal.c), as far as this kernel delivers them: the terminal's SIGINT, a daemon client
// that goes away (SIGHUP), halt's SIGKILL, the watchdog's SIGKILL for a task it stops.
//
// There are no handlers: every signal that is sent here and kept is fatal by default, so a pending signal
// interrupts the task's waiting system call (-EINTR, see host/user/nolibc.ts) and ends the command on its
// next return to user space, with status 128 + the signal, as bash reports a child killed by it.
//
// The terminal's SIGTSTP (^Z) has stop as its default action, but no task here can be stopped: nothing
// (no shell's job control, no SIGCONT) could continue it. Linux's get_signal() discards a stop signal sent
// to an orphaned process group for that reason, and so every SIGTSTP is discarded here: the task goes on,
// a system call it waits in is not interrupted (on Linux it restarts).

import { signo } from "../../abi/signal.js";
import type { Task } from "./sched.js";

/** sig_kernel_stop(): a signal whose default action is to stop the task. */
function stopSignal(sig: number): boolean {
  return sig === signo("SIGTSTP");
}

/** send_sig(): mark it pending and, as signal_wake_up() does, wake the task if it sleeps; a stop signal is discarded. */
export function sendSignal(task: Task, sig: number): void {
  if (stopSignal(sig)) return;
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
