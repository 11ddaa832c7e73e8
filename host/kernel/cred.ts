// Task credentials (include/linux/cred.h, kernel/cred.c): who a task is, for every permission check.
//
// A Cred is never changed in place: the set*id calls build a new one and commit it (prepare_creds,
// commit_creds), so a task forked off shares its parent's until either changes.

import { CAP_FOWNER, CAP_FS_MASK } from "../../abi/capability.js";
import { currentOrNull } from "./sched.js";

export interface Cred {
  /** The real ids: who started the task. */
  readonly uid: number;
  readonly gid: number;
  /** The saved ids: what an unprivileged task may switch back to. */
  readonly suid: number;
  readonly sgid: number;
  /** The effective ids: who the task acts as. */
  readonly euid: number;
  readonly egid: number;
  /** The filesystem ids: who owns what it creates and whose permission bits apply (follow euid unless set). */
  readonly fsuid: number;
  readonly fsgid: number;
  /** The supplementary groups, sorted (groups_sort). */
  readonly groups: readonly number[];
}

/** init_cred: root, with every capability. */
export const INIT_CRED: Cred = { uid: 0, gid: 0, suid: 0, sgid: 0, euid: 0, egid: 0, fsuid: 0, fsgid: 0, groups: [] };

/** current_cred(): the running system call's task's, or the kernel's own (init_cred) outside one. */
export function currentCred(): Cred {
  return currentOrNull()?.cred ?? INIT_CRED;
}

/**
 * capable(): root's capabilities without capability sets. Effective uid 0 has them all; the filesystem ones
 * follow fsuid, as cap_task_fix_setuid() drops CAP_FS_MASK when fsuid leaves 0 and raises it when it returns.
 */
export function capable(cap: number, cred: Cred = currentCred()): boolean {
  return CAP_FS_MASK.includes(cap) ? cred.fsuid === 0 : cred.euid === 0;
}

/** in_group_p(): gid is the task's fsgid or one of its supplementary groups. */
export function inGroupP(gid: number, cred: Cred = currentCred()): boolean {
  return cred.fsgid === gid || cred.groups.includes(gid);
}

/** inode_owner_or_capable(): the caller's fsuid owns the inode, or it has CAP_FOWNER. */
export function ownerOrCapable(inode: { readonly uid: number }, cred: Cred = currentCred()): boolean {
  return cred.fsuid === inode.uid || capable(CAP_FOWNER, cred);
}
