// Supplementary groups (kernel/groups.c): getgroups(2) and setgroups(2).

import { CAP_SETGID, NGROUPS_MAX } from "../../abi/capability.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import { capable } from "./cred.js";
import { KernelError } from "./error.js";
import type { Task } from "./sched.js";

/** (gid_t)-1 names no group: EINVAL in a group list. */
const NO_ID = 0xffffffff;

/** Ids as the little-endian u32 array (gid_t[]) user memory holds. */
export function u32s(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return bytes;
}

/** getgroups(2): the count for size 0, EINVAL for a negative size or one too small for the list, else the list. */
export function sys_getgroups(task: Task, size: number, list: number): number {
  const groups = task.cred.groups;
  if (size < 0) throw new KernelError("EINVAL", "getgroups: Invalid argument");
  if (size === 0) return groups.length;
  if (size < groups.length) throw new KernelError("EINVAL", "getgroups: Invalid argument");
  copyToUser(task.mm, list, u32s(groups));
  return groups.length;
}

/** setgroups(2): EPERM without CAP_SETGID, then EINVAL past NGROUPS_MAX or for a -1 in the list; stored sorted (groups_sort). */
export function sys_setgroups(task: Task, size: number, list: number): number {
  if (!capable(CAP_SETGID, task.cred)) throw new KernelError("EPERM", "setgroups: Operation not permitted");
  if (size >>> 0 > NGROUPS_MAX) throw new KernelError("EINVAL", "setgroups: Invalid argument");
  const bytes = copyFromUser(task.mm, list, size * 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const groups = Array.from({ length: size }, (_, i) => view.getUint32(i * 4, true));
  if (groups.includes(NO_ID)) throw new KernelError("EINVAL", "setgroups: Invalid argument");
  task.cred = { ...task.cred, groups: groups.sort((a, b) => a - b) };
  return 0;
}
