// Tasks (include/linux/sched.h, kernel/pid.c): a pid, credentials, an address space, open files, a root and a cwd.
//
// The kernel is single-threaded: `current` is the task whose system call is running, set for the length of
// the call, so code deep in a filesystem (copy_to_user) knows whose memory a user pointer is in.

import type { FdTable } from "../fs/file.js";
import type { Path } from "../fs/fs.js";
import type { MmStruct } from "../mm/uaccess.js";
import { INIT_CRED, type Cred } from "./cred.js";
import type { WaitQueue } from "./wait.js";

export interface FsStruct {
  root: Path;
  pwd: Path;
}

export class Task {
  /** TASK_INTERRUPTIBLE: on these wait queues until one wakes it. */
  private readonly sleepingOn = new Set<WaitQueue>();
  private wakers: (() => void)[] = [];
  /** What a restarted call needs to carry over (restart_block): poll's deadline, say. */
  restart: { readonly nr: number; readonly deadline: number } | null = null;
  /** Pending signals, bit (sig - 1) each (host/kernel/signal.ts). */
  sigpending = 0;
  /** Once the task has ended (do_exit): its wait status, as a parent's wait4 would read it (abi/signal.ts). */
  exitCode: number | null = null;
  /** Who it is (host/kernel/cred.ts): inherited at fork, kept across execve, replaced by the set*id calls. */
  cred: Cred = INIT_CRED;

  constructor(
    readonly pid: number,
    public comm: string,
    /** Replaced by a successful execve (exec_mmap). */
    public mm: MmStruct,
    readonly files: FdTable,
    readonly fs: FsStruct,
  ) {}

  get sleeping(): boolean {
    return this.sleepingOn.size > 0;
  }

  sleepOn(wq: WaitQueue): void {
    this.sleepingOn.add(wq);
  }

  /** try_to_wake_up(): off every queue, and whoever awaits the restart goes on. */
  wake(): void {
    for (const wq of this.sleepingOn) wq.remove(this);
    this.sleepingOn.clear();
    const wakers = this.wakers;
    this.wakers = [];
    for (const w of wakers) w();
  }

  /** finish_wait() for a call that completed after all: off the queues, nobody to tell. */
  finishWait(): void {
    if (this.sleepingOn.size === 0) return;
    for (const wq of this.sleepingOn) wq.remove(this);
    this.sleepingOn.clear();
  }

  /** Resolves at the next wake(). */
  whenWoken(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }
}

let currentTask: Task | null = null;

/** The task whose system call is running. */
export function current(): Task {
  if (!currentTask) throw new Error("no current task: kernel code ran outside a system call");
  return currentTask;
}

/** The running system call's task, or null outside one (a module's init, a timer). */
export function currentOrNull(): Task | null {
  return currentTask;
}

/** Make `task` current (or none) for a system call; returns the one it replaces, to switch back to. */
export function switchTo(task: Task | null): Task | null {
  const saved = currentTask;
  currentTask = task;
  return saved;
}
