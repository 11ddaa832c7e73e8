// getdents64(2) (fs/readdir.c): the filesystem's iterate fills struct linux_dirent64 records.

import { DIRENT64_NAME_OFFSET, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser } from "../mm/uaccess.js";
import type { DirContext, File } from "./fs.js";

/** What iterateDir's caller gets for each entry: dir_emit()'s arguments and the position the entry is at. */
export type FillDir = (name: string, ino: number, type: number, pos: number) => boolean;

/** iterate_dir(): run the filesystem's iterate from the file's position; ENOTDIR without one, ENOENT once removed. */
export function iterateDir(file: File, fill: FillDir): void {
  if (!S_ISDIR(file.inode.mode) || !file.fop.iterate) throw new KernelError("ENOTDIR", "Not a directory");
  if (file.path.dentry.unhashed) throw new KernelError("ENOENT", "No such file or directory");
  const ctx: DirContext = { pos: file.pos, emit: (name, ino, type) => fill(name, ino, type, ctx.pos) };
  file.fop.iterate(file, ctx);
  file.pos = ctx.pos;
  file.inode.atime = file.inode.sb.now();
}

/** One linux_dirent64: d_ino, d_off (set by setOff), d_reclen, d_type, the name and its NUL, padded to 8 bytes. */
function dirent64(name: Uint8Array, ino: number, type: number): Uint8Array {
  const reclen = Math.ceil((DIRENT64_NAME_OFFSET + name.length + 1) / 8) * 8;
  const rec = new Uint8Array(reclen);
  const view = new DataView(rec.buffer);
  view.setBigUint64(0, BigInt(ino), true);
  view.setUint16(16, reclen, true);
  view.setUint8(18, type);
  rec.set(name, DIRENT64_NAME_OFFSET);
  return rec;
}

/** d_off: the position to resume at after this record, as lseek(2) takes it (telldir). */
function setOff(rec: Uint8Array, off: number): void {
  new DataView(rec.buffer).setBigInt64(8, BigInt(off), true);
}

/**
 * getdents64(2): as many whole records as fit; EINVAL when not even the first one does. As filldir64()
 * does, each record's d_off is the position of the entry after it, and the last one's the file's new position.
 */
export function sys_getdents64(task: Task, fd: number, dirp: number, count: number): number {
  const file = task.files.get(fd);
  task.mm.check(dirp, count);
  const records: Uint8Array[] = [];
  let used = 0;
  let refused = false;
  iterateDir(file, (name, ino, type, pos) => {
    const rec = dirent64(new TextEncoder().encode(name), ino, type);
    if (used + rec.length > count) {
      refused = true;
      return false;
    }
    if (records.length > 0) setOff(records[records.length - 1]!, pos);
    records.push(rec);
    used += rec.length;
    return true;
  });
  if (records.length === 0 && refused) throw new KernelError("EINVAL", "getdents64: Invalid argument");
  if (records.length > 0) setOff(records[records.length - 1]!, file.pos);
  const out = new Uint8Array(used);
  let at = 0;
  for (const rec of records) {
    out.set(rec, at);
    at += rec.length;
  }
  copyToUser(task.mm, dirp, out);
  return used;
}
