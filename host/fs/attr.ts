// notify_change() and setattr_copy() (fs/attr.c): every attribute change of chmod, chown and utimensat goes
// through the filesystem's setattr, which writes it to the filesystem, then into the in-memory inode.
//
// Tasks have no credentials here: every task is root, whom inode_owner_or_capable() and chown_ok() let change
// any inode, so the checks that remain are the mount's (EROFS).

import { MS_RDONLY } from "../../abi/fcntl.js";
import { S_IFMT, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Iattr, Inode, Path } from "./fs.js";

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o0010;

/**
 * chown's ATTR_KILL_SUID and ATTR_KILL_SGID on a file that is not a directory: set-user-ID goes, and
 * set-group-ID with group execute (setattr_should_drop_sgid; without group execute it marks mandatory locking).
 */
export function killSuid(inode: Inode, attr: Iattr): Iattr {
  if (S_ISDIR(inode.mode)) return attr;
  let mode = attr.mode ?? inode.mode;
  if (mode & S_ISUID) mode &= ~S_ISUID;
  if ((mode & (S_ISGID | S_IXGRP)) === (S_ISGID | S_IXGRP)) mode &= ~S_ISGID;
  return mode === (attr.mode ?? inode.mode) ? attr : { ...attr, mode };
}

/** setattr_copy(): the changed attributes into the in-memory inode (the file type bits stay). */
function setattrCopy(inode: Inode, attr: Iattr): void {
  if (attr.uid !== undefined) inode.uid = attr.uid;
  if (attr.gid !== undefined) inode.gid = attr.gid;
  if (attr.atime) inode.atime = attr.atime;
  if (attr.mtime) inode.mtime = attr.mtime;
  if (attr.ctime) inode.ctime = attr.ctime;
  if (attr.mode !== undefined) inode.mode = (inode.mode & S_IFMT) | (attr.mode & ~S_IFMT);
}

/**
 * notify_change(): EROFS on a read-only mount (mnt_want_write), then the filesystem's setattr with ctime now
 * added; the inode changes only if the filesystem took it (its refusal leaves everything as it was).
 */
export function notifyChange(path: Path, attr: Iattr, what: string): void {
  if (path.mnt.sb.flags & MS_RDONLY) throw new KernelError("EROFS", `${what}: Read-only file system`);
  const inode = path.dentry.inode;
  const full: Iattr = { ...attr, ctime: inode.sb.now() };
  inode.op.setattr?.(inode, full);
  setattrCopy(inode, full);
}
