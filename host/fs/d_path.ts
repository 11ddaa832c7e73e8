// d_path() and getcwd(2) (fs/d_path.c): a path in the tree back to its absolute name.

import { ERRNO } from "../../abi/errno.js";
import { KernelError, refusal } from "../kernel/error.js";
import { current, type Task } from "../kernel/sched.js";
import { copyToUser, getname } from "../mm/uaccess.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import type { Path } from "./fs.js";
import { lookupLast, walkParent } from "./namei.js";
import type { Vfs } from "./vfs.js";

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
    parts.push(dentry.name);
    dentry = dentry.parent!;
  }
  return `/${parts.reverse().join("/")}${deleted ? " (deleted)" : ""}`;
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

/** user_path_resolve as a module imports it: what a *at() call on (dirfd, pathname) would act on. */
export function dPathSymbols(vfs: Vfs, mod: Module): Pick<KernelFunctions, "user_path_resolve"> {
  return {
    user_path_resolve(dirfd, pathname, buf, size) {
      try {
        const task = current();
        const path = getname(task.mm, pathname >>> 0);
        const ctx = vfs.at(task, dirfd, path);
        const p = walkParent(ctx, path);
        const dir = p.kind === "normal" ? dPath(p.parent) : dPath(lookupLast(ctx, p)!);
        const full = new TextEncoder().encode(p.kind !== "normal" ? dir : dir === "/" ? `/${p.last}` : `${dir}/${p.last}`);
        if (full.length > size) return -ERRNO.ERANGE[0];
        mod.memory.bytes(buf >>> 0, full.length).set(full);
        return full.length;
      } catch (e) {
        return refusal(e);
      }
    },
  };
}
