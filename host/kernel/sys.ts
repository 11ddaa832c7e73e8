// Process identity system calls (kernel/sys.c): getpid and the user and group ids, with Linux's rules for
// who may become whom. (uid_t)-1 means "leave as it is" where Linux says so, and is EINVAL where it is a value.

import { CAP_SETGID, CAP_SETUID } from "../../abi/capability.js";
import { KernelError } from "./error.js";
import { capable, type Cred } from "./cred.js";
import { copyToUser } from "../mm/uaccess.js";
import { u32s } from "./groups.js";
import type { Task } from "./sched.js";

export function sys_getpid(task: Task): number {
  return task.pid;
}

/** (uid_t)-1: no id, so "unchanged" for the calls that take several. */
const NO_ID = 0xffffffff;

type Ids = "uid" | "gid";
/** The real, effective, saved and filesystem fields of the uid or gid side of a Cred. */
const FIELDS = {
  uid: { r: "uid", e: "euid", s: "suid", fs: "fsuid", cap: CAP_SETUID, name: "setuid", re: "setreuid", res: "setresuid" },
  gid: { r: "gid", e: "egid", s: "sgid", fs: "fsgid", cap: CAP_SETGID, name: "setgid", re: "setregid", res: "setresgid" },
} as const;

function commit(task: Task, change: Partial<Omit<Cred, "groups">>): number {
  task.cred = { ...task.cred, ...change };
  return 0;
}

function eperm(call: string): KernelError {
  return new KernelError("EPERM", `${call}: Operation not permitted`);
}

/** Whether an unprivileged task may take id: it is already one of its real, effective or saved ones. */
function isOwnId(cred: Cred, which: Ids, id: number): boolean {
  const f = FIELDS[which];
  return id === cred[f.r] || id === cred[f.e] || id === cred[f.s];
}

/**
 * setuid(2) and setgid(2): with CAP_SETUID (CAP_SETGID) all four ids become id; without, only the effective
 * and filesystem ones, and only to the real or saved id (EPERM otherwise). EINVAL for -1.
 */
export function sysSetId(task: Task, which: Ids, id: number): number {
  const f = FIELDS[which];
  const cred = task.cred;
  if (id >>> 0 === NO_ID) throw new KernelError("EINVAL", `${f.name}: Invalid argument`);
  if (capable(f.cap, cred)) return commit(task, { [f.r]: id, [f.e]: id, [f.s]: id, [f.fs]: id });
  if (id !== cred[f.r] && id !== cred[f.s]) throw eperm(f.name);
  return commit(task, { [f.e]: id, [f.fs]: id });
}

/**
 * setreuid(2) and setregid(2): the real id may become the real or effective one, the effective id the real,
 * effective or saved one, anything with the capability; the saved id follows the new effective one when the
 * real id is set or the effective one set to something other than the old real id.
 */
export function sysSetReId(task: Task, which: Ids, real: number, effective: number): number {
  const f = FIELDS[which];
  const cred = task.cred;
  const r = real >>> 0;
  const e = effective >>> 0;
  const privileged = capable(f.cap, cred);
  if (r !== NO_ID && !privileged && r !== cred[f.r] && r !== cred[f.e]) throw eperm(f.re);
  if (e !== NO_ID && !privileged && !isOwnId(cred, which, e)) throw eperm(f.re);
  const newR = r !== NO_ID ? r : cred[f.r];
  const newE = e !== NO_ID ? e : cred[f.e];
  const newS = r !== NO_ID || (e !== NO_ID && e !== cred[f.r]) ? newE : cred[f.s];
  return commit(task, { [f.r]: newR, [f.e]: newE, [f.s]: newS, [f.fs]: newE });
}

/** setresuid(2) and setresgid(2): each id that is not -1 changes; without the capability only to one of the three old ones. */
export function sysSetResId(task: Task, which: Ids, real: number, effective: number, saved: number): number {
  const f = FIELDS[which];
  const cred = task.cred;
  const ids = [real >>> 0, effective >>> 0, saved >>> 0];
  if (!capable(f.cap, cred) && ids.some((id) => id !== NO_ID && !isOwnId(cred, which, id))) throw eperm(f.res);
  const [r, e, s] = ids.map((id, i) => (id !== NO_ID ? id : cred[[f.r, f.e, f.s][i]!])) as [number, number, number];
  return commit(task, { [f.r]: r, [f.e]: e, [f.s]: s, [f.fs]: e });
}

/**
 * setfsuid(2) and setfsgid(2): always the old filesystem id, never an error; the new one takes only if it
 * is the real, effective, saved or current filesystem id, or the caller has the capability.
 */
export function sysSetFsId(task: Task, which: Ids, id: number): number {
  const f = FIELDS[which];
  const cred = task.cred;
  const old = cred[f.fs];
  const n = id >>> 0;
  if (n !== NO_ID && (isOwnId(cred, which, n) || n === old || capable(f.cap, cred))) commit(task, { [f.fs]: n });
  return old;
}

/** getresuid(2) and getresgid(2): the three ids, each to its pointer (EFAULT for a bad one). */
export function sys_getresid(task: Task, ids: readonly [number, number, number], ptrs: readonly [number, number, number]): number {
  ptrs.forEach((ptr, i) => copyToUser(task.mm, ptr, u32s([ids[i]!])));
  return 0;
}
