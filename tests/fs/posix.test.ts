// The POSIX behaviour every filesystem owes its users, in the spirit of xfstests' generic tests: one suite,
// run in a fresh kernel against each filesystem of FILESYSTEMS.

import { beforeEach, describe, expect, it } from "vitest";
import type { ErrnoName } from "../../abi/errno.js";
import {
  O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_SET,
} from "../../abi/fcntl.js";
import { DT_CHR, DT_DIR, DT_LNK, DT_REG, makedev, S_IFCHR, S_IFDIR, S_IFREG } from "../../abi/stat.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused, loadBytes } from "../helpers.js";
import { boot, getdentsOnce, names, sys, text, tree, writeFile } from "../vfs_helpers.js";

export interface TestFilesystem {
  readonly name: string;
  /** Make the filesystem ready in a fresh kernel; returns an empty directory on it to test in. */
  setup(k: Kernel, libc: Libc): string;
}

/** Mount a new instance of `type` on /mnt/x and test in its root, so that every path crosses a mount point. */
function mountAtMntX(libc: Libc, type: string): string {
  libc.mkdir("/mnt/x");
  libc.mount(type, "/mnt/x", type);
  return "/mnt/x";
}

/** The filesystems the suite runs on. A filesystem module joins with one line, e.g.
 *  `{ name: "ramfs", setup: (k, libc) => (k.insmod(loadBytes("ramfs")), mountAtMntX(libc, "ramfs")) }`. */
export const FILESYSTEMS: readonly TestFilesystem[] = [
  { name: "rootfs", setup: (_k, libc) => (libc.mkdir("/tmp/posix"), "/tmp/posix") },
  { name: "devtmpfs", setup: (_k, libc) => mountAtMntX(libc, "devtmpfs") },
  { name: "ramfs", setup: (k, libc) => (k.insmod(loadBytes("ramfs")), mountAtMntX(libc, "ramfs")) },
];

const bytes = (s: string) => new TextEncoder().encode(s);
const zeros = (n: number) => new Uint8Array(n);

/** A misuse and the errno Linux gives for it; `act` gets the fixture's path maker. */
interface Misuse {
  readonly what: string;
  readonly act: (libc: Libc, at: (name: string) => string) => unknown;
  readonly code: ErrnoName;
}

