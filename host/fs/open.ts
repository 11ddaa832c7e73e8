// open(2) and friends (fs/open.c): open, openat, close, truncate, ftruncate, chdir, chmod, fchmod, fchmodat, chown,
// fchown, lchown and fchownat.

import {
  AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, MAXSYMLINKS, MS_RDONLY, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY,
} from "../../abi/fcntl.js";
import { S_ISDIR, S_ISLNK, S_ISREG } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { getname } from "../mm/uaccess.js";
import { killSuid, notifyChange } from "./attr.js";
import type { File, Iattr, Inode, Path } from "./fs.js";
import { create, lookupLast, readLink, walk, walkParent, type WalkContext } from "./namei.js";
import { inodePermission, MAY_EXEC, MAY_READ, MAY_WRITE } from "./permission.js";
import type { Vfs } from "./vfs.js";

export const isWritable = (flags: number): boolean => (flags & O_ACCMODE) !== O_RDONLY;
export const isReadable = (flags: number): boolean => (flags & O_ACCMODE) !== O_WRONLY;

/**
 * do_truncate(): the filesystem's setattr with the new size. A file without one keeps its size, as a
 * sysfs attribute or a /proc file does when a shell opens it with O_TRUNC (kernfs_iop_setattr, proc_setattr).
 */
export function doTruncate(inode: Inode, length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new KernelError("EINVAL", "truncate: Invalid argument");
  if (S_ISDIR(inode.mode)) throw new KernelError("EISDIR", "truncate: Is a directory");
  if (!S_ISREG(inode.mode)) throw new KernelError("EINVAL", "truncate: Invalid argument");
  inode.op.setattr?.(inode, { size: length });
}

/**
 * path_openat()'s last step with O_CREAT: follow a final symlink (even a dangling one) and create what is
 * missing. A last component of ".", ".." or "/" or one with a trailing slash is EISDIR whether it exists or not.
 */
function openCreate(ctx: WalkContext, path: string, flags: number, mode: number): [Path, boolean] {
  for (let links = 0; ; links++) {
    const p = walkParent(ctx, path);
    if (p.kind !== "normal" || p.trailingSlash) throw new KernelError("EISDIR", `${path}: Is a directory`);
    const found = lookupLast(ctx, p);
    if (!found) return [create(p, mode), true];
    if (flags & O_EXCL) throw new KernelError("EEXIST", `${path}: File exists`);
    if (!S_ISLNK(found.dentry.inode.mode)) return [found, false];
    if (flags & O_NOFOLLOW) throw new KernelError("ELOOP", `${path}: Too many levels of symbolic links`);
    if (links >= MAXSYMLINKS) throw new KernelError("ELOOP", `${path}: Too many levels of symbolic links`);
    ctx = { ...ctx, start: p.parent };
    path = readLink(found.dentry.inode);
  }
}

/**
 * do_filp_open(): walk, create, check the type against the flags, open, truncate. O_TRUNC asks for write
 * access as O_WRONLY does (build_open_flags), so it too is EISDIR on a directory and EROFS on a read-only mount.
 */
