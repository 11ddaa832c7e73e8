// The POSIX behaviour every filesystem owes its users, in the spirit of xfstests' generic group: checks any
// filesystem type can be put through, each in a fresh kernel, by vitest (fsConformance, testing/vitest.ts) or
// by `wasm-lkm fstest -t TYPE` (KTAP out). A check throws node's AssertionError (or the KernelError of a call
// that should have worked) when the filesystem does not behave.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import type { ErrnoName } from "../abi/errno.js";
import {
  AT_SYMLINK_NOFOLLOW, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_SET,
} from "../abi/fcntl.js";
import { DT_CHR, DT_DIR, DT_LNK, DT_REG, makedev, S_IFCHR, S_IFDIR, S_IFREG } from "../abi/stat.js";
import { Kernel } from "../host/init/main.js";
import type { Libc } from "../host/user/nolibc.js";
import { expectErrno, expectRefused } from "./errno.js";
import { loadModule } from "./kernel.js";
import { getdentsOnce, names, sys, text, tree, writeFile } from "./vfs.js";

/**
 * What some checks need beyond the POSIX basics. A filesystem that lacks one (FAT has no symlinks, no
 * device nodes, permissions from its mount options, and counts st_blocks by clusters) declares it, and
 * the checks that need it are not run on it; its own tests show how it behaves instead.
 */
export type FsFeature = "symlinks" | "device nodes" | "unix permissions" | "page blocks";

/** The filesystem under test. */
export interface FsUnderTest {
  /** Its type, as mount -t names it. */
  readonly type: string;
  /** The module that registers it: a binary, or a module name the kernel's modprobe finds. None for a built-in type. */
  readonly module?: Uint8Array | string;
  /** Its mount options (mount -o), the data mount(2) passes it. */
  readonly mountOptions?: string;
  /** The source mount(2) is given (default: the type). */
  readonly source?: string;
  /** False for a filesystem already mounted (rootfs): the checks use a new directory on it, /tmp/TYPE. */
  readonly mount?: boolean;
  /** What it lacks of FsFeature: the checks that need it are left out. */
  readonly lacks?: readonly FsFeature[];
  /** Run in each fresh kernel after the module is loaded, before the mount: a disk filesystem puts its volume on a device. */
  prepare?(kernel: Kernel, libc: Libc): void;
  /** A new directory on the mount to run the checks in, for a filesystem whose new root is not empty (ext2's lost+found). */
  readonly subdir?: string;
}

/** What a check works with: a fresh kernel, a task in it, and an empty directory on the filesystem. */
export interface FsContext {
  readonly fs: FsUnderTest;
  readonly kernel: Kernel;
  readonly libc: Libc;
  readonly dir: string;
  at(name: string): string;
}

export interface FsCheck {
  readonly group: string;
  readonly name: string;
  /** What the check needs of the filesystem; absent: the basics every filesystem has. */
  readonly needs?: readonly FsFeature[];
  run(c: FsContext): void;
}

/**
 * A fresh kernel (its wall clock a second further on at each read, so each time stamp differs from the last)
 * with the filesystem's module loaded and a new instance mounted on /mnt/TYPE, so that every path crosses a mount.
 */
export function prepareFs(fs: FsUnderTest): FsContext {
  let sec = 1_700_000_000n;
  const kernel = new Kernel({ realtimeNs: () => ++sec * 1_000_000_000n });
  const libc = kernel.spawn("test");
  if (fs.module !== undefined) loadModule(kernel, fs.module);
  fs.prepare?.(kernel, libc);
  let dir = fs.mount === false ? `/tmp/${fs.type}` : `/mnt/${fs.type}`;
  libc.mkdir(dir);
  if (fs.mount !== false) libc.mount(fs.source ?? fs.type, dir, fs.type, 0, fs.mountOptions ?? "");
  if (fs.subdir !== undefined) libc.mkdir((dir = `${dir}/${fs.subdir}`));
  return { fs, kernel, libc, dir, at: (name) => `${dir}/${name}` };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const zeros = (n: number) => new Uint8Array(n);

/** The fields of `actual` that `expected` names, compared as vitest's toMatchObject compares them. */
function fields(actual: object, expected: Record<string, unknown>, what: string): void {
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, (actual as Record<string, unknown>)[k]]));
  deepStrictEqual(picked, expected, what);
}

const sorted = (a: readonly string[]) => [...a].sort();