/** Misuses of the fixture tree (see `fixture`); each must fail and leave the tree exactly as it was. */
const MISUSES: readonly Misuse[] = [
  { what: "open a missing file", act: (c, at) => c.open(at("missing"), O_RDONLY), code: "ENOENT" },
  { what: "O_CREAT in a missing directory", act: (c, at) => c.open(at("missing/x"), O_CREAT | O_WRONLY), code: "ENOENT" },
  { what: "O_CREAT|O_EXCL on a file", act: (c, at) => c.open(at("f"), O_CREAT | O_EXCL | O_WRONLY), code: "EEXIST" },
  { what: "O_CREAT|O_EXCL on a dangling symlink", act: (c, at) => c.open(at("dl"), O_CREAT | O_EXCL | O_WRONLY), code: "EEXIST" },
  { what: "O_CREAT|O_EXCL on a directory", act: (c, at) => c.open(at("d"), O_CREAT | O_EXCL | O_RDONLY), code: "EEXIST" },
  { what: "O_CREAT on a directory", act: (c, at) => c.open(at("d"), O_CREAT | O_RDONLY), code: "EISDIR" },
  { what: "O_CREAT on a file named with a trailing slash", act: (c, at) => c.open(at("f/"), O_CREAT | O_WRONLY), code: "EISDIR" },
  { what: "O_CREAT on a new name with a trailing slash", act: (c, at) => c.open(at("new/"), O_CREAT | O_WRONLY), code: "EISDIR" },
  { what: "O_NOFOLLOW on a symlink", act: (c, at) => c.open(at("l"), O_NOFOLLOW | O_RDONLY), code: "ELOOP" },
  { what: "O_DIRECTORY on a file", act: (c, at) => c.open(at("f"), O_DIRECTORY | O_RDONLY), code: "ENOTDIR" },
  { what: "open a directory O_WRONLY", act: (c, at) => c.open(at("d"), O_WRONLY), code: "EISDIR" },
  { what: "open a directory O_RDWR", act: (c, at) => c.open(at("d"), O_RDWR), code: "EISDIR" },
  { what: "open a directory O_RDONLY|O_TRUNC", act: (c, at) => c.open(at("d"), O_RDONLY | O_TRUNC), code: "EISDIR" },
  { what: "open a file with a trailing slash", act: (c, at) => c.open(at("f/"), O_RDONLY), code: "ENOTDIR" },
  { what: "open a path through a file", act: (c, at) => c.open(at("f/x"), O_RDONLY), code: "ENOTDIR" },
  { what: "open a symlink to itself", act: (c, at) => c.open(at("self"), O_RDONLY), code: "ELOOP" },
  { what: "open a dangling symlink", act: (c, at) => c.open(at("dl"), O_RDONLY), code: "ENOENT" },
  { what: "mkdir over a file", act: (c, at) => c.mkdir(at("f")), code: "EEXIST" },
  { what: "mkdir over a directory", act: (c, at) => c.mkdir(at("d")), code: "EEXIST" },
  { what: "mkdir over a dangling symlink", act: (c, at) => c.mkdir(at("dl")), code: "EEXIST" },
  { what: "mkdir .", act: (c, at) => c.mkdir(at("d/.")), code: "EEXIST" },
  { what: "mkdir in a missing directory", act: (c, at) => c.mkdir(at("missing/x")), code: "ENOENT" },
  { what: "mkdir below a file", act: (c, at) => c.mkdir(at("f/x")), code: "ENOTDIR" },
  { what: "rmdir .", act: (c, at) => c.rmdir(at("e/.")), code: "EINVAL" },
  { what: "rmdir ..", act: (c, at) => c.rmdir(at("d/sub/..")), code: "ENOTEMPTY" },
  { what: "rmdir a file", act: (c, at) => c.rmdir(at("f")), code: "ENOTDIR" },
  { what: "rmdir a symlink to a directory", act: (c, at) => c.rmdir(at("ld")), code: "ENOTDIR" },
  { what: "rmdir a missing directory", act: (c, at) => c.rmdir(at("missing")), code: "ENOENT" },
  { what: "rmdir a non-empty directory", act: (c, at) => c.rmdir(at("d")), code: "ENOTEMPTY" },
  { what: "unlink a directory", act: (c, at) => c.unlink(at("e")), code: "EISDIR" },
  { what: "unlink .", act: (c, at) => c.unlink(at("e/.")), code: "EISDIR" },
  { what: "unlink a missing name", act: (c, at) => c.unlink(at("missing")), code: "ENOENT" },
  { what: "unlink a file with a trailing slash", act: (c, at) => c.unlink(at("f/")), code: "ENOTDIR" },
  { what: "symlink over a file", act: (c, at) => c.symlink("x", at("f")), code: "EEXIST" },
  { what: "symlink to an empty target", act: (c, at) => c.symlink("", at("new")), code: "ENOENT" },
  { what: "symlink named with a trailing slash", act: (c, at) => c.symlink("f", at("new/")), code: "ENOENT" },
  { what: "mknod a directory", act: (c, at) => c.mknod(at("new"), S_IFDIR | 0o755), code: "EPERM" },
  { what: "mknod over a file", act: (c, at) => c.mknod(at("f"), S_IFREG | 0o644), code: "EEXIST" },
  { what: "mknod named with a trailing slash", act: (c, at) => c.mknod(at("new/"), S_IFREG | 0o644), code: "ENOENT" },
  { what: "readlink a file", act: (c, at) => c.readlink(at("f")), code: "EINVAL" },
  { what: "readlink a missing name", act: (c, at) => c.readlink(at("missing")), code: "ENOENT" },
  { what: "truncate a directory", act: (c, at) => c.truncate(at("d"), 0), code: "EISDIR" },
  { what: "truncate to a negative length", act: (c, at) => c.truncate(at("f"), -1), code: "EINVAL" },
  { what: "stat a symlink loop", act: (c, at) => c.stat(at("self")), code: "ELOOP" },
  { what: "stat a file with a trailing slash", act: (c, at) => c.stat(at("f/")), code: "ENOTDIR" },
  { what: "stat a dangling symlink", act: (c, at) => c.stat(at("dl")), code: "ENOENT" },
  { what: "chdir to a file", act: (c, at) => c.chdir(at("f")), code: "ENOTDIR" },
  { what: "rename a directory onto a non-empty one", act: (c, at) => c.rename(at("e"), at("d")), code: "ENOTEMPTY" },
  { what: "rename a directory onto a file", act: (c, at) => c.rename(at("e"), at("f")), code: "ENOTDIR" },
  { what: "rename a file onto a directory", act: (c, at) => c.rename(at("f"), at("e")), code: "EISDIR" },
  { what: "rename a directory into itself", act: (c, at) => c.rename(at("d"), at("d/x")), code: "EINVAL" },
  { what: "rename a directory into its own subdirectory", act: (c, at) => c.rename(at("d"), at("d/sub/x")), code: "EINVAL" },
  { what: "rename a directory onto its parent", act: (c, at) => c.rename(at("d/sub"), at("d")), code: "ENOTEMPTY" },
  { what: "rename a file onto its directory", act: (c, at) => c.rename(at("d/inner"), at("d")), code: "ENOTEMPTY" },
  { what: "rename a missing name", act: (c, at) => c.rename(at("missing"), at("x")), code: "ENOENT" },
  { what: "rename into a missing directory", act: (c, at) => c.rename(at("f"), at("missing/x")), code: "ENOENT" },
  { what: "rename .", act: (c, at) => c.rename(at("e/."), at("x")), code: "EBUSY" },
  { what: "rename onto ..", act: (c, at) => c.rename(at("f"), at("d/sub/..")), code: "EBUSY" },
  { what: "rename a file named with a trailing slash", act: (c, at) => c.rename(at("f/"), at("x")), code: "ENOTDIR" },
  { what: "rename a file to a name with a trailing slash", act: (c, at) => c.rename(at("f"), at("x/")), code: "ENOTDIR" },
  { what: "rename across mounts", act: (c, at) => c.rename(at("f"), "/proc/f"), code: "EXDEV" },
];

