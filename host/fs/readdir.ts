// getdents64(2) (fs/readdir.c): the filesystem's iterate fills struct linux_dirent64 records.

import { DIRENT64_NAME_OFFSET, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser } from "../mm/uaccess.js";
import type { DirContext, File } from "./fs.js";

/** iterate_dir(): run the filesystem's iterate from the file's position; ENOTDIR without one, ENOENT once removed. */
export function iterateDir(file: File, emit: DirContext["emit"]): void {
  if (!S_ISDIR(file.inode.mode) || !file.fop.iterate) throw new KernelError("ENOTDIR", "Not a directory");
  if (file.path.dentry.unhashed) throw new KernelError("ENOENT", "No such file or directory");
  const ctx: DirContext = { pos: file.pos, emit };
  file.fop.iterate(file, ctx);
  file.pos = ctx.pos;
  file.inode.atime = file.inode.sb.now();
}

/** One linux_dirent64: d_ino, d_off, d_reclen, d_type, the name and its NUL, padded to 8 bytes. */
function dirent64(name: Uint8Array, ino: number, off: number, type: number): Uint8Array {
  const reclen = Math.ceil((DIRENT64_NAME_OFFSET + name.length + 1) / 8) * 8;
  const rec = new Uint8Array(reclen);
  const view = new DataView(rec.buffer);
  view.setBigUint64(0, BigInt(ino), true);
  view.setBigInt64(8, BigInt(off), true);
  view.setUint16(16, reclen, true);
  view.setUint8(18, type);
  rec.set(name, DIRENT64_NAME_OFFSET);
  return rec;
}

/** getdents64(2): as many whole records as fit; EINVAL when not even the first one does. */
export function sys_getdents64(task: Task, fd: number, dirp: number, count: number): number {
  const file = task.files.get(fd);
  task.mm.check(dirp, count);
  const records: Uint8Array[] = [];
  let used = 0;
  let refused = false;
  iterateDir(file, (name, ino, type) => {
    const rec = dirent64(new TextEncoder().encode(name), ino, 0, type);
    if (used + rec.length > count) {
      refused = true;
      return false;
    }
    records.push(rec);
    used += rec.length;
    return true;
  });
  if (records.length === 0 && refused) throw new KernelError("EINVAL", "getdents64: Invalid argument");
  const out = new Uint8Array(used);
  let at = 0;
  for (const rec of records) {
    out.set(rec, at);
    at += rec.length;
  }
  copyToUser(task.mm, dirp, out);
  return used;
}
