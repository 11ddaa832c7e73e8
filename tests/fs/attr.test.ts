// chown(2), fchown(2), lchown(2), fchownat(2), utimensat(2), utimes(2) and futimesat(2) through notify_change:
// what changes, ctime moving, set-user-ID going on chown, and Linux's errno with nothing changed on refusal.

import { beforeEach, describe, expect, it } from "vitest";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, MS_RDONLY, O_RDONLY } from "../../abi/fcntl.js";
import { S_IFDIR, S_IFREG, UTIME_NOW, UTIME_OMIT } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc, Stat } from "../../host/user/nolibc.js";
import { expectErrno } from "../helpers.js";
import { BAD_PTR, neg, sys, userBuffer, userString, writeFile } from "../vfs_helpers.js";

let libc: Libc;
let now: bigint;
beforeEach(() => {
  now = 1_700_000_000_000_000_000n;
  libc = new Kernel({ realtimeNs: () => now }).spawn("test");
  writeFile(libc, "/tmp/f", "12345");
  libc.symlink("f", "/tmp/l");
  now += 7_000_000_042n;
});

/** Two 16-byte pairs (timespec or timeval) in the task's memory. */
function pairs(a: readonly [number, number], b: readonly [number, number]): number {
  const ptr = userBuffer(libc, 32);
  const view = new DataView(libc.task.mm.memory.buffer, ptr, 32);
  [a, b].forEach(([s, n], i) => (view.setBigInt64(16 * i, BigInt(s), true), view.setBigInt64(16 * i + 8, BigInt(n), true)));
  return ptr;
}

const times = (st: Stat) => ({ atime: [st.atime, st.atimeNsec], mtime: [st.mtime, st.mtimeNsec], ctime: [st.ctime, st.ctimeNsec] });
const NOW = [1_700_000_007, 42];
const BIRTH = [1_700_000_000, 0];

describe("chown, fchown, lchown and fchownat", () => {
  it("change the ids that are not -1 and move ctime; chown and fchownat follow a final symlink, lchown does not", () => {
    expect(sys(libc, "chown", userString(libc, "/tmp/l"), 1000, -1)).toBe(0);
    expect(libc.stat("/tmp/f")).toMatchObject({ uid: 1000, gid: 0 });
    expect(times(libc.stat("/tmp/f"))).toEqual({ atime: BIRTH, mtime: BIRTH, ctime: NOW });
    expect(sys(libc, "lchown", userString(libc, "/tmp/l"), 5, 6)).toBe(0);
    expect([libc.lstat("/tmp/l").uid, libc.lstat("/tmp/l").gid, libc.stat("/tmp/f").gid]).toEqual([5, 6, 0]);
    libc.chown("/tmp/l", -1, 77);
    expect(libc.stat("/tmp/f")).toMatchObject({ uid: 1000, gid: 77 });
    libc.chown("/tmp/l", 9, 9, AT_SYMLINK_NOFOLLOW);
    expect(libc.lstat("/tmp/l")).toMatchObject({ uid: 9, gid: 9 });
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(sys(libc, "fchown", fd, 0, 0)).toBe(0);
    expect(libc.stat("/tmp/f")).toMatchObject({ uid: 0, gid: 0 });
    expect(sys(libc, "fchownat", fd, userString(libc, ""), 3, 4, AT_EMPTY_PATH)).toBe(0);
    expect(libc.fstat(fd)).toMatchObject({ uid: 3, gid: 4 });
    const dirfd = libc.open("/tmp", O_RDONLY);
    expect(sys(libc, "fchownat", dirfd, userString(libc, "f"), 8, -1, 0)).toBe(0);
    expect(libc.stat("/tmp/f").uid).toBe(8);
  });

  it("clear set-user-ID, and set-group-ID with group execute, of a file even for ids -1, never of a directory", () => {
    libc.chmod("/tmp/f", 0o6755);
    libc.chown("/tmp/f", -1, -1);
    expect(libc.stat("/tmp/f").mode).toBe(S_IFREG | 0o755);
    libc.chmod("/tmp/f", 0o6745);
    libc.chown("/tmp/f", 1, 1);
    expect(libc.stat("/tmp/f").mode).toBe(S_IFREG | 0o2745);
    libc.mkdir("/tmp/d", 0o755);
    libc.chmod("/tmp/d", 0o2775);
    libc.chown("/tmp/d", 1, 1);
    expect(libc.stat("/tmp/d").mode).toBe(S_IFDIR | 0o2775);
  });

  it("refuse bad flags, a missing file, a bad pointer, a bad descriptor and a read-only mount, changing nothing", () => {
    const before = libc.stat("/tmp/f");
    expect(sys(libc, "fchownat", AT_FDCWD, userString(libc, "/tmp/f"), 1, 1, 0x4)).toBe(neg("EINVAL"));
    expect(sys(libc, "fchownat", AT_FDCWD, userString(libc, ""), 1, 1, 0)).toBe(neg("ENOENT"));
    expect(sys(libc, "chown", userString(libc, "/tmp/nope"), 1, 1)).toBe(neg("ENOENT"));
    expect(sys(libc, "chown", BAD_PTR, 1, 1)).toBe(neg("EFAULT"));
    expect(sys(libc, "fchown", 99, 1, 1)).toBe(neg("EBADF"));
    expect(libc.stat("/tmp/f")).toEqual(before);
    libc.mkdir("/mnt/x");
    libc.mount("none", "/mnt/x", "devtmpfs", MS_RDONLY);
    const dir = libc.stat("/mnt/x");
    expectErrno(() => libc.chown("/mnt/x", 1, 1), "EROFS");
    expect(libc.stat("/mnt/x")).toEqual(dir);
  });
});

