// Helpers for the VFS and system call suites: a booted kernel with a task whose clock moves on at each read;
// the rest (snapshots of a directory tree, raw pointers into the task's memory) is the testing toolkit's.

import { Kernel } from "../host/init/main.js";
import type { Libc } from "../host/user/nolibc.js";
import { STATFS_LAYOUT } from "../abi/stat.js";
import { sys, userBuffer, userString } from "../testing/vfs.js";

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
export function statfs(libc: Libc, target: string | number): Record<string, number> {
  const buf = userBuffer(libc, STATFS_LAYOUT.size);
  const r = typeof target === "string" ? sys(libc, "statfs", userString(libc, target), buf) : sys(libc, "fstatfs", target, buf);
  if (r !== 0) throw new Error(`statfs ${target}: ${r}`);
  const view = new DataView(libc.task.mm.bytes(buf, STATFS_LAYOUT.size).slice().buffer);
  return Object.fromEntries(STATFS_LAYOUT.fields.map((f) => [f.name, f.size === 8 ? Number(view.getBigInt64(f.offset, true)) : view.getInt32(f.offset, true)]));
}
