// utimensat(2), utimes(2) and futimesat(2) (fs/utimes.c): a file's access and modification times, given or now.

import { AT_FDCWD } from "../../abi/fcntl.js";
import { TIMESPEC_LAYOUT, TIMEVAL_LAYOUT, UTIME_NOW, UTIME_OMIT } from "../../abi/stat.js";
import type { StructLayout } from "../../abi/types.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyFromUser } from "../mm/uaccess.js";
import { notifyChange } from "./attr.js";
import type { Iattr, Path, Timespec } from "./fs.js";
import { userPathAt } from "./open.js";
import type { Vfs } from "./vfs.js";

/** The two structs of two 64-bit fields at ptr (utimensat's timespecs, utimes' timevals): EFAULT if unreadable. */
function readPairs(task: Task, ptr: number, layout: StructLayout): [bigint, bigint][] {
  const view = new DataView(copyFromUser(task.mm, ptr, 2 * layout.size).buffer);
  return [0, layout.size].map((at) => [view.getBigInt64(at, true), view.getBigInt64(at + 8, true)]);
}

const nsecValid = (nsec: bigint): boolean => nsec === BigInt(UTIME_NOW) || nsec === BigInt(UTIME_OMIT) || (nsec >= 0n && nsec < 1_000_000_000n);

/**
 * vfs_utimes(): EINVAL for a tv_nsec out of range (after the lookup, as Linux); times null sets both to now,
 * else each is its timespec, now for UTIME_NOW, left alone for UTIME_OMIT. ctime moves in any case.
 */
function vfsUtimes(path: Path, times: [bigint, bigint][] | null): number {
  if (times && !times.every(([, nsec]) => nsecValid(nsec))) throw new KernelError("EINVAL", "utimensat: Invalid argument");
  const now = path.dentry.inode.sb.now();
  const pick = ([sec, nsec]: [bigint, bigint]): Timespec | undefined =>
    nsec === BigInt(UTIME_OMIT) ? undefined : nsec === BigInt(UTIME_NOW) ? now : { sec: Number(sec), nsec: Number(nsec) };
  const attr: Iattr = times ? { atime: pick(times[0]!), mtime: pick(times[1]!) } : { atime: now, mtime: now };
  // Both now is NULL times (ATTR_TOUCH); anything else given, even UTIME_OMIT, is ATTR_TIMES_SET.
  const touch = !times || times.every(([, nsec]) => nsec === BigInt(UTIME_NOW));
  notifyChange(path, attr, "utimensat", touch ? "touch" : "set");
  return 0;
}

/**
 * do_utimes(): a null pathname with a descriptor is that file (do_utimes_fd, EINVAL for any flag); else the
 * path, walked as fchownat walks it (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH).
 */
function doUtimes(vfs: Vfs, task: Task, dirfd: number, pathname: number, times: [bigint, bigint][] | null, flags: number): number {
  if (pathname === 0 && dirfd !== AT_FDCWD) {
    if (flags !== 0) throw new KernelError("EINVAL", "utimensat: Invalid argument");
    return vfsUtimes(task.files.get(dirfd).path, times);
  }
  return vfsUtimes(userPathAt(vfs, task, dirfd, pathname, flags, "utimensat"), times);
}

/** utimensat(2): both times UTIME_OMIT does nothing, without even looking at the path. */
export function sys_utimensat(vfs: Vfs, task: Task, dirfd: number, pathname: number, utimes: number, flags: number): number {
  const times = utimes === 0 ? null : readPairs(task, utimes, TIMESPEC_LAYOUT);
  if (times && times.every(([, nsec]) => nsec === BigInt(UTIME_OMIT))) return 0;
  return doUtimes(vfs, task, dirfd, pathname, times, flags);
}

/** futimesat(2) (and utimes(2) at AT_FDCWD): timevals, EINVAL for a tv_usec outside 0..999999 before the walk. */
export function sys_futimesat(vfs: Vfs, task: Task, dirfd: number, pathname: number, utimes: number): number {
  const tv = utimes === 0 ? null : readPairs(task, utimes, TIMEVAL_LAYOUT);
  if (tv && !tv.every(([, usec]) => usec >= 0n && usec < 1_000_000n)) throw new KernelError("EINVAL", "utimes: Invalid argument");
  return doUtimes(vfs, task, dirfd, pathname, tv && tv.map(([sec, usec]) => [sec, usec * 1000n]), 0);
}