describe("utimensat, utimes and futimesat", () => {
  it("set both times from timespecs, UTIME_NOW to now, UTIME_OMIT left alone; ctime moves", () => {
    libc.utimensat("/tmp/f", [[1000, 5], [2000, 999_999_999]]);
    expect(times(libc.stat("/tmp/f"))).toEqual({ atime: [1000, 5], mtime: [2000, 999_999_999], ctime: NOW });
    libc.utimensat("/tmp/f", [[0, UTIME_OMIT], [0, UTIME_NOW]]);
    expect(times(libc.stat("/tmp/f"))).toEqual({ atime: [1000, 5], mtime: NOW, ctime: NOW });
    libc.utimensat("/tmp/f", null);
    expect(times(libc.stat("/tmp/f"))).toEqual({ atime: NOW, mtime: NOW, ctime: NOW });
    libc.utimensat("/tmp/f", [[-1, 0], [2 ** 40, 0]]);
    expect(times(libc.stat("/tmp/f"))).toMatchObject({ atime: [-1, 0], mtime: [2 ** 40, 0] });
  });

  it("follow a final symlink unless AT_SYMLINK_NOFOLLOW; a null path with a descriptor is that file", () => {
    libc.utimensat("/tmp/l", [[10, 0], [20, 0]]);
    expect(libc.stat("/tmp/f")).toMatchObject({ atime: 10, mtime: 20 });
    libc.utimensat("/tmp/l", [[30, 0], [40, 0]], AT_SYMLINK_NOFOLLOW);
    expect([libc.lstat("/tmp/l").mtime, libc.stat("/tmp/f").mtime]).toEqual([40, 20]);
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(sys(libc, "utimensat", fd, 0, pairs([50, 0], [60, 0]), 0)).toBe(0);
    expect(libc.stat("/tmp/f")).toMatchObject({ atime: 50, mtime: 60 });
    expect(sys(libc, "utimensat", fd, 0, 0, AT_SYMLINK_NOFOLLOW)).toBe(neg("EINVAL"));
  });

  it("utimes and futimesat take timevals, microseconds as nanoseconds", () => {
    expect(sys(libc, "utimes", userString(libc, "/tmp/f"), pairs([100, 1], [200, 999_999]))).toBe(0);
    expect(times(libc.stat("/tmp/f"))).toEqual({ atime: [100, 1000], mtime: [200, 999_999_000], ctime: NOW });
    const dirfd = libc.open("/tmp", O_RDONLY);
    expect(sys(libc, "futimesat", dirfd, userString(libc, "f"), pairs([300, 0], [400, 0]))).toBe(0);
    expect(libc.stat("/tmp/f")).toMatchObject({ atime: 300, mtime: 400 });
  });

  it("refuse bad nsec or usec, bad flags, a bad pointer, a missing file and a read-only mount, changing nothing", () => {
    const before = libc.stat("/tmp/f");
    const f = () => userString(libc, "/tmp/f");
    expect(sys(libc, "utimensat", AT_FDCWD, f(), pairs([1, 1_000_000_000], [1, 0]), 0)).toBe(neg("EINVAL"));
    expect(sys(libc, "utimensat", AT_FDCWD, f(), pairs([1, 0], [1, -1]), 0)).toBe(neg("EINVAL"));
    expect(sys(libc, "utimensat", AT_FDCWD, f(), 0, 0x2)).toBe(neg("EINVAL"));
    expect(sys(libc, "utimensat", AT_FDCWD, f(), BAD_PTR, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "utimensat", AT_FDCWD, 0, 0, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "utimensat", 99, 0, 0, 0)).toBe(neg("EBADF"));
    expect(sys(libc, "utimensat", AT_FDCWD, userString(libc, "/tmp/nope"), pairs([1, 1_000_000_000], [1, 0]), 0)).toBe(neg("ENOENT"));
    expect(sys(libc, "utimes", f(), pairs([1, 1_000_000], [1, 0]))).toBe(neg("EINVAL"));
    expect(sys(libc, "utimes", f(), pairs([1, 0], [1, -1]))).toBe(neg("EINVAL"));
    expect(libc.stat("/tmp/f")).toEqual(before);
    // Both UTIME_OMIT: nothing to do, and the path is not even looked at.
    expect(sys(libc, "utimensat", AT_FDCWD, userString(libc, "/tmp/nope"), pairs([0, UTIME_OMIT], [0, UTIME_OMIT]), 0)).toBe(0);
    libc.mkdir("/mnt/x");
    libc.mount("none", "/mnt/x", "devtmpfs", MS_RDONLY);
    const dir = libc.stat("/mnt/x");
    expectErrno(() => libc.utimensat("/mnt/x", null), "EROFS");
    expect(libc.stat("/mnt/x")).toEqual(dir);
  });
});
