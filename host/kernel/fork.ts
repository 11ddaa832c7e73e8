// Making and ending tasks (kernel/fork.c, kernel/exit.c, kernel/pid.c): pids count up from 1, as at boot.

import { FdTable } from "../fs/file.js";
import type { Path } from "../fs/fs.js";
import type { Vfs } from "../fs/vfs.js";
import { MmStruct, TASK_SIZE_PAGES, WASM_PAGE } from "../mm/uaccess.js";
import { Task } from "./sched.js";

export class Tasks {
  private readonly tasks = new Map<number, Task>();
  private nextPid = 1;

  constructor(private readonly vfs: Vfs) {}

  /** A new task with its own memory and no open files; credentials, root and cwd from `parent` (root and / for the first). */
  spawn(comm: string, parent: Task | null, mm: MmStruct = new MmStruct()): Task {
    const root: Path = parent?.fs.root ?? { mnt: this.vfs.ns.root, dentry: this.vfs.ns.root.root };
    const pwd = parent?.fs.pwd ?? root;
    this.vfs.pathGet(root);
    this.vfs.pathGet(pwd);
    const task = new Task(this.nextPid++, comm, mm, new FdTable((f) => this.vfs.fput(f)), { root, pwd });
    if (parent) task.cred = parent.cred;
    this.tasks.set(task.pid, task);
    return task;
  }

  /**
   * copy_process() for fork(2): a child with a copy of the parent's memory (dup_mm), the parent's open
   * files on the same descriptors, close-on-exec flags included (dup_fd), and its root and cwd (copy_fs).
   */
  fork(parent: Task): Task {
    const memory = parent.mm.memory;
    const copy = new WebAssembly.Memory({ initial: memory.buffer.byteLength / WASM_PAGE, maximum: TASK_SIZE_PAGES });
    new Uint8Array(copy.buffer).set(new Uint8Array(memory.buffer));
    const child = this.spawn(parent.comm, parent, new MmStruct(copy, parent.mm.mark));
    child.files.copyFrom(parent.files);
    return child;
  }

  /** do_exit(): record the wait status (abi/signal.ts), close its files, let go of its root and cwd. */
  exit(task: Task, status = 0): void {
    if (task.exitCode !== null) return;
    task.exitCode = status;
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
