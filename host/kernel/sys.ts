// Process identity system calls (kernel/sys.c).

import type { Task } from "./sched.js";

export function sys_getpid(task: Task): number {
  return task.pid;
}