/** A misuse and the errno Linux gives for it; `act` gets the fixture's path maker. */
interface Misuse {
  readonly needs?: readonly FsFeature[];
  readonly what: string;
  readonly act: (libc: Libc, at: (name: string) => string) => unknown;
  readonly code: ErrnoName;
}

const LINKS: readonly FsFeature[] = ["symlinks"];

/** Misuses of the fixture tree (see `fixture`); each must fail and leave the tree exactly as it was. */
const MISUSES: readonly Misuse[] = [
  { what: "open a missing file", act: (c, at) => c.open(at("missing"), O_RDONLY), code: "ENOENT" },
  { what: "O_CREAT in a missing directory", act: (c, at) => c.open(at("missing/x"), O_CREAT | O_WRONLY), code: "ENOENT" },
  { what: "O_CREAT|O_EXCL on a file", act: (c, at) => c.open(at("f"), O_CREAT | O_EXCL | O_WRONLY), code: "EEXIST" },
  { needs: LINKS, what: "O_CREAT|O_EXCL on a dangling symlink", act: (c, at) => c.open(at("dl"), O_CREAT | O_EXCL | O_WRONLY), code: "EEXIST" },
  { what: "O_CREAT|O_EXCL on a directory", act: (c, at) => c.open(at("d"), O_CREAT | O_EXCL | O_RDONLY), code: "EEXIST" },
  { what: "O_CREAT on a directory", act: (c, at) => c.open(at("d"), O_CREAT | O_RDONLY), code: "EISDIR" },
  { what: "O_CREAT on a file named with a trailing slash", act: (c, at) => c.open(at("f/"), O_CREAT | O_WRONLY), code: "EISDIR" },
  { what: "O_CREAT on a new name with a trailing slash", act: (c, at) => c.open(at("new/"), O_CREAT | O_WRONLY), code: "EISDIR" },
  { needs: LINKS, what: "O_NOFOLLOW on a symlink", act: (c, at) => c.open(at("l"), O_NOFOLLOW | O_RDONLY), code: "ELOOP" },
  { what: "O_DIRECTORY on a file", act: (c, at) => c.open(at("f"), O_DIRECTORY | O_RDONLY), code: "ENOTDIR" },
  { what: "open a directory O_WRONLY", act: (c, at) => c.open(at("d"), O_WRONLY), code: "EISDIR" },
  { what: "open a directory O_RDWR", act: (c, at) => c.open(at("d"), O_RDWR), code: "EISDIR" },
  { what: "open a directory O_RDONLY|O_TRUNC", act: (c, at) => c.open(at("d"), O_RDONLY | O_TRUNC), code: "EISDIR" },
  { what: "open a file with a trailing slash", act: (c, at) => c.open(at("f/"), O_RDONLY), code: "ENOTDIR" },
  { what: "open a path through a file", act: (c, at) => c.open(at("f/x"), O_RDONLY), code: "ENOTDIR" },
  { needs: LINKS, what: "open a symlink to itself", act: (c, at) => c.open(at("self"), O_RDONLY), code: "ELOOP" },
  { needs: LINKS, what: "open a dangling symlink", act: (c, at) => c.open(at("dl"), O_RDONLY), code: "ENOENT" },
  { what: "mkdir over a file", act: (c, at) => c.mkdir(at("f")), code: "EEXIST" },
  { what: "mkdir over a directory", act: (c, at) => c.mkdir(at("d")), code: "EEXIST" },
  { needs: LINKS, what: "mkdir over a dangling symlink", act: (c, at) => c.mkdir(at("dl")), code: "EEXIST" },
  { what: "mkdir .", act: (c, at) => c.mkdir(at("d/.")), code: "EEXIST" },
  { what: "mkdir in a missing directory", act: (c, at) => c.mkdir(at("missing/x")), code: "ENOENT" },
  { what: "mkdir below a file", act: (c, at) => c.mkdir(at("f/x")), code: "ENOTDIR" },
  { what: "rmdir .", act: (c, at) => c.rmdir(at("e/.")), code: "EINVAL" },
  { what: "rmdir ..", act: (c, at) => c.rmdir(at("d/sub/..")), code: "ENOTEMPTY" },
  { what: "rmdir a file", act: (c, at) => c.rmdir(at("f")), code: "ENOTDIR" },
  { needs: LINKS, what: "rmdir a symlink to a directory", act: (c, at) => c.rmdir(at("ld")), code: "ENOTDIR" },
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
  { needs: LINKS, what: "stat a symlink loop", act: (c, at) => c.stat(at("self")), code: "ELOOP" },
  { what: "stat a file with a trailing slash", act: (c, at) => c.stat(at("f/")), code: "ENOTDIR" },
  { needs: LINKS, what: "stat a dangling symlink", act: (c, at) => c.stat(at("dl")), code: "ENOENT" },
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


const FILES: readonly FsCheck[] = [
  {
    group: "files", name: "creates an empty regular file with the mode asked for, less the umask", needs: ["unix permissions"],
    run: ({ libc, dir, at }) => {
      const fd = libc.open(at("f"), O_CREAT | O_WRONLY, 0o666);
      fields(libc.fstat(fd), { mode: S_IFREG | 0o644, nlink: 1, size: 0, blocks: 0 }, "fstat of the new file");
      libc.close(fd);
      deepStrictEqual(libc.readFile(at("f")), zeros(0));
      deepStrictEqual(names(libc, dir), ["f"]);
    },
  },
  {
    group: "files", name: "reads back what was written, across page boundaries",
    run: ({ libc, at }) => {
      const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) & 0xff);
      writeFile(libc, at("f"), data);
      deepStrictEqual(libc.readFile(at("f")), data);
      const fd = libc.open(at("f"), O_RDONLY);
      deepStrictEqual(libc.pread(fd, 10, 4090), data.subarray(4090, 4100));
      deepStrictEqual(libc.read(fd, 5000), data.subarray(0, 5000));
      deepStrictEqual(libc.read(fd, 6000), data.subarray(5000));
      deepStrictEqual(libc.read(fd, 10), zeros(0));
      libc.close(fd);
    },
  },
  {
    group: "files", name: "overwrites in place, keeping the bytes around and the size",
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "abcdef");
      const fd = libc.open(at("f"), O_RDWR);
      strictEqual(text(libc.read(fd, 2)), "ab");
      libc.write(fd, "XY");
      strictEqual(text(libc.read(fd, 10)), "ef");
      strictEqual(libc.fstat(fd).size, 6);
      libc.close(fd);
      strictEqual(text(libc.readFile(at("f"))), "abXYef");
    },
  },
  {
    group: "files", name: "appends with O_APPEND at the end, even after an lseek, and pwrite appends too",
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "abc");
      const fd = libc.open(at("f"), O_WRONLY | O_APPEND);
      libc.lseek(fd, 0, SEEK_SET);
      libc.write(fd, "de");
      strictEqual(libc.lseek(fd, 0, SEEK_CUR), 5);
      libc.pwrite(fd, "!", 0);
      strictEqual(libc.lseek(fd, 0, SEEK_CUR), 5);
      libc.close(fd);
      strictEqual(text(libc.readFile(at("f"))), "abcde!");
    },
  },
  {
    group: "files", name: "empties an existing file with O_TRUNC",
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "old contents");
      libc.close(libc.open(at("f"), O_WRONLY | O_TRUNC));
      strictEqual(libc.stat(at("f")).size, 0);
      deepStrictEqual(libc.readFile(at("f")), zeros(0));
    },
  },
  {
    group: "files", name: "truncates down, keeping the head, and up, with a hole that reads as zeros",
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "abcdefgh");
      libc.truncate(at("f"), 3);
      strictEqual(text(libc.readFile(at("f"))), "abc");
      libc.truncate(at("f"), 6);
      deepStrictEqual(libc.readFile(at("f")), Uint8Array.of(...bytes("abc"), 0, 0, 0));
      const fd = libc.open(at("f"), O_RDWR);
      libc.ftruncate(fd, 8193);
      strictEqual(libc.fstat(fd).size, 8193);
      deepStrictEqual(libc.pread(fd, 8193, 3), zeros(8190));
      libc.ftruncate(fd, 0);
      deepStrictEqual(libc.read(fd, 10), zeros(0));
      libc.close(fd);
    },
  },
  {
    group: "files", name: "leaves a hole of zeros under a write past the end",
    run: ({ libc, at }) => {
      const fd = libc.open(at("f"), O_CREAT | O_RDWR);
      libc.lseek(fd, 10_000, SEEK_SET);
      libc.write(fd, "z");
      strictEqual(libc.fstat(fd).size, 10_001);
      deepStrictEqual(libc.pread(fd, 20_000, 0), Uint8Array.of(...zeros(10_000), ...bytes("z")));
      libc.close(fd);
    },
  },
  {
    group: "files", name: "counts st_blocks by the 4 KiB pages that hold data, not by the size", needs: ["page blocks"],
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "x");
      fields(libc.stat(at("f")), { blksize: 4096, blocks: 8 }, "stat after one byte");
      libc.truncate(at("f"), 1 << 20);
      fields(libc.stat(at("f")), { size: 1 << 20, blocks: 8 }, "stat after truncating up to 1 MiB");
      const fd = libc.open(at("f"), O_WRONLY);
      libc.pwrite(fd, "y", (1 << 20) - 1);
      libc.close(fd);
      strictEqual(libc.stat(at("f")).blocks, 16);
      libc.truncate(at("f"), 0);
      strictEqual(libc.stat(at("f")).blocks, 0);
    },
  },
  {
    group: "files", name: "moves mtime and ctime on a write and a truncate, and not on a read",
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "a");
      const s0 = libc.stat(at("f"));
      const fd = libc.open(at("f"), O_WRONLY);
      libc.write(fd, "b");
      libc.close(fd);
      const s1 = libc.stat(at("f"));
      ok(s1.mtime > s0.mtime, "a write moves mtime");
      ok(s1.ctime > s0.ctime, "a write moves ctime");
      libc.readFile(at("f"));
      fields(libc.stat(at("f")), { mtime: s1.mtime, ctime: s1.ctime }, "a read moves neither");
      libc.truncate(at("f"), 0);
      ok(libc.stat(at("f")).mtime > s1.mtime, "a truncate moves mtime");
    },
  },
  {
    group: "files", name: "keeps an unlinked file readable and writable through an open fd, with nlink 0",
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("f"), "still here");
      const fd = libc.open(at("f"), O_RDWR);
      libc.unlink(at("f"));
      expectErrno(() => libc.stat(at("f")), "ENOENT");
      deepStrictEqual(names(libc, dir), []);
      fields(libc.fstat(fd), { nlink: 0, size: 10 }, "fstat of the unlinked file");
      strictEqual(text(libc.pread(fd, 100, 0)), "still here");
      libc.pwrite(fd, "!", 10);
      strictEqual(text(libc.pread(fd, 100, 0)), "still here!");
      libc.close(fd);
    },
  },
  {
    group: "files", name: "changes permission bits with chmod (through a symlink to its target) and fchmod, keeping the type", needs: ["symlinks", "unix permissions"],
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "x");
      libc.symlink("f", at("l"));
      libc.mkdir(at("d"));
      libc.chmod(at("l"), 0o4755);
      strictEqual(libc.stat(at("f")).mode, S_IFREG | 0o4755);
      strictEqual(libc.lstat(at("l")).mode & 0o777, 0o777);
      libc.chmod(at("d"), 0o1700 | S_IFREG);
      strictEqual(libc.stat(at("d")).mode, S_IFDIR | 0o1700);
      const fd = libc.open(at("f"), O_RDONLY);
      strictEqual(sys(libc, "fchmod", fd, 0o600), 0);
      strictEqual(libc.fstat(fd).mode, S_IFREG | 0o600);
      expectErrno(() => libc.chmod(at("missing"), 0o600), "ENOENT");
    },
  },
  {
    group: "files", name: "changes owners with chown (through a symlink) and lchown, and times with utimensat, ctime moving", needs: ["symlinks", "unix permissions"],
    run: ({ libc, at }) => {
      writeFile(libc, at("f"), "x");
      libc.symlink("f", at("l"));
      libc.chown(at("l"), 1000, 100);
      fields(libc.stat(at("f")), { uid: 1000, gid: 100 }, "chown through the symlink");
      libc.chown(at("l"), 7, -1, AT_SYMLINK_NOFOLLOW);
      fields(libc.lstat(at("l")), { uid: 7, gid: 0 }, "lchown");
      strictEqual(libc.stat(at("f")).uid, 1000);
      const before = libc.stat(at("f"));
      libc.utimensat(at("f"), [[1_000_000_000, 0], [1_200_000_000, 0]]);
      const after = libc.stat(at("f"));
      fields(after, { atime: 1_000_000_000, mtime: 1_200_000_000 }, "utimensat");
      ok(after.ctime >= before.ctime, "ctime moves on");
      expectErrno(() => libc.chown(at("missing"), 1, 1), "ENOENT");
      expectErrno(() => libc.utimensat(at("missing"), null), "ENOENT");
    },
  },
];

