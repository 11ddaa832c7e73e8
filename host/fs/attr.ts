// notify_change() and setattr_copy() (fs/attr.c): every attribute change of chmod, chown and utimensat goes
// through the filesystem's setattr, which writes it to the filesystem, then into the in-memory inode.
//
// Who may change what is setattr_prepare()'s (host/fs/permission.ts), checked here for every filesystem.

import { ATTR_ATIME, ATTR_CTIME, ATTR_GID, ATTR_MODE, ATTR_MTIME, ATTR_SIZE, ATTR_UID } from "../../abi/attr.js";
import { MS_RDONLY } from "../../abi/fcntl.js";
import { STRUCTS } from "../../abi/kernel.js";
import { S_IFMT, S_ISDIR } from "../../abi/stat.js";
import { layoutStruct, structWriter } from "../../abi/types.js";
import { KernelError } from "../kernel/error.js";
import type { Iattr, Inode, Path, Timespec } from "./fs.js";
import { setattrPrepare, type TimesChange } from "./permission.js";

/** struct iattr as a module's inode_operations.setattr reads it. */
export const IATTR_LAYOUT = layoutStruct("iattr", STRUCTS.iattr);
const TIMES = [["atime", ATTR_ATIME], ["mtime", ATTR_MTIME], ["ctime", ATTR_CTIME]] as const;

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

/** An Iattr as struct iattr's bytes: ia_valid names the fields present. */
export function iattrBytes(attr: Iattr): Uint8Array {
  const { set, done } = structWriter(IATTR_LAYOUT);
  let valid = 0;
  for (const [field, bit] of [["mode", ATTR_MODE], ["uid", ATTR_UID], ["gid", ATTR_GID], ["size", ATTR_SIZE]] as const) {
    const value = attr[field];
    if (value === undefined) continue;
    valid |= bit;
    set(`ia_${field}`, value);
  }
  for (const [field, bit] of TIMES) {
    const t = attr[field];
    if (!t) continue;
    valid |= bit;
    set(`ia_${field}_sec`, t.sec);
    set(`ia_${field}_nsec`, t.nsec);
  }
  set("ia_valid", valid);
  return done();
}

/** struct iattr's fields (as numbers, by name) as an Iattr of what ia_valid names. */
export function iattrFrom(f: Record<string, number>): Iattr {
  const valid = f.ia_valid!;
  const time = (name: string): Timespec => ({ sec: f[`ia_${name}_sec`]!, nsec: f[`ia_${name}_nsec`]! });
  const attr: Iattr = {};
  if (valid & ATTR_MODE) attr.mode = f.ia_mode!;
  if (valid & ATTR_UID) attr.uid = f.ia_uid! >>> 0;
  if (valid & ATTR_GID) attr.gid = f.ia_gid! >>> 0;
  if (valid & ATTR_SIZE) attr.size = f.ia_size!;
  for (const [field, bit] of TIMES) if (valid & bit) attr[field] = time(field);
  return attr;
}

/** setattr_copy(): the changed attributes, but the size, into the in-memory inode (the file type bits stay). */
export function setattrCopy(inode: Inode, attr: Iattr): void {
  if (attr.uid !== undefined) inode.uid = attr.uid;
  if (attr.gid !== undefined) inode.gid = attr.gid;
  if (attr.atime) inode.atime = attr.atime;
  if (attr.mtime) inode.mtime = attr.mtime;
  if (attr.ctime) inode.ctime = attr.ctime;
  if (attr.mode !== undefined) inode.mode = (inode.mode & S_IFMT) | (attr.mode & ~S_IFMT);
}

/**
 * notify_change(): EROFS on a read-only mount (mnt_want_write), EPERM or EACCES for a change the caller may
 * not make (setattr_prepare, told how utimes changes the times), then the filesystem's setattr with
 * ctime now added, which writes the change and setattr_copy()s it, or refuses it and changes nothing; without
 * one, the in-memory inode alone changes.
 */
export function notifyChange(path: Path, attr: Iattr, what: string, times: TimesChange = null): void {
  if (path.mnt.sb.flags & MS_RDONLY) throw new KernelError("EROFS", `${what}: Read-only file system`);
  const inode = path.dentry.inode;
  const full: Iattr = { ...setattrPrepare(inode, attr, times, what), ctime: inode.sb.now() };
  if (inode.op.setattr) inode.op.setattr(inode, full);
  else setattrCopy(inode, full);
}
