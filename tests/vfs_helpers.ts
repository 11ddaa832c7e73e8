// Helpers for the VFS and system call suites: a booted kernel with a task whose clock moves on at each read;
// the rest (snapshots of a directory tree, raw pointers into the task's memory) is the testing toolkit's.

import { Kernel } from "../host/init/main.js";
import type { Libc, Statfs } from "../host/user/nolibc.js";

export { BAD_PTR, getdentsOnce, names, neg, sys, text, tree, userBuffer, userString, writeFile } from "../testing/vfs.js";

export interface Booted {
  readonly k: Kernel;
  /** A task of its own ("test"), cwd /. */
  readonly libc: Libc;
}

/**
 * A fresh kernel whose wall clock moves on one second each time it is read, so every time stamp the
 * VFS sets differs from the one before (stat shows whole seconds).
 */
export function boot(): Booted {
  let sec = 1_700_000_000n;
  const k = new Kernel({ realtimeNs: () => ++sec * 1_000_000_000n });
  return { k, libc: k.spawn("test") };
}

/** statfs or fstatfs into a struct statfs, its fields by name (fsid as its two ints). */
export function statfs(libc: Libc, target: string | number): Statfs {
  return typeof target === "string" ? libc.statfs(target) : libc.fstatfs(target);
}
