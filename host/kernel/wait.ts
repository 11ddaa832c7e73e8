// Wait queues (kernel/sched/wait.c) and how a waiting system call resumes.
//
// The kernel is single-threaded, so a system call cannot block inside the host. A handler that must wait
// puts the current task on a wait queue (prepare_to_wait) and returns -ERESTARTSYS; the system call entry
// then parks the task instead of returning, and when wake_up() runs (from an interrupt handler, a timer or
// another task's call) the task's call is restarted from the beginning, as Linux restarts a call that
// returned -ERESTARTSYS. A restarted call finds its condition true and completes. Callers driving a task
// from TypeScript either await the restart (Libc.syscallAsync) or let simulated time run until the task
// is woken (Libc.syscall, which gives EINTR if nothing can wake it).

import { ERESTARTSYS, ERRNO } from "../../abi/errno.js";
import { Idr } from "../lib/idr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import { currentOrNull, type Task } from "./sched.js";


export class WaitQueue {
  private readonly waiters = new Set<Task>();

  add(task: Task): void {
    this.waiters.add(task);
    task.sleepOn(this);
  }

  remove(task: Task): void {
    this.waiters.delete(task);
  }

  /** wake_up(): every waiter becomes runnable; each one's call is restarted. */
  wakeUp(): void {
    for (const task of [...this.waiters]) task.wake();
  }

  get active(): boolean {
    return this.waiters.size > 0;
  }
}

/** poll_wait()'s target: the queues a poll pass asked to be woken by (struct poll_table). */
export interface PollTable {
  wait(wq: WaitQueue): void;
}

/**
 * One kernel's wait queues and poll tables, by the handles modules hold. A queue belongs to the module
 * that made it: only that module waits on it, wakes it or polls it; another's handle is refused as a bad
 * one. The queues go with their module, their waiters woken so their calls restart and find it gone.
 */
export class WaitRegistry {
  readonly queues = new Idr<WaitQueue>();
  readonly tables = new Idr<PollTable>();
  private readonly owners = new WeakMap<WaitQueue, Module>();

  /** The queues a module made, woken and forgotten (its rmmod, or its failed load). */
  reclaim(owner: Module): void {
    for (const queue of [...this.queues.values()]) {
      if (this.owners.get(queue) !== owner) continue;
      this.queues.remove(queue);
      queue.wakeUp();
    }
  }

  symbols(
    mod: Module,
    warn: (message: string) => void,
  ): Pick<KernelFunctions, "init_waitqueue_head" | "wake_up_interruptible" | "wait_event_interruptible" | "poll_wait"> {
    const own = (wq: number, fn: string): WaitQueue | undefined => {
      const queue = this.queues.find(wq);
      if (queue && this.owners.get(queue) === mod) return queue;
      warn(`${mod.name}: ${fn} of wait queue ${wq}, which it did not initialise`);
      return undefined;
    };
    return {
      init_waitqueue_head: () => {
        const queue = new WaitQueue();
        this.owners.set(queue, mod);
        return this.queues.handle(queue);
      },
      wake_up_interruptible: (wq) => own(wq, "wake_up_interruptible")?.wakeUp(),
      wait_event_interruptible: (wq) => {
        const queue = own(wq, "wait_event_interruptible");
        const task = currentOrNull();
        if (!queue || !task) return -ERRNO.EINVAL[0];
        queue.add(task);
        return -ERESTARTSYS;
      },
      poll_wait: (_file, wq, pt) => {
        const queue = own(wq, "poll_wait");
        if (queue) this.tables.find(pt)?.wait(queue);
      },
    };
  }
}
