// stat(2), lstat(2), fstat(2) and readlink(2): x86_64's struct stat and its fields, links, and errno.

import { beforeEach, describe, expect, it } from "vitest";
import { MS_RDONLY, O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { makedev, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, STAT_LAYOUT } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import { parseStat, type Libc } from "../../host/user/nolibc.js";
import { expectErrno } from "../helpers.js";
import { boot, neg, sys, text, userBuffer, userString, writeFile } from "../vfs_helpers.js";

let libc: Libc;
beforeEach(() => {
  libc = boot().libc;
  writeFile(libc, "/tmp/f", "12345");
  libc.symlink("f", "/tmp/l");
});

describe("struct stat", () => {
  it("fills x86_64's 144 bytes and nothing past them", () => {
    expect(STAT_LAYOUT.size).toBe(144);
    const buf = userBuffer(libc, 152);
    libc.task.mm.bytes(buf, 152).fill(0xee);
    expect(sys(libc, "stat", userString(libc, "/tmp/f"), buf)).toBe(0);
    expect([...libc.task.mm.bytes(buf + 144, 8)]).toEqual(Array(8).fill(0xee));
    // Offsets from asm/stat.h, not from STAT_LAYOUT: st_mode at 24, __pad0 at 36, st_size at 48.
    const view = new DataView(libc.task.mm.memory.buffer, buf, 144);
    expect(view.getUint32(24, true)).toBe(S_IFREG | 0o644);
    expect(view.getBigInt64(48, true)).toBe(5n);
    expect(view.getInt32(36, true)).toBe(0);
    expect(parseStat(libc.task.mm.bytes(buf, 144))).toEqual(libc.stat("/tmp/f"));
  });

  it("describes a regular file: one link, its size, 4 KiB blocks, the same time stamps at birth", () => {
    const st = libc.stat("/tmp/f");
    expect(st).toMatchObject({ mode: S_IFREG | 0o644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 5, blksize: 4096, blocks: 8 });
    const fresh = libc.open("/tmp/new", O_CREAT | O_WRONLY, 0o644);
    const born = libc.fstat(fresh);
    expect(born.mtime).toBe(born.ctime);
    expect(born.atime).toBe(born.mtime);
  });

  it("gives a device node its type and st_rdev, and a FIFO its type", () => {
    libc.mknod("/tmp/c", S_IFCHR | 0o600, makedev(240, 1));
    libc.mknod("/tmp/p", S_IFIFO | 0o644);
    expect(libc.stat("/tmp/c")).toMatchObject({ mode: S_IFCHR | 0o600, rdev: makedev(240, 1), size: 0 });
    expect(libc.stat("/tmp/p").mode).toBe(S_IFIFO | 0o644);
  });

  it("numbers inodes apart within a filesystem, and filesystems apart by st_dev", () => {
    const [f, tmp, dev] = [libc.stat("/tmp/f"), libc.stat("/tmp"), libc.stat("/dev")];
    expect(f.dev).toBe(tmp.dev);
    expect(f.ino).not.toBe(tmp.ino);
    expect(dev.dev).not.toBe(tmp.dev);
  });
});

describe("stat, lstat and fstat", () => {
  it("stat follows a symlink, lstat describes the link (its size the target's length)", () => {
    expect(libc.stat("/tmp/l").ino).toBe(libc.stat("/tmp/f").ino);
    expect(libc.lstat("/tmp/l")).toMatchObject({ mode: S_IFLNK | 0o777, size: 1, nlink: 1 });
    expect(libc.lstat("/tmp/f")).toEqual(libc.stat("/tmp/f"));
  });

  it("fstat describes what the descriptor has open, EBADF for one that is not open", () => {
    const fd = libc.open("/tmp/l", O_RDONLY);
    expect(libc.fstat(fd)).toEqual(libc.stat("/tmp/f"));
    expect(libc.fstat(libc.open("/tmp", O_RDONLY)).mode).toBe(S_IFDIR | 0o755);
    libc.close(fd);
    expectErrno(() => libc.fstat(fd), "EBADF");
  });

  it("gives ENOENT for a missing name and ENOTDIR through a file", () => {
    for (const call of ["stat", "lstat"] as const) {
      expectErrno(() => libc[call]("/tmp/missing"), "ENOENT");
      expectErrno(() => libc[call]("/tmp/f/x"), "ENOTDIR");
    }
  });
});

describe("readlink", () => {
  /** readlink(path, buf, bufsiz) into a fresh buffer: [the return, the bytes it wrote]. */
  function readlinkRaw(path: string, bufsiz: number): [number, string] {
    const buf = userBuffer(libc, 64);
    const n = sys(libc, "readlink", userString(libc, path), buf, bufsiz);
    return [n, text(libc.task.mm.bytes(buf, Math.max(n, 0)))];
  }

  it("returns the target without a NUL, cut to bufsiz", () => {
    libc.symlink("/a/longer/target", "/tmp/long");
    expect(readlinkRaw("/tmp/long", 64)).toEqual([16, "/a/longer/target"]);
    expect(readlinkRaw("/tmp/long", 5)).toEqual([5, "/a/lo"]);
  });

  it("refuses a bufsiz of 0 or less with EINVAL before it walks, and a path that is not a link", () => {
    expect(readlinkRaw("/tmp/l", 0)[0]).toBe(neg("EINVAL"));
    expect(readlinkRaw("/tmp/missing", -1)[0]).toBe(neg("EINVAL"));
    expect(readlinkRaw("/tmp/f", 64)[0]).toBe(neg("EINVAL"));
    expect(readlinkRaw("/tmp/missing", 64)[0]).toBe(neg("ENOENT"));
  });
});

describe("chmod, fchmod and fchmodat", () => {
  it("moves the ctime to now and leaves the mtime", () => {
    let now = 1_700_000_000_000_000_000n;
    const task = new Kernel({ realtimeNs: () => now }).spawn("test");
    writeFile(task, "/tmp/f", "12345");
    const before = task.stat("/tmp/f");
    now += 5_000_000_123n;
    task.chmod("/tmp/f", 0o700);
    const after = task.stat("/tmp/f");
    expect([before.ctime, before.ctimeNsec]).toEqual([1_700_000_000, 0]);
    expect([after.ctime, after.ctimeNsec]).toEqual([1_700_000_005, 123]);
    expect([after.mtime, after.mtimeNsec]).toEqual([1_700_000_000, 0]);
  });

  it("is EROFS on a read-only mount, EBADF for a descriptor not open, and takes a path relative to dirfd", () => {
    libc.mkdir("/mnt/x");
    libc.mount("none", "/mnt/x", "devtmpfs", MS_RDONLY);
    expectErrno(() => libc.chmod("/mnt/x", 0o700), "EROFS");
    expect(libc.stat("/mnt/x").mode & 0o777).toBe(0o755);
    expect(sys(libc, "fchmod", 99, 0o700)).toBe(neg("EBADF"));
    const dirfd = libc.open("/tmp", O_RDONLY);
    expect(sys(libc, "fchmodat", dirfd, userString(libc, "f"), 0o640)).toBe(0);
    expect(libc.stat("/tmp/f").mode).toBe(S_IFREG | 0o640);
  });
});
