// Tasks (include/linux/sched.h, kernel/pid.c): a pid, an address space, open files, a root and a cwd.
//
// The kernel is single-threaded: `current` is the task whose system call is running, set for the length of
// the call, so code deep in a filesystem (copy_to_user) knows whose memory a user pointer is in.

import type { FdTable } from "../fs/file.js";
import type { Path } from "../fs/fs.js";
import type { MmStruct } from "../mm/uaccess.js";

export interface FsStruct {
  root: Path;
  pwd: Path;
}

export class Task {
  constructor(
    readonly pid: number,
    public comm: string,
    readonly mm: MmStruct,
    readonly files: FdTable,
    readonly fs: FsStruct,
  ) {}
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

/** Run fn as `task` (a system call entry), restoring the caller's current afterwards. */
export function runAs<T>(task: Task, fn: () => T): T {
  const saved = currentTask;
  currentTask = task;
  try {
    return fn();
  } finally {
    currentTask = saved;
  }
}
