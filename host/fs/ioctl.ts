// ioctl(2) (fs/ioctl.c): handed to the file's unlocked_ioctl; ENOTTY when it has none.

import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";

export function sys_ioctl(task: Task, fd: number, cmd: number, arg: number): number {
  const file = task.files.get(fd);
  if (!file.fop.ioctl) throw new KernelError("ENOTTY", `${fd}: Inappropriate ioctl for device`);
  return file.fop.ioctl(file, cmd >>> 0, arg);
}
