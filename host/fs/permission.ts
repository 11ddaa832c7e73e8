// Permission checks (fs/namei.c's generic_permission, may_lookup, may_create and may_delete; fs/attr.c's
// setattr_prepare): the inode's mode, uid and gid against the caller's credentials, whatever filesystem it is on.

import { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID } from "../../abi/capability.js";
import { S_ISDIR } from "../../abi/stat.js";
import { capable, currentCred, inGroupP, ownerOrCapable } from "../kernel/cred.js";
import { KernelError } from "../kernel/error.js";
import type { Iattr, Inode } from "./fs.js";

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

const S_ISVTX = 0o1000;
const S_ISGID = 0o2000;
const S_IXUGO = 0o111;

/** acl_permission_check(): the owner's bits for the owner, the group's for a member, else the others'. */
function aclPermissionCheck(inode: Inode, mask: number): boolean {
  const cred = currentCred();
  const shift = cred.fsuid === inode.uid ? 6 : inGroupP(inode.gid, cred) ? 3 : 0;
  return (mask & ~(inode.mode >> shift) & 7) === 0;
}

/**
 * generic_permission(): the mode bits, then root's overrides. CAP_DAC_READ_SEARCH reads any file and searches
 * any directory; CAP_DAC_OVERRIDE does anything else, but runs a file only if some x bit is set.
 */
export function genericPermission(inode: Inode, mask: number): boolean {
  if (aclPermissionCheck(inode, mask)) return true;
  if (S_ISDIR(inode.mode)) return (!(mask & MAY_WRITE) && capable(CAP_DAC_READ_SEARCH)) || capable(CAP_DAC_OVERRIDE);
  if (mask === MAY_READ && capable(CAP_DAC_READ_SEARCH)) return true;
  return (!(mask & MAY_EXEC) || (inode.mode & S_IXUGO) !== 0) && capable(CAP_DAC_OVERRIDE);
}

/** inode_permission(): EACCES naming `what` unless the caller may. */
export function inodePermission(inode: Inode, mask: number, what: string): void {
  if (!genericPermission(inode, mask)) throw new KernelError("EACCES", `${what}: Permission denied`);
}

/** may_lookup(): search permission on each directory a walk passes through. */
export function mayLookup(dir: Inode, path: string): void {
  inodePermission(dir, MAY_EXEC, path);
}

/** may_create(): write and search permission on the directory that gets the new entry. */
export function mayCreate(dir: Inode, path: string): void {
  inodePermission(dir, MAY_WRITE | MAY_EXEC, path);
}

/**
 * may_delete(): write and search permission on the directory, then its sticky bit (check_sticky): only the
 * entry's owner, the directory's owner or CAP_FOWNER may remove or replace an entry there, else EPERM.
 */
export function mayDelete(dir: Inode, victim: Inode, path: string): void {
  mayCreate(dir, path);
  if (!(dir.mode & S_ISVTX)) return;
  const fsuid = currentCred().fsuid;
  if (fsuid !== victim.uid && fsuid !== dir.uid && !capable(CAP_FOWNER)) throw new KernelError("EPERM", `${path}: Operation not permitted`);
}

/**
 * inode_init_owner(): a new inode belongs to the caller's fsuid, and to its fsgid unless the directory is
 * set-group-ID: then to the directory's group, and a new directory is set-group-ID too.
 */
export function inodeInitOwner(dir: Inode, mode: number): { uid: number; gid: number; mode: number } {
  const cred = currentCred();
  if (!(dir.mode & S_ISGID)) return { uid: cred.fsuid, gid: cred.fsgid, mode };
  return { uid: cred.fsuid, gid: dir.gid, mode: S_ISDIR(mode) ? mode | S_ISGID : mode };
}

/** How utimes changes the times: ATTR_TOUCH (both to now), ATTR_TIMES_SET (given), or not at all (null). */
export type TimesChange = "touch" | "set" | null;

/**
 * setattr_prepare() and may_setattr(): EPERM unless the caller may make each change. Only CAP_CHOWN gives a
 * file away; its owner may change its group to one of its own; only the owner or CAP_FOWNER changes the mode
 * or sets given times; setting both to now needs only write permission (EACCES). Returns the change, with
 * set-group-ID dropped from a mode whose group the caller is not in (without CAP_FSETID).
 */
export function setattrPrepare(inode: Inode, attr: Iattr, times: TimesChange, what: string): Iattr {
  const cred = currentCred();
  const eperm = () => new KernelError("EPERM", `${what}: Operation not permitted`);
  if (times === "touch" && !ownerOrCapable(inode)) inodePermission(inode, MAY_WRITE, what);
  const owner = cred.fsuid === inode.uid;
  if (attr.uid !== undefined && !((owner && attr.uid === inode.uid) || capable(CAP_CHOWN))) throw eperm();
  if (attr.gid !== undefined && !((owner && (attr.gid === inode.gid || inGroupP(attr.gid))) || capable(CAP_CHOWN))) throw eperm();
  if (attr.mode !== undefined && !ownerOrCapable(inode)) throw eperm();
  if (times === "set" && !ownerOrCapable(inode)) throw eperm();
  if (attr.mode !== undefined && attr.mode & S_ISGID && !inGroupP(attr.gid ?? inode.gid) && !capable(CAP_FSETID)) {
    return { ...attr, mode: attr.mode & ~S_ISGID };
  }
  return attr;
}
