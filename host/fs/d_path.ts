// d_path() and getcwd(2) (fs/d_path.c): a path in the tree back to its absolute name.

import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser } from "../mm/uaccess.js";
import type { Path } from "./fs.js";

/** d_path(): the absolute path of (mnt, dentry), crossing mount points upwards; unlinked ones get " (deleted)". */
export function dPath(path: Path): string {
  const parts: string[] = [];
  let { mnt, dentry } = path;
  const deleted = dentry.unhashed;
  for (;;) {
    if (dentry === mnt.root) {
      if (!mnt.parent) break;
      dentry = mnt.mountpoint!;
      mnt = mnt.parent;
      continue;
    }
    parts.unshift(dentry.name);
    dentry = dentry.parent!;
  }
  return `/${parts.join("/")}${deleted ? " (deleted)" : ""}`;
}

/** getcwd(2): the cwd and its NUL into buf; ERANGE when size is too small, ENOENT when the cwd was removed. */
export function sys_getcwd(task: Task, buf: number, size: number): number {
  const pwd = task.fs.pwd;
  if (pwd.dentry.unhashed) throw new KernelError("ENOENT", "getcwd: No such file or directory");
  const bytes = new TextEncoder().encode(`${dPath(pwd)}\0`);
  if (bytes.length > size) throw new KernelError("ERANGE", "getcwd: Numerical result out of range");
  copyToUser(task.mm, buf, bytes);
  return bytes.length;
}
