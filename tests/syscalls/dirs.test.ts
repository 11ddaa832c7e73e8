// The calls that change the tree or move around it, by their own numbers: mkdir, rmdir, unlink, rename,
// symlink, mknod (and their *at forms), getdents64, getcwd, chdir, truncate and ftruncate.

import { beforeEach, describe, expect, it } from "vitest";
import { AT_FDCWD, AT_REMOVEDIR, O_DIRECTORY, O_RDONLY, O_RDWR, SEEK_SET } from "../../abi/fcntl.js";
import {
  DIRENT64_NAME_OFFSET, DT_DIR, DT_REG, makedev, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK,
} from "../../abi/stat.js";
import type { File, Inode } from "../../host/fs/fs.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused } from "../helpers.js";
import { boot, getdentsOnce, names, neg, sys, text, tree, userBuffer, userString, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
  libc.mkdir("/tmp/d");
  writeFile(libc, "/tmp/d/f", "0123456789");
});

const str = (s: string) => userString(libc, s);

describe("the legacy calls and their *at forms", () => {
  it("mkdir, symlink, mknod, rename, unlink and rmdir work from the cwd", () => {
    libc.chdir("/tmp/d");
    expect(sys(libc, "mkdir", str("sub"), 0o755)).toBe(0);
    expect(sys(libc, "symlink", str("f"), str("l"))).toBe(0);
    expect(sys(libc, "mknod", str("n"), S_IFREG | 0o600, 0)).toBe(0);
    expect(sys(libc, "rename", str("n"), str("sub/n"))).toBe(0);
    expect(names(libc, "/tmp/d").sort()).toEqual(["f", "l", "sub"]);
    expect(sys(libc, "unlink", str("sub/n"))).toBe(0);
    expect(sys(libc, "rmdir", str("sub"))).toBe(0);
    expect(sys(libc, "unlink", str("l"))).toBe(0);
    expect(names(libc, "/tmp/d")).toEqual(["f"]);
  });

  it("the *at forms walk from their directory descriptors", () => {
    const d = libc.open("/tmp/d", O_RDONLY | O_DIRECTORY);
    const tmp = libc.open("/tmp", O_RDONLY | O_DIRECTORY);
    expect(sys(libc, "mkdirat", d, str("sub"), 0o755)).toBe(0);
    expect(sys(libc, "symlinkat", str("f"), d, str("l"))).toBe(0);
    expect(sys(libc, "mknodat", d, str("n"), S_IFIFO | 0o600, 0)).toBe(0);
    expect(sys(libc, "renameat", d, str("n"), tmp, str("moved"))).toBe(0);
    expect(names(libc, "/tmp").sort()).toEqual(["d", "moved"]);
    expect(sys(libc, "unlinkat", tmp, str("moved"), 0)).toBe(0);
    expect(sys(libc, "unlinkat", d, str("sub"), AT_REMOVEDIR)).toBe(0);
    expect(sys(libc, "unlinkat", d, str("l"), 0)).toBe(0);
    expect(names(libc, "/tmp/d")).toEqual(["f"]);
  });

  it("unlinkat refuses flags other than AT_REMOVEDIR with EINVAL, and AT_REMOVEDIR on a file with ENOTDIR", () => {
    const before = tree(libc, "/tmp");
    expect(sys(libc, "unlinkat", AT_FDCWD, str("/tmp/d/f"), 0x100)).toBe(neg("EINVAL"));
    expect(sys(libc, "unlinkat", AT_FDCWD, str("/tmp/d/f"), AT_REMOVEDIR)).toBe(neg("ENOTDIR"));
    expect(tree(libc, "/tmp")).toEqual(before);
  });
});

describe("mkdir", () => {
  it("keeps the permission bits and the sticky bit, less the umask, and drops set-id bits", () => {
    libc.mkdir("/tmp/d/all", 0o7777);
    expect(libc.stat("/tmp/d/all").mode).toBe(S_IFDIR | 0o1755);
  });
});

