// open(2), openat(2), creat(2) and close(2): descriptors, the flags users rely on, and their errno.

import { beforeEach, describe, expect, it } from "vitest";
import {
  AT_FDCWD, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
} from "../../abi/fcntl.js";
import { S_IFREG } from "../../abi/stat.js";
import { NR_OPEN_DEFAULT } from "../../host/fs/file.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused } from "../helpers.js";
import { boot, names, neg, sys, text, tree, userString, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
  libc.mkdir("/tmp/d");
  writeFile(libc, "/tmp/d/f", "contents");
  libc.symlink("d", "/tmp/ld");
});

describe("descriptors", () => {
  it("hands out the lowest free descriptor, reusing closed ones", () => {
    expect([0, 1, 2].map(() => libc.open("/tmp/d/f", O_RDONLY))).toEqual([0, 1, 2]);
    libc.close(1);
    expect(libc.open("/tmp/d/f", O_RDONLY)).toBe(1);
    expect(libc.open("/tmp/d/f", O_RDONLY)).toBe(3);
  });

  it("refuses close of a descriptor that is not open with EBADF, the second close too", () => {
    const fd = libc.open("/tmp/d/f", O_RDONLY);
    libc.close(fd);
    expectErrno(() => libc.close(fd), "EBADF");
    for (const bad of [-1, 1024, 99999]) expect(sys(libc, "close", bad)).toBe(neg("EBADF"));
  });

  it(`opens ${NR_OPEN_DEFAULT} files and refuses the next with EMFILE, creating and truncating nothing`, () => {
    const observer = k.spawn("observer");
    const before = tree(observer, "/tmp/d");
    for (let i = 0; i < NR_OPEN_DEFAULT; i++) expect(libc.open("/tmp/d/f", O_RDONLY)).toBe(i);
    expectErrno(() => libc.open("/tmp/d/f", O_RDONLY), "EMFILE");
    expectErrno(() => libc.open("/tmp/d/new", O_CREAT | O_WRONLY), "EMFILE");
    expectErrno(() => libc.open("/tmp/d/f", O_WRONLY | O_TRUNC), "EMFILE");
    expect(tree(observer, "/tmp/d")).toEqual(before);
    libc.close(500);
    expect(libc.open("/tmp/d/f", O_RDONLY)).toBe(500);
  });
});

describe("access modes", () => {
  it("lets an O_RDONLY descriptor read but not write (EBADF)", () => {
    const fd = libc.open("/tmp/d/f", O_RDONLY);
    expect(text(libc.read(fd, 4))).toBe("cont");
    expectErrno(() => libc.write(fd, "x"), "EBADF");
    expectErrno(() => libc.pwrite(fd, "x", 0), "EBADF");
  });

  it("lets an O_WRONLY descriptor write but not read (EBADF)", () => {
    const fd = libc.open("/tmp/d/f", O_WRONLY);
    libc.write(fd, "C");
    expectErrno(() => libc.read(fd, 4), "EBADF");
    expectErrno(() => libc.pread(fd, 4, 0), "EBADF");
    expect(text(libc.readFile("/tmp/d/f"))).toBe("Contents");
  });

  it("lets an O_RDWR descriptor do both, through one offset", () => {
    const fd = libc.open("/tmp/d/f", O_RDWR);
    expect(text(libc.read(fd, 4))).toBe("cont");
    libc.write(fd, "ENTS");
    expect(text(libc.pread(fd, 8, 0))).toBe("contENTS");
  });

  it("opens a directory O_RDONLY, and refuses writing to it with EBADF", () => {
    const fd = libc.open("/tmp/d", O_RDONLY);
    expectErrno(() => libc.write(fd, "x"), "EBADF");
    expectErrno(() => libc.read(fd, 4), "EISDIR");
  });
});

