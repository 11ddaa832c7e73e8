// Making and ending tasks (kernel/fork.c, kernel/exit.c, kernel/pid.c): pids count up from 1, as at boot.

import { FdTable } from "../fs/file.js";
import type { Path } from "../fs/fs.js";
import type { Vfs } from "../fs/vfs.js";
import { MmStruct } from "../mm/uaccess.js";
import { Task } from "./sched.js";

export class Tasks {
  private readonly tasks = new Map<number, Task>();
  private nextPid = 1;

  constructor(private readonly vfs: Vfs) {}

  /** A new task with its own memory and no open files; root and cwd from `parent`, or / for the first. */
  spawn(comm: string, parent: Task | null, mm: MmStruct = new MmStruct()): Task {
    const root: Path = parent?.fs.root ?? { mnt: this.vfs.ns.root, dentry: this.vfs.ns.root.root };
    const pwd = parent?.fs.pwd ?? root;
    this.vfs.pathGet(root);
    this.vfs.pathGet(pwd);
    const task = new Task(this.nextPid++, comm, mm, new FdTable((f) => this.vfs.fput(f)), { root, pwd });
    this.tasks.set(task.pid, task);
    return task;
  }

  /** do_exit(): close its files, let go of its root and cwd. */
  exit(task: Task): void {
    task.files.closeAll();
    this.vfs.pathPut(task.fs.pwd);
    this.vfs.pathPut(task.fs.root);
    this.tasks.delete(task.pid);
  }

  find(pid: number): Task | undefined {
    return this.tasks.get(pid);
  }

  pids(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }
}