describe("mknod", () => {
  it("makes regular files (type 0 too), device nodes, FIFOs and sockets", () => {
    libc.mknod("/tmp/d/zero", 0o644);
    libc.mknod("/tmp/d/chr", S_IFCHR | 0o600, makedev(1, 3));
    libc.mknod("/tmp/d/blk", S_IFBLK | 0o600, makedev(8, 1));
    libc.mknod("/tmp/d/fifo", S_IFIFO | 0o600);
    libc.mknod("/tmp/d/sock", S_IFSOCK | 0o600);
    const modes = ["zero", "chr", "blk", "fifo", "sock"].map((n) => libc.stat(`/tmp/d/${n}`).mode);
    expect(modes).toEqual([S_IFREG | 0o644, S_IFCHR | 0o600, S_IFBLK | 0o600, S_IFIFO | 0o600, S_IFSOCK | 0o600]);
    expect(libc.stat("/tmp/d/blk").rdev).toBe(makedev(8, 1));
  });

  it("refuses a directory with EPERM and a symlink or unknown type with EINVAL, before it walks", () => {
    expectRefused(() => tree(libc, "/tmp"), () => libc.mknod("/tmp/missing/x", S_IFDIR | 0o755), "EPERM");
    expectRefused(() => tree(libc, "/tmp"), () => libc.mknod("/tmp/d/x", S_IFLNK | 0o777), "EINVAL");
    expectRefused(() => tree(libc, "/tmp"), () => libc.mknod("/tmp/d/x", 0o030000 | 0o644), "EINVAL");
  });

  it("opens a character device through its driver, and ENXIO when no driver has its major", () => {
    const opened: number[] = [];
    k.chrdevs.register(240, "demo", { open: (inode: Inode, _f: File) => void opened.push(inode.rdev) }, null);
    libc.mknod("/tmp/d/demo", S_IFCHR | 0o600, makedev(240, 7));
    libc.mknod("/tmp/d/none", S_IFCHR | 0o600, makedev(241, 0));
    libc.close(libc.open("/tmp/d/demo", O_RDWR));
    expect(opened).toEqual([makedev(240, 7)]);
    expectErrno(() => libc.open("/tmp/d/none", O_RDWR), "ENXIO");
  });
});

describe("getdents64", () => {
  it("writes linux_dirent64 records: d_ino, d_off, d_reclen padded to 8, d_type, the name and its NUL", () => {
    const fd = libc.open("/tmp/d", O_RDONLY | O_DIRECTORY);
    const buf = userBuffer(libc, 4096);
    const n = sys(libc, "getdents64", fd, buf, 4096);
    expect(n).toBe(24 + 24 + 24);
    const view = new DataView(libc.task.mm.memory.buffer, buf, n);
    const records = [0, 24, 48].map((at) => ({
      ino: Number(view.getBigUint64(at, true)),
      reclen: view.getUint16(at + 16, true),
      type: view.getUint8(at + 18),
      name: text(libc.task.mm.bytes(buf + at + DIRENT64_NAME_OFFSET, view.getUint16(at + 16, true) - DIRENT64_NAME_OFFSET)),
    }));
    expect(records).toEqual([
      { ino: libc.stat("/tmp/d").ino, reclen: 24, type: DT_DIR, name: ".\0\0\0\0" },
      { ino: libc.stat("/tmp").ino, reclen: 24, type: DT_DIR, name: "..\0\0\0" },
      { ino: libc.stat("/tmp/d/f").ino, reclen: 24, type: DT_REG, name: "f\0\0\0\0" },
    ]);
    expect(sys(libc, "getdents64", fd, buf, 4096)).toBe(0);
  });

  it("gives each record's d_off as the place to resume after it, for lseek (telldir and seekdir)", () => {
    for (const n of ["a", "b", "c"]) writeFile(libc, `/tmp/d/${n}`, "");
    const fd = libc.open("/tmp/d", O_RDONLY | O_DIRECTORY);
    const buf = userBuffer(libc, 4096);
    const n = sys(libc, "getdents64", fd, buf, 4096);
    expect(n).toBe(6 * 24);
    const view = new DataView(libc.task.mm.memory.buffer, buf, n);
    const offs: number[] = [];
    for (let at = 0; at < n; at += view.getUint16(at + 16, true)) offs.push(Number(view.getBigInt64(at + 8, true)));
    const all = libc.readdir("/tmp/d").map((e) => e.name);
    expect(all).toEqual([".", "..", "f", "a", "b", "c"]);
    expect(offs).toHaveLength(all.length);
    offs.forEach((off, i) => {
      libc.lseek(fd, off, SEEK_SET);
      expect(getdentsOnce(libc, fd, 4096).map((e) => e.name)).toEqual(all.slice(i + 1));
    });
  });

  it("returns the records that fit, and EINVAL when not even one does, keeping its place", () => {
    const fd = libc.open("/tmp/d", O_RDONLY | O_DIRECTORY);
    expect(getdentsOnce(libc, fd, 24).map((e) => e.name)).toEqual(["."]);
    expect(sys(libc, "getdents64", fd, userBuffer(libc, 16), 16)).toBe(neg("EINVAL"));
    expect(getdentsOnce(libc, fd, 4096).map((e) => e.name)).toEqual(["..", "f"]);
  });

  it("refuses a descriptor that is not a directory with ENOTDIR, and one that is not open with EBADF", () => {
    const buf = userBuffer(libc, 4096);
    expect(sys(libc, "getdents64", libc.open("/tmp/d/f", O_RDONLY), buf, 4096)).toBe(neg("ENOTDIR"));
    expect(sys(libc, "getdents64", 99, buf, 4096)).toBe(neg("EBADF"));
  });
});

