// fsync(2) and sync(2) (fs/sync.c).

import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";

/** fsync(2): EINVAL for a file whose filesystem has no fsync (a special file, say). */
export function sys_fsync(task: Task, fd: number): number {
  const file = task.files.get(fd);
  if (!file.fop.fsync) throw new KernelError("EINVAL", `${fd}: Invalid argument`);
  file.fop.fsync(file);
  return 0;
}

/** sync(2): every block device's dirty buffers written back (filesystems without a device write through). */
export function sys_sync(syncAll: () => void): number {
  syncAll();
  return 0;
}
