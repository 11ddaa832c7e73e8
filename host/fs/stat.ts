// stat(2), fstat(2), lstat(2) and readlink(2) (fs/stat.c): struct stat as x86_64 lays it out.

import { AT_FDCWD } from "../../abi/fcntl.js";
import { S_ISLNK, STAT_LAYOUT } from "../../abi/stat.js";
import { structWriter } from "../../abi/types.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser, getname } from "../mm/uaccess.js";
import type { Inode } from "./fs.js";
import { readLink, walk } from "./namei.js";
import type { Vfs } from "./vfs.js";

/** The block size stat reports (st_blocks counts 512-byte sectors whatever it is). */
const BLKSIZE = 4096;

/** generic_fillattr() into a struct stat. */
export function fillStat(inode: Inode): Uint8Array {
  const { set, done } = structWriter(STAT_LAYOUT);
  set("st_dev", inode.sb.dev);
  set("st_ino", inode.ino);
  set("st_nlink", inode.nlink);
  set("st_mode", inode.mode);
  set("st_uid", inode.uid);
  set("st_gid", inode.gid);
  set("st_rdev", inode.rdev);
  set("st_size", inode.size);
  set("st_blksize", BLKSIZE);
  set("st_blocks", inode.blocks);
  for (const [name, t] of [["atime", inode.atime], ["mtime", inode.mtime], ["ctime", inode.ctime]] as const) {
    set(`st_${name}`, t.sec);
    set(`st_${name}_nsec`, t.nsec);
  }
  return done();
}

function statPath(vfs: Vfs, task: Task, pathname: number, buf: number, follow: boolean): number {
  const path = getname(task.mm, pathname);
  const target = walk(vfs.at(task, AT_FDCWD, path), path, follow);
  copyToUser(task.mm, buf, fillStat(target.dentry.inode));
  return 0;
}

export function sys_stat(vfs: Vfs, task: Task, pathname: number, buf: number): number {
  return statPath(vfs, task, pathname, buf, true);
}

export function sys_lstat(vfs: Vfs, task: Task, pathname: number, buf: number): number {
  return statPath(vfs, task, pathname, buf, false);
}

export function sys_fstat(task: Task, fd: number, buf: number): number {
  copyToUser(task.mm, buf, fillStat(task.files.get(fd).inode));
  return 0;
}

/** readlink(2): the target without a NUL, cut to bufsiz; EINVAL for bufsiz <= 0 or a path that is not a link. */
export function sys_readlink(vfs: Vfs, task: Task, pathname: number, buf: number, bufsiz: number): number {
  if (bufsiz <= 0) throw new KernelError("EINVAL", "readlink: Invalid argument");
  const path = getname(task.mm, pathname);
  const inode = walk(vfs.at(task, AT_FDCWD, path), path, false).dentry.inode;
  if (!S_ISLNK(inode.mode)) throw new KernelError("EINVAL", `${path}: Invalid argument`);
  const bytes = new TextEncoder().encode(readLink(inode)).subarray(0, bufsiz);
  copyToUser(task.mm, buf, bytes);
  return bytes.length;
}
