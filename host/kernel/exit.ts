// exit(2) and exit_group(2) (kernel/exit.c): the task ends, and its wait status records the code.
//
// Tasks here are single-threaded, so exit_group ends exactly the task exit does.

import { W_EXITCODE } from "../../abi/signal.js";
import type { Tasks } from "./fork.js";
import type { Task } from "./sched.js";

/** do_exit((code & 0xff) << 8): closes its files and lets go of its root and cwd (Tasks.exit). */
export function sys_exit(tasks: Tasks, task: Task, code: number): number {
  tasks.exit(task, W_EXITCODE(code));
  return 0;
}