const DIRECTORIES: readonly FsCheck[] = [
  {
    group: "directories", name: "gives a new directory nlink 2 and its parent one more link, which rmdir takes back",
    run: ({ libc, dir, at }) => {
      const n0 = libc.stat(dir).nlink;
      libc.mkdir(at("d"), 0o777);
      fields(libc.stat(at("d")), { mode: S_IFDIR | 0o755, nlink: 2 }, "stat of the new directory");
      strictEqual(libc.stat(dir).nlink, n0 + 1);
      libc.mkdir(at("d/e"));
      writeFile(libc, at("d/f"), "");
      strictEqual(libc.stat(at("d")).nlink, 3);
      libc.rmdir(at("d/e"));
      strictEqual(libc.stat(at("d")).nlink, 2);
      libc.unlink(at("d/f"));
      libc.rmdir(at("d"));
      strictEqual(libc.stat(dir).nlink, n0);
    },
  },
  {
    group: "directories", name: "lists . and .. and every entry once, with its inode number and type", needs: ["symlinks", "device nodes"],
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("f"), "");
      libc.mkdir(at("d"));
      libc.symlink("f", at("l"));
      libc.mknod(at("c"), S_IFCHR | 0o600, makedev(240, 0));
      const listing = libc.readdir(dir);
      deepStrictEqual(sorted(listing.map((e) => e.name)), [".", "..", "c", "d", "f", "l"]);
      const types = Object.fromEntries(listing.map((e) => [e.name, e.type]));
      fields(types, { ".": DT_DIR, "..": DT_DIR, c: DT_CHR, d: DT_DIR, f: DT_REG, l: DT_LNK }, "the entries' types");
      for (const e of listing.filter((x) => x.name !== "..")) strictEqual(e.ino, libc.lstat(at(e.name)).ino, `${e.name}'s inode number`);
      strictEqual(libc.readdir(at("d")).find((e) => e.name === "..")?.ino, libc.stat(dir).ino);
    },
  },
  {
    group: "directories", name: "drops removed names from the listing and adds new ones",
    run: ({ libc, dir, at }) => {
      for (const n of ["a", "b", "c"]) writeFile(libc, at(n), "");
      libc.unlink(at("b"));
      libc.mkdir(at("d"));
      deepStrictEqual(sorted(names(libc, dir)), ["a", "c", "d"]);
    },
  },
  {
    group: "directories", name: "returns every entry exactly once to a reader that unlinks each batch as it goes (rm -r)",
    run: ({ libc, dir, at }) => {
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
      deepStrictEqual(sorted(seen), sorted(all));
      deepStrictEqual(names(libc, dir), []);
    },
  },
  {
    group: "directories", name: "moves the parent's mtime and ctime when an entry comes or goes",
    run: ({ libc, dir, at }) => {
      const s0 = libc.stat(dir);
      writeFile(libc, at("f"), "");
      const s1 = libc.stat(dir);
      ok(s1.mtime > s0.mtime, "a new entry moves the parent's mtime");
      ok(s1.ctime > s0.ctime, "a new entry moves the parent's ctime");
      libc.unlink(at("f"));
      ok(libc.stat(dir).mtime > s1.mtime, "a removed entry moves the parent's mtime");
    },
  },
  {
    group: "directories", name: "refuses to create anything in a removed directory, and getcwd there is ENOENT",
    run: ({ libc, dir, at }) => {
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
    },
  },
];