export function doFilpOpen(vfs: Vfs, ctx: WalkContext, path: string, flags: number, mode: number): File {
  const [target, created] = flags & O_CREAT ? openCreate(ctx, path, flags, mode) : [walk(ctx, path, !(flags & O_NOFOLLOW)), false];
  const inode = target.dentry.inode;
  const mayWrite = isWritable(flags) || (flags & O_TRUNC) !== 0;
  if (S_ISLNK(inode.mode)) throw new KernelError("ELOOP", `${path}: Too many levels of symbolic links`);
  if (S_ISDIR(inode.mode) && (mayWrite || flags & O_CREAT)) throw new KernelError("EISDIR", `${path}: Is a directory`);
  if (flags & O_DIRECTORY && !S_ISDIR(inode.mode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  if (mayWrite && target.mnt.sb.flags & MS_RDONLY) throw new KernelError("EROFS", `${path}: Read-only file system`);
  // may_open(): a file this open just created is the caller's whatever its mode (FMODE_CREATED).
  if (!created) inodePermission(inode, (isReadable(flags) ? MAY_READ : 0) | (mayWrite ? MAY_WRITE : 0), path);
  const file = vfs.openFile(target, flags);
  if (flags & O_TRUNC && S_ISREG(inode.mode)) {
    try {
      doTruncate(inode, 0);
    } catch (e) {
      vfs.fput(file);
      throw e;
    }
  }
  return file;
}

/**
 * openat(2): EINVAL for O_CREAT|O_DIRECTORY (build_open_flags, since Linux 6.4: it used to create a regular
 * file and then fail), and EMFILE before the walk, so that a full table creates and truncates nothing.
 */
export function sys_openat(vfs: Vfs, task: Task, dirfd: number, pathname: number, flags: number, mode: number): number {
  if ((flags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY)) throw new KernelError("EINVAL", "open: Invalid argument");
  const path = getname(task.mm, pathname);
  task.files.unused();
  const file = doFilpOpen(vfs, vfs.at(task, dirfd, path), path, flags, mode);
  try {
    return task.files.install(file, (flags & O_CLOEXEC) !== 0);
  } catch (e) {
    vfs.fput(file);
    throw e;
  }
}

export function sys_close(task: Task, fd: number): number {
  task.files.close(fd);
  return 0;
}

/** truncate(2): EINVAL for a negative length before the walk; EROFS for a file on a read-only mount. */
export function sys_truncate(vfs: Vfs, task: Task, pathname: number, length: number): number {
  if (length < 0) throw new KernelError("EINVAL", "truncate: Invalid argument");
  const path = getname(task.mm, pathname);
  const target = walk(vfs.at(task, AT_FDCWD, path), path);
  const inode = target.dentry.inode;
  if (S_ISREG(inode.mode) && target.mnt.sb.flags & MS_RDONLY) throw new KernelError("EROFS", `${path}: Read-only file system`);
  if (S_ISREG(inode.mode)) inodePermission(inode, MAY_WRITE, path);
  doTruncate(inode, length);
  return 0;
}

/** ftruncate(2): EINVAL for a negative length (before EBADF) and unless open for writing. */
export function sys_ftruncate(task: Task, fd: number, length: number): number {
  if (length < 0) throw new KernelError("EINVAL", `${fd}: Invalid argument`);
  const file = task.files.get(fd);
  if (!isWritable(file.flags) || !S_ISREG(file.inode.mode)) throw new KernelError("EINVAL", `${fd}: Invalid argument`);
  doTruncate(file.inode, length);
  return 0;
}

export function sys_chdir(vfs: Vfs, task: Task, pathname: number): number {
  const path = getname(task.mm, pathname);
  const target = walk(vfs.at(task, AT_FDCWD, path), path);
  if (!S_ISDIR(target.dentry.inode.mode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  inodePermission(target.dentry.inode, MAY_EXEC, path);
  vfs.pathGet(target);
  vfs.pathPut(task.fs.pwd);
  task.fs.pwd = target;
  return 0;
}

/** S_IALLUGO: the bits chmod sets, permissions with set-user-ID, set-group-ID and sticky. */
const S_IALLUGO = 0o7777;

/** chmod_common(): mode's S_IALLUGO bits replace the inode's, through notify_change (EROFS on a read-only mount). */
function chmodCommon(path: Path, mode: number): number {
  notifyChange(path, { mode: mode & S_IALLUGO }, "chmod");
  return 0;
}

/** fchmodat(2) (and chmod(2), at AT_FDCWD): the walk follows a final symlink, so the link's target changes. */
export function sys_fchmodat(vfs: Vfs, task: Task, dirfd: number, pathname: number, mode: number): number {
  const path = getname(task.mm, pathname);
  return chmodCommon(walk(vfs.at(task, dirfd, path), path), mode);
}

export function sys_fchmod(task: Task, fd: number, mode: number): number {
  return chmodCommon(task.files.get(fd).path, mode);
}

/** (uid_t)-1 and (gid_t)-1: chown leaves that id as it is. */
const NO_ID = 0xffffffff;

/**
 * chown_common(): the ids that are not -1 change, and on a file that is not a directory set-user-ID (and
 * set-group-ID with group execute) goes even when they do not, as Linux's ATTR_KILL_SUID does.
 */
function chownCommon(path: Path, user: number, group: number): number {
  const attr: Iattr = {};
  if (user >>> 0 !== NO_ID) attr.uid = user >>> 0;
  if (group >>> 0 !== NO_ID) attr.gid = group >>> 0;
  notifyChange(path, killSuid(path.dentry.inode, attr), "chown");
  return 0;
}

/**
 * The path a *at(2) call with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH names (user_path_at()'s lookup flags): an
 * empty name with AT_EMPTY_PATH is dirfd itself (the cwd at AT_FDCWD); EINVAL for any other flag.
 */
export function userPathAt(vfs: Vfs, task: Task, dirfd: number, pathname: number, flags: number, what: string): Path {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new KernelError("EINVAL", `${what}: Invalid argument`);
  const name = getname(task.mm, pathname);
  if (name === "" && flags & AT_EMPTY_PATH) return dirfd === AT_FDCWD ? task.fs.pwd : task.files.get(dirfd).path;
  return walk(vfs.at(task, dirfd, name), name, !(flags & AT_SYMLINK_NOFOLLOW));
}

/** fchownat(2); chown(2) and lchown(2) are it at AT_FDCWD, following a final symlink or not. */
export function sys_fchownat(vfs: Vfs, task: Task, dirfd: number, pathname: number, user: number, group: number, flags: number): number {
  return chownCommon(userPathAt(vfs, task, dirfd, pathname, flags, "chown"), user, group);
}

export function sys_fchown(task: Task, fd: number, user: number, group: number): number {
  return chownCommon(task.files.get(fd).path, user, group);
}