/** The suite for one filesystem. */
export function posixSuite(fs: TestFilesystem): void {
  let libc: Libc;
  let dir: string;
  const at = (name: string) => `${dir}/${name}`;

  beforeEach(() => {
    const b = boot();
    libc = b.libc;
    dir = fs.setup(b.k, libc);
  });

  describe("files", () => {
    it("creates an empty regular file with the mode asked for, less the umask", () => {
      const fd = libc.open(at("f"), O_CREAT | O_WRONLY, 0o666);
      expect(libc.fstat(fd)).toMatchObject({ mode: S_IFREG | 0o644, nlink: 1, size: 0, blocks: 0 });
      libc.close(fd);
      expect(libc.readFile(at("f"))).toEqual(zeros(0));
      expect(names(libc, dir)).toEqual(["f"]);
    });

    it("reads back what was written, across page boundaries", () => {
      const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
      writeFile(libc, at("f"), data);
      expect(libc.readFile(at("f"))).toEqual(data);
      const fd = libc.open(at("f"), O_RDONLY);
      expect(libc.pread(fd, 10, 4090)).toEqual(data.subarray(4090, 4100));
      expect(libc.read(fd, 5000)).toEqual(data.subarray(0, 5000));
      expect(libc.read(fd, 6000)).toEqual(data.subarray(5000));
      expect(libc.read(fd, 10)).toEqual(zeros(0));
      libc.close(fd);
    });

    it("overwrites in place, keeping the bytes around and the size", () => {
      writeFile(libc, at("f"), "abcdef");
      const fd = libc.open(at("f"), O_RDWR);
      expect(text(libc.read(fd, 2))).toBe("ab");
      libc.write(fd, "XY");
      expect(text(libc.read(fd, 10))).toBe("ef");
      expect(libc.fstat(fd).size).toBe(6);
      libc.close(fd);
      expect(text(libc.readFile(at("f")))).toBe("abXYef");
    });

    it("appends with O_APPEND at the end, even after an lseek, and pwrite appends too", () => {
      writeFile(libc, at("f"), "abc");
      const fd = libc.open(at("f"), O_WRONLY | O_APPEND);
      libc.lseek(fd, 0, SEEK_SET);
      libc.write(fd, "de");
      expect(libc.lseek(fd, 0, SEEK_CUR)).toBe(5);
      libc.pwrite(fd, "!", 0);
      expect(libc.lseek(fd, 0, SEEK_CUR)).toBe(5);
      libc.close(fd);
      expect(text(libc.readFile(at("f")))).toBe("abcde!");
    });

    it("empties an existing file with O_TRUNC", () => {
      writeFile(libc, at("f"), "old contents");
      libc.close(libc.open(at("f"), O_WRONLY | O_TRUNC));
      expect(libc.stat(at("f")).size).toBe(0);
      expect(libc.readFile(at("f"))).toEqual(zeros(0));
    });

    it("truncates down, keeping the head, and up, with a hole that reads as zeros", () => {
      writeFile(libc, at("f"), "abcdefgh");
      libc.truncate(at("f"), 3);
      expect(text(libc.readFile(at("f")))).toBe("abc");
      libc.truncate(at("f"), 6);
      expect(libc.readFile(at("f"))).toEqual(Uint8Array.of(...bytes("abc"), 0, 0, 0));
      const fd = libc.open(at("f"), O_RDWR);
      libc.ftruncate(fd, 8193);
      expect(libc.fstat(fd).size).toBe(8193);
      expect(libc.pread(fd, 8193, 3)).toEqual(zeros(8190));
      libc.ftruncate(fd, 0);
      expect(libc.read(fd, 10)).toEqual(zeros(0));
      libc.close(fd);
    });

    it("leaves a hole of zeros under a write past the end", () => {
      const fd = libc.open(at("f"), O_CREAT | O_RDWR);
      libc.lseek(fd, 10_000, SEEK_SET);
      libc.write(fd, "z");
      expect(libc.fstat(fd).size).toBe(10_001);
      expect(libc.pread(fd, 20_000, 0)).toEqual(Uint8Array.of(...zeros(10_000), ...bytes("z")));
      libc.close(fd);
    });

    it("counts st_blocks by the 4 KiB pages that hold data, not by the size", () => {
      writeFile(libc, at("f"), "x");
      expect(libc.stat(at("f"))).toMatchObject({ blksize: 4096, blocks: 8 });
      libc.truncate(at("f"), 1 << 20);
      expect(libc.stat(at("f"))).toMatchObject({ size: 1 << 20, blocks: 8 });
      const fd = libc.open(at("f"), O_WRONLY);
      libc.pwrite(fd, "y", (1 << 20) - 1);
      libc.close(fd);
      expect(libc.stat(at("f")).blocks).toBe(16);
      libc.truncate(at("f"), 0);
      expect(libc.stat(at("f")).blocks).toBe(0);
    });

    it("moves mtime and ctime on a write and a truncate, and not on a read", () => {
      writeFile(libc, at("f"), "a");
      const s0 = libc.stat(at("f"));
      const fd = libc.open(at("f"), O_WRONLY);
      libc.write(fd, "b");
      libc.close(fd);
      const s1 = libc.stat(at("f"));
      expect(s1.mtime).toBeGreaterThan(s0.mtime);
      expect(s1.ctime).toBeGreaterThan(s0.ctime);
      libc.readFile(at("f"));
      expect(libc.stat(at("f"))).toMatchObject({ mtime: s1.mtime, ctime: s1.ctime });
      libc.truncate(at("f"), 0);
      expect(libc.stat(at("f")).mtime).toBeGreaterThan(s1.mtime);
    });

    it("keeps an unlinked file readable and writable through an open fd, with nlink 0", () => {
      writeFile(libc, at("f"), "still here");
      const fd = libc.open(at("f"), O_RDWR);
      libc.unlink(at("f"));
      expectErrno(() => libc.stat(at("f")), "ENOENT");
      expect(names(libc, dir)).toEqual([]);
      expect(libc.fstat(fd)).toMatchObject({ nlink: 0, size: 10 });
      expect(text(libc.pread(fd, 100, 0))).toBe("still here");
      libc.pwrite(fd, "!", 10);
      expect(text(libc.pread(fd, 100, 0))).toBe("still here!");
      libc.close(fd);
    });

    it("changes permission bits with chmod (through a symlink to its target) and fchmod, keeping the type", () => {
      writeFile(libc, at("f"), "x");
      libc.symlink("f", at("l"));
      libc.mkdir(at("d"));
      libc.chmod(at("l"), 0o4755);
      expect(libc.stat(at("f")).mode).toBe(S_IFREG | 0o4755);
      expect(libc.lstat(at("l")).mode & 0o777).toBe(0o777);
      libc.chmod(at("d"), 0o1700 | S_IFREG);
      expect(libc.stat(at("d")).mode).toBe(S_IFDIR | 0o1700);
      const fd = libc.open(at("f"), O_RDONLY);
      expect(sys(libc, "fchmod", fd, 0o600)).toBe(0);
      expect(libc.fstat(fd).mode).toBe(S_IFREG | 0o600);
      expectErrno(() => libc.chmod(at("missing"), 0o600), "ENOENT");
    });
  });

  describe("directories", () => {
    it("gives a new directory nlink 2 and its parent one more link, which rmdir takes back", () => {
      const n0 = libc.stat(dir).nlink;
      libc.mkdir(at("d"), 0o777);
      expect(libc.stat(at("d"))).toMatchObject({ mode: S_IFDIR | 0o755, nlink: 2 });
      expect(libc.stat(dir).nlink).toBe(n0 + 1);
      libc.mkdir(at("d/e"));
      writeFile(libc, at("d/f"), "");
      expect(libc.stat(at("d")).nlink).toBe(3);
      libc.rmdir(at("d/e"));
      expect(libc.stat(at("d")).nlink).toBe(2);
      libc.unlink(at("d/f"));
      libc.rmdir(at("d"));
      expect(libc.stat(dir).nlink).toBe(n0);
    });

    it("lists . and .. and every entry once, with its inode number and type", () => {
      writeFile(libc, at("f"), "");
      libc.mkdir(at("d"));
      libc.symlink("f", at("l"));
      libc.mknod(at("c"), S_IFCHR | 0o600, makedev(240, 0));
      const listing = libc.readdir(dir);
      expect(listing.map((e) => e.name).sort()).toEqual([".", "..", "c", "d", "f", "l"]);
      const types = Object.fromEntries(listing.map((e) => [e.name, e.type]));
      expect(types).toMatchObject({ ".": DT_DIR, "..": DT_DIR, c: DT_CHR, d: DT_DIR, f: DT_REG, l: DT_LNK });
      for (const e of listing.filter((x) => x.name !== "..")) expect(e.ino).toBe(libc.lstat(at(e.name)).ino);
      expect(libc.readdir(at("d")).find((e) => e.name === "..")?.ino).toBe(libc.stat(dir).ino);
    });

    it("drops removed names from the listing and adds new ones", () => {
      for (const n of ["a", "b", "c"]) writeFile(libc, at(n), "");
      libc.unlink(at("b"));
      libc.mkdir(at("d"));
      expect(names(libc, dir).sort()).toEqual(["a", "c", "d"]);
    });

    it("returns every entry exactly once to a reader that unlinks each batch as it goes (rm -r)", () => {
      const all = Array.from({ length: 12 }, (_, i) => `file${i}`);
      for (const n of all) writeFile(libc, at(n), "");
      const fd = libc.open(dir, O_RDONLY | O_DIRECTORY);
      const seen: string[] = [];
      for (let batch = getdentsOnce(libc, fd, 80); batch.length > 0; batch = getdentsOnce(libc, fd, 80)) {
        for (const e of batch.filter((x) => x.name !== "." && x.name !== "..")) {
          seen.push(e.name);
          libc.unlink(at(e.name));
        }
      }
      libc.close(fd);
      expect(seen.sort()).toEqual(all.sort());
      expect(names(libc, dir)).toEqual([]);
    });

    it("moves the parent's mtime and ctime when an entry comes or goes", () => {
      const s0 = libc.stat(dir);
      writeFile(libc, at("f"), "");
      const s1 = libc.stat(dir);
      expect(s1.mtime).toBeGreaterThan(s0.mtime);
      expect(s1.ctime).toBeGreaterThan(s0.ctime);
      libc.unlink(at("f"));
      expect(libc.stat(dir).mtime).toBeGreaterThan(s1.mtime);
    });

    it("refuses to create anything in a removed directory, and getcwd there is ENOENT", () => {
      libc.mkdir(at("gone"));
      libc.chdir(at("gone"));
      libc.rmdir(at("gone"));
      const fd = libc.open(".", O_RDONLY | O_DIRECTORY);
      expectRefused(() => tree(libc, dir), () => libc.open("new", O_CREAT | O_WRONLY), "ENOENT");
      expectRefused(() => tree(libc, dir), () => libc.mkdir("new"), "ENOENT");
      expectRefused(() => tree(libc, dir), () => libc.symlink("x", "new"), "ENOENT");
      expectRefused(() => tree(libc, dir), () => libc.mknod("new", S_IFREG | 0o644), "ENOENT");
      expectErrno(() => libc.getcwd(), "ENOENT");
      expectErrno(() => libc.getdents(fd), "ENOENT");
      libc.close(fd);
      libc.chdir("/");
    });
  });

  describe("rename", () => {
    it("gives a file a new name, keeping its inode and contents", () => {
      writeFile(libc, at("a"), "contents");
      const ino = libc.stat(at("a")).ino;
      libc.rename(at("a"), at("b"));
      expectErrno(() => libc.stat(at("a")), "ENOENT");
      expect(libc.stat(at("b")).ino).toBe(ino);
      expect(text(libc.readFile(at("b")))).toBe("contents");
      expect(names(libc, dir)).toEqual(["b"]);
    });

    it("replaces an existing file, whose open fd still reads it with nlink 0", () => {
      writeFile(libc, at("a"), "new");
      writeFile(libc, at("b"), "old");
      const fd = libc.open(at("b"), O_RDONLY);
      libc.rename(at("a"), at("b"));
      expect(text(libc.readFile(at("b")))).toBe("new");
      expect(text(libc.read(fd, 10))).toBe("old");
      expect(libc.fstat(fd).nlink).toBe(0);
      libc.close(fd);
      expect(names(libc, dir)).toEqual(["b"]);
    });

    it("moves a file into another directory, and an open fd on it keeps reading", () => {
      libc.mkdir(at("d"));
      writeFile(libc, at("a"), "moved");
      const fd = libc.open(at("a"), O_RDONLY);
      libc.rename(at("a"), at("d/a"));
      expect(text(libc.read(fd, 10))).toBe("moved");
      libc.close(fd);
      expect(names(libc, dir)).toEqual(["d"]);
      expect(names(libc, at("d"))).toEqual(["a"]);
    });

    it("moves a directory with what is in it, and its .. and the parents' link counts follow", () => {
      libc.mkdir(at("p"));
      libc.mkdir(at("q"));
      libc.mkdir(at("p/d"));
      writeFile(libc, at("p/d/inner"), "x");
      const [p, q] = [libc.stat(at("p")).nlink, libc.stat(at("q")).nlink];
      libc.rename(at("p/d"), at("q/d2"));
      expect(text(libc.readFile(at("q/d2/inner")))).toBe("x");
      expect(libc.stat(at("p")).nlink).toBe(p - 1);
      expect(libc.stat(at("q")).nlink).toBe(q + 1);
      expect(libc.stat(at("q/d2/..")).ino).toBe(libc.stat(at("q")).ino);
      expect(libc.readdir(at("q/d2")).find((e) => e.name === "..")?.ino).toBe(libc.stat(at("q")).ino);
    });

    it("replaces an empty directory, and the parent loses its link", () => {
      libc.mkdir(at("a"));
      writeFile(libc, at("a/inner"), "");
      libc.mkdir(at("b"));
      const n = libc.stat(dir).nlink;
      libc.rename(at("a"), at("b"));
      expect(names(libc, at("b"))).toEqual(["inner"]);
      expect(libc.stat(dir).nlink).toBe(n - 1);
      expect(names(libc, dir)).toEqual(["b"]);
    });

    it("does nothing when a name is renamed onto itself", () => {
      writeFile(libc, at("f"), "same");
      libc.mkdir(at("d"));
      const before = tree(libc, dir);
      libc.rename(at("f"), at("f"));
      libc.rename(at("d"), at("d"));
      expect(tree(libc, dir)).toEqual(before);
    });

    it("renames a symlink itself, not what it points to", () => {
      writeFile(libc, at("f"), "target");
      libc.symlink("f", at("l"));
      libc.rename(at("l"), at("m"));
      expect(libc.readlink(at("m"))).toBe("f");
      expect(names(libc, dir).sort()).toEqual(["f", "m"]);
    });
  });

  describe("errno for each misuse", () => {
    /** f (a file), d/{inner,sub/}, e/ (empty), l -> f, dl -> nowhere, ld -> d, self -> self. */
    beforeEach(() => {
      writeFile(libc, at("f"), "data");
      libc.mkdir(at("d"));
      writeFile(libc, at("d/inner"), "inner");
      libc.mkdir(at("d/sub"));
      libc.mkdir(at("e"));
      libc.symlink("f", at("l"));
      libc.symlink("nowhere", at("dl"));
      libc.symlink("d", at("ld"));
      libc.symlink("self", at("self"));
    });

    it.each(MISUSES)("$what: $code, the tree unchanged", ({ act, code }) => {
      expectRefused(() => tree(libc, dir), () => act(libc, at), code);
    });
  });
}

describe.each(FILESYSTEMS)("$name", (fs) => posixSuite(fs));