const RENAME: readonly FsCheck[] = [
  {
    group: "rename", name: "gives a file a new name, keeping its inode and contents",
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("a"), "contents");
      const ino = libc.stat(at("a")).ino;
      libc.rename(at("a"), at("b"));
      expectErrno(() => libc.stat(at("a")), "ENOENT");
      strictEqual(libc.stat(at("b")).ino, ino);
      strictEqual(text(libc.readFile(at("b"))), "contents");
      deepStrictEqual(names(libc, dir), ["b"]);
    },
  },
  {
    group: "rename", name: "replaces an existing file, whose open fd still reads it with nlink 0",
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("a"), "new");
      writeFile(libc, at("b"), "old");
      const fd = libc.open(at("b"), O_RDONLY);
      libc.rename(at("a"), at("b"));
      strictEqual(text(libc.readFile(at("b"))), "new");
      strictEqual(text(libc.read(fd, 10)), "old");
      strictEqual(libc.fstat(fd).nlink, 0);
      libc.close(fd);
      deepStrictEqual(names(libc, dir), ["b"]);
    },
  },
  {
    group: "rename", name: "moves a file into another directory, and an open fd on it keeps reading",
    run: ({ libc, dir, at }) => {
      libc.mkdir(at("d"));
      writeFile(libc, at("a"), "moved");
      const fd = libc.open(at("a"), O_RDONLY);
      libc.rename(at("a"), at("d/a"));
      strictEqual(text(libc.read(fd, 10)), "moved");
      libc.close(fd);
      deepStrictEqual(names(libc, dir), ["d"]);
      deepStrictEqual(names(libc, at("d")), ["a"]);
    },
  },
  {
    group: "rename", name: "moves a directory with what is in it, and its .. and the parents' link counts follow",
    run: ({ libc, at }) => {
      libc.mkdir(at("p"));
      libc.mkdir(at("q"));
      libc.mkdir(at("p/d"));
      writeFile(libc, at("p/d/inner"), "x");
      const [p, q] = [libc.stat(at("p")).nlink, libc.stat(at("q")).nlink];
      libc.rename(at("p/d"), at("q/d2"));
      strictEqual(text(libc.readFile(at("q/d2/inner"))), "x");
      strictEqual(libc.stat(at("p")).nlink, p - 1);
      strictEqual(libc.stat(at("q")).nlink, q + 1);
      strictEqual(libc.stat(at("q/d2/..")).ino, libc.stat(at("q")).ino);
      strictEqual(libc.readdir(at("q/d2")).find((e) => e.name === "..")?.ino, libc.stat(at("q")).ino);
    },
  },
  {
    group: "rename", name: "replaces an empty directory, and the parent loses its link",
    run: ({ libc, dir, at }) => {
      libc.mkdir(at("a"));
      writeFile(libc, at("a/inner"), "");
      libc.mkdir(at("b"));
      const n = libc.stat(dir).nlink;
      libc.rename(at("a"), at("b"));
      deepStrictEqual(names(libc, at("b")), ["inner"]);
      strictEqual(libc.stat(dir).nlink, n - 1);
      deepStrictEqual(names(libc, dir), ["b"]);
    },
  },
  {
    group: "rename", name: "does nothing when a name is renamed onto itself",
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("f"), "same");
      libc.mkdir(at("d"));
      const before = tree(libc, dir);
      libc.rename(at("f"), at("f"));
      libc.rename(at("d"), at("d"));
      deepStrictEqual(tree(libc, dir), before);
    },
  },
  {
    group: "rename", name: "renames a symlink itself, not what it points to", needs: ["symlinks"],
    run: ({ libc, dir, at }) => {
      writeFile(libc, at("f"), "target");
      libc.symlink("f", at("l"));
      libc.rename(at("l"), at("m"));
      strictEqual(libc.readlink(at("m")), "f");
      deepStrictEqual(sorted(names(libc, dir)), ["f", "m"]);
    },
  },
];