describe("flags", () => {
  it("O_CREAT makes a file with mode & ~umask, and opens an existing one as it is", () => {
    libc.close(libc.open("/tmp/d/new", O_CREAT | O_WRONLY, 0o777));
    expect(libc.stat("/tmp/d/new").mode).toBe(S_IFREG | 0o755);
    libc.close(libc.open("/tmp/d/f", O_CREAT | O_WRONLY, 0o600));
    expect(libc.stat("/tmp/d/f")).toMatchObject({ mode: S_IFREG | 0o644, size: 8 });
  });

  it("O_CREAT follows a dangling symlink and creates its target", () => {
    libc.symlink("made", "/tmp/d/dangling");
    libc.close(libc.open("/tmp/d/dangling", O_CREAT | O_WRONLY));
    expect(names(libc, "/tmp/d").sort()).toEqual(["dangling", "f", "made"]);
  });

  it("O_CREAT|O_EXCL makes a new file, and refuses any existing name with EEXIST", () => {
    libc.close(libc.open("/tmp/d/new", O_CREAT | O_EXCL | O_WRONLY));
    expectRefused(() => tree(libc, "/tmp/d"), () => libc.open("/tmp/d/new", O_CREAT | O_EXCL | O_WRONLY), "EEXIST");
    expectRefused(() => tree(libc, "/tmp"), () => libc.open("/tmp/ld", O_CREAT | O_EXCL | O_RDONLY), "EEXIST");
  });

  it("O_TRUNC empties a file opened for writing, and O_APPEND writes at its end", () => {
    const fd = libc.open("/tmp/d/f", O_WRONLY | O_TRUNC | O_APPEND);
    expect(libc.fstat(fd).size).toBe(0);
    libc.write(fd, "a");
    libc.pwrite(fd, "b", 0);
    expect(text(libc.readFile("/tmp/d/f"))).toBe("ab");
  });

  it("O_DIRECTORY opens a directory, or a symlink to one, and refuses a file with ENOTDIR", () => {
    libc.close(libc.open("/tmp/d", O_RDONLY | O_DIRECTORY));
    libc.close(libc.open("/tmp/ld", O_RDONLY | O_DIRECTORY));
    expectErrno(() => libc.open("/tmp/d/f", O_RDONLY | O_DIRECTORY), "ENOTDIR");
  });

  it("refuses O_CREAT|O_DIRECTORY with EINVAL, creating nothing", () => {
    expectRefused(() => tree(libc, "/tmp/d"), () => libc.open("/tmp/d/new", O_CREAT | O_DIRECTORY | O_RDONLY), "EINVAL");
    expectRefused(() => tree(libc, "/tmp/d"), () => libc.open("/tmp/d", O_CREAT | O_DIRECTORY | O_RDONLY), "EINVAL");
  });

  it("O_NOFOLLOW refuses a final symlink with ELOOP but follows one earlier in the path", () => {
    expectErrno(() => libc.open("/tmp/ld", O_RDONLY | O_NOFOLLOW), "ELOOP");
    expect(text(libc.read(libc.open("/tmp/ld/f", O_RDONLY | O_NOFOLLOW), 8))).toBe("contents");
  });

  it("O_NONBLOCK changes nothing for a regular file", () => {
    const fd = libc.open("/tmp/d/f", O_RDWR | O_NONBLOCK);
    expect(text(libc.read(fd, 8))).toBe("contents");
    expect(libc.write(fd, "!")).toBe(1);
  });
});

describe("openat", () => {
  it("walks a relative path from the directory dirfd names, and from the cwd for AT_FDCWD", () => {
    const dirfd = libc.open("/tmp/d", O_RDONLY | O_DIRECTORY);
    const fd = sys(libc, "openat", dirfd, userString(libc, "f"), O_RDONLY);
    expect(text(libc.read(fd, 8))).toBe("contents");
    libc.chdir("/tmp/d");
    expect(sys(libc, "openat", AT_FDCWD, userString(libc, "f"), O_RDONLY)).toBeGreaterThan(fd);
  });

  it("ignores dirfd for an absolute path, even a bad one", () => {
    expect(sys(libc, "openat", 999, userString(libc, "/tmp/d/f"), O_RDONLY)).toBe(0);
  });

  it("refuses a relative path from a dirfd that is not open (EBADF) or not a directory (ENOTDIR)", () => {
    const file = libc.open("/tmp/d/f", O_RDONLY);
    expect(sys(libc, "openat", 999, userString(libc, "f"), O_RDONLY)).toBe(neg("EBADF"));
    expect(sys(libc, "openat", file, userString(libc, "f"), O_RDONLY)).toBe(neg("ENOTDIR"));
  });
});

describe("open and creat", () => {
  it("open is openat from the cwd", () => {
    libc.chdir("/tmp/d");
    const fd = sys(libc, "open", userString(libc, "f"), O_RDONLY);
    expect(text(libc.read(fd, 8))).toBe("contents");
  });

  it("creat is open with O_CREAT|O_WRONLY|O_TRUNC", () => {
    const fd = sys(libc, "creat", userString(libc, "/tmp/d/f"), 0o600);
    expect(libc.fstat(fd).size).toBe(0);
    expectErrno(() => libc.read(fd, 1), "EBADF");
    const made = sys(libc, "creat", userString(libc, "/tmp/d/new"), 0o600);
    expect(libc.fstat(made).mode).toBe(S_IFREG | 0o600);
  });
});