describe("getcwd and chdir", () => {
  it("getcwd returns the path's length with its NUL, ERANGE when it does not fit", () => {
    libc.chdir("/tmp/d");
    const buf = userBuffer(libc, 16);
    expect(sys(libc, "getcwd", buf, 7)).toBe(7);
    expect(text(libc.task.mm.bytes(buf, 7))).toBe("/tmp/d\0");
    expect(sys(libc, "getcwd", buf, 6)).toBe(neg("ERANGE"));
    expect(sys(libc, "getcwd", 0, 0)).toBe(neg("ERANGE"));
  });

  it("chdir moves the cwd that relative paths start from; through a symlink the cwd is the target", () => {
    libc.symlink("/tmp/d", "/tmp/ld");
    libc.chdir("/tmp/ld");
    expect(libc.getcwd()).toBe("/tmp/d");
    expect(text(libc.readFile("f"))).toBe("0123456789");
    libc.chdir("..");
    expect(libc.getcwd()).toBe("/tmp");
  });

  it("chdir refuses a file with ENOTDIR and a missing path with ENOENT, staying where it was", () => {
    libc.chdir("/tmp");
    expectErrno(() => libc.chdir("/tmp/d/f"), "ENOTDIR");
    expectErrno(() => libc.chdir("/tmp/missing"), "ENOENT");
    expectErrno(() => libc.chdir(""), "ENOENT");
    expect(libc.getcwd()).toBe("/tmp");
  });
});

describe("truncate and ftruncate", () => {
  it("truncate follows a symlink; ftruncate needs a descriptor open for writing (EINVAL)", () => {
    libc.symlink("f", "/tmp/d/l");
    libc.truncate("/tmp/d/l", 4);
    expect(text(libc.readFile("/tmp/d/f"))).toBe("0123");
    expectErrno(() => libc.ftruncate(libc.open("/tmp/d/f", O_RDONLY), 0), "EINVAL");
    expectErrno(() => libc.ftruncate(libc.open("/tmp/d", O_RDONLY), 0), "EINVAL");
    libc.ftruncate(libc.open("/tmp/d/f", O_RDWR), 2);
    expect(text(libc.readFile("/tmp/d/f"))).toBe("01");
  });

  it("refuses a negative length with EINVAL before the walk or the descriptor, and a file that is not regular", () => {
    expect(sys(libc, "truncate", str("/tmp/missing"), -1)).toBe(neg("EINVAL"));
    expect(sys(libc, "ftruncate", 99, -1)).toBe(neg("EINVAL"));
    expect(sys(libc, "ftruncate", 99, 0)).toBe(neg("EBADF"));
    libc.mknod("/tmp/d/fifo", S_IFIFO | 0o600);
    expectErrno(() => libc.truncate("/tmp/d/fifo", 0), "EINVAL");
    expect(libc.stat("/tmp/d/f").size).toBe(10);
  });
});