/** f (a file), d/{inner,sub/}, e/ (empty), and where there are symlinks l -> f, dl -> nowhere, ld -> d, self -> self. */
function misuseFixture({ fs, libc, at }: FsContext): void {
  writeFile(libc, at("f"), "data");
  libc.mkdir(at("d"));
  writeFile(libc, at("d/inner"), "inner");
  libc.mkdir(at("d/sub"));
  libc.mkdir(at("e"));
  if (fs.lacks?.includes("symlinks")) return;
  libc.symlink("f", at("l"));
  libc.symlink("nowhere", at("dl"));
  libc.symlink("d", at("ld"));
  libc.symlink("self", at("self"));
}

const ERRNOS: readonly FsCheck[] = MISUSES.map(({ needs, what, act, code }) => ({
  group: "errno for each misuse",
  needs,
  name: `${what}: ${code}, the tree unchanged`,
  run: (c: FsContext) => {
    misuseFixture(c);
    expectRefused(() => tree(c.libc, c.dir), () => act(c.libc, c.at), code);
  },
}));

/** Every check, group by group: files, directories, rename, errno for each misuse. */
export const POSIX_CHECKS: readonly FsCheck[] = [...FILES, ...DIRECTORIES, ...RENAME, ...ERRNOS];

/** The checks' groups, in order, each with its checks: those `fs` has what they need for, when given. */
export function fsCheckGroups(checks: readonly FsCheck[] = POSIX_CHECKS, fs?: FsUnderTest): [group: string, checks: FsCheck[]][] {
  const groups = new Map<string, FsCheck[]>();
  for (const c of checks.filter((x) => !x.needs?.some((f) => fs?.lacks?.includes(f)))) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  return [...groups];
}
