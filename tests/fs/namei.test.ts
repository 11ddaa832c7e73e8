// The path walk (host/fs/namei.ts): ".", "..", repeated slashes, symlinks and their loop limit, mount
// points, and the ENAMETOOLONG, ENOTDIR, ELOOP and ENOENT a walk gives.

import { beforeEach, describe, expect, it } from "vitest";
import { O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { S_ISDIR, S_ISLNK } from "../../abi/stat.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused } from "../helpers.js";
import { boot, names, text, tree, writeFile } from "../vfs_helpers.js";

let libc: Libc;
beforeEach(() => {
  libc = boot().libc;
  libc.mkdir("/tmp/a");
  libc.mkdir("/tmp/a/b");
  writeFile(libc, "/tmp/a/b/f", "in b");
  writeFile(libc, "/tmp/file", "a file");
});

/** Two paths name the same inode on the same filesystem. */
function expectSame(p: string, q: string): void {
  const [s, t] = [libc.stat(p), libc.stat(q)];
  expect([s.dev, s.ino]).toEqual([t.dev, t.ino]);
}

/** A chain link1 -> first, link2 -> link1, ..., linkN in /tmp; returns the name of link n. */
function chain(prefix: string, first: string, n: number): (i: number) => string {
  const link = (i: number) => `/tmp/${prefix}${i}`;
  for (let i = 1; i <= n; i++) libc.symlink(i === 1 ? first : link(i - 1), link(i));
  return link;
}

describe("dots and slashes", () => {
  it("resolves . and .. and repeated slashes", () => {
    expectSame("/tmp/a/./b/../b//f", "/tmp/a/b/f");
    expectSame("//tmp///a/", "/tmp/a");
    expectSame("/tmp/a/b/..", "/tmp/a");
  });

  it("stays at the root on .. from /", () => {
    expectSame("/../..", "/");
    libc.chdir("/");
    expectSame("..", "/");
  });

  it("walks relative paths from the cwd", () => {
    libc.chdir("/tmp/a");
    expect(text(libc.readFile("b/f"))).toBe("in b");
    expectSame("..", "/tmp");
  });

  it("gives ENOENT for an empty path and for a missing component", () => {
    expectErrno(() => libc.stat(""), "ENOENT");
    expectErrno(() => libc.open("", O_RDONLY), "ENOENT");
    expectErrno(() => libc.stat("/tmp/missing/f"), "ENOENT");
  });

  it("gives ENOTDIR when a file stands where a directory must", () => {
    for (const p of ["/tmp/file/x", "/tmp/file/.", "/tmp/file/..", "/tmp/file/"]) expectErrno(() => libc.stat(p), "ENOTDIR");
    expectRefused(() => tree(libc, "/tmp"), () => libc.mkdir("/tmp/file/x"), "ENOTDIR");
  });
});

describe("mount points", () => {
  beforeEach(() => {
    libc.mkdir("/mnt/x");
    writeFile(libc, "/mnt/x/under", "hidden");
    libc.mount("devtmpfs", "/mnt/x", "devtmpfs");
  });

  it("shows the mounted filesystem's root, hiding what lies beneath until umount", () => {
    expect(names(libc, "/mnt/x")).toEqual([]);
    expect(libc.stat("/mnt/x").dev).not.toBe(libc.stat("/mnt").dev);
    expectErrno(() => libc.stat("/mnt/x/under"), "ENOENT");
    libc.umount("/mnt/x");
    expect(text(libc.readFile("/mnt/x/under"))).toBe("hidden");
  });

  it("climbs from a mount's root by .. to the directory above the mount point", () => {
    expectSame("/mnt/x/..", "/mnt");
    libc.mkdir("/mnt/x/d");
    libc.chdir("/mnt/x/d");
    expect(libc.getcwd()).toBe("/mnt/x/d");
    libc.chdir("../..");
    expect(libc.getcwd()).toBe("/mnt");
  });

  it("lets symlinks cross mount points both ways", () => {
    libc.symlink("/mnt/x", "/tmp/tox");
    writeFile(libc, "/tmp/tox/f", "through the link");
    expect(text(libc.readFile("/mnt/x/f"))).toBe("through the link");
    libc.symlink("../../tmp/file", "/mnt/x/out");
    expect(text(libc.readFile("/mnt/x/out"))).toBe("a file");
  });
});

describe("symlinks", () => {
  it("resolves a relative target from the link's directory and an absolute one from the root", () => {
    libc.symlink("f", "/tmp/a/b/rel");
    libc.symlink("/tmp/a/b/f", "/tmp/abs");
    libc.symlink("a/b", "/tmp/lb");
    for (const p of ["/tmp/a/b/rel", "/tmp/abs", "/tmp/lb/f", "/tmp/lb/rel"]) expect(text(libc.readFile(p))).toBe("in b");
  });

  it("takes .. after a symlinked directory from the target, not from the link", () => {
    libc.symlink("a/b", "/tmp/lb");
    expectSame("/tmp/lb/..", "/tmp/a");
  });

  it("follows a final symlink for stat but not lstat, unless a trailing slash asks for a directory", () => {
    libc.symlink("a", "/tmp/la");
    expect(S_ISDIR(libc.stat("/tmp/la").mode)).toBe(true);
    expect(S_ISLNK(libc.lstat("/tmp/la").mode)).toBe(true);
    expectSame("/tmp/la/", "/tmp/a");
    expect(libc.lstat("/tmp/la/").ino).toBe(libc.stat("/tmp/a").ino);
  });

  it("follows 40 symlinks in a walk and refuses the 41st with ELOOP", () => {
    const file = chain("f", "/tmp/file", 41);
    expect(text(libc.readFile(file(40)))).toBe("a file");
    expectErrno(() => libc.open(file(41), O_RDONLY), "ELOOP");
    expectErrno(() => libc.stat(file(41)), "ELOOP");
    expectErrno(() => libc.open(file(41), O_CREAT | O_WRONLY), "ELOOP");
    expect(S_ISLNK(libc.lstat(file(41)).mode)).toBe(true);
    const dir = chain("d", "/tmp/a/b", 41);
    expect(text(libc.readFile(`${dir(40)}/f`))).toBe("in b");
    expectErrno(() => libc.stat(`${dir(41)}/f`), "ELOOP");
  });

  it("gives ELOOP for a link to itself and for two links to each other", () => {
    libc.symlink("self", "/tmp/self");
    libc.symlink("pong", "/tmp/ping");
    libc.symlink("ping", "/tmp/pong");
    for (const p of ["/tmp/self", "/tmp/ping"]) {
      expectErrno(() => libc.open(p, O_RDONLY), "ELOOP");
      expectErrno(() => libc.chdir(p), "ELOOP");
      expectRefused(() => tree(libc, "/tmp"), () => libc.mkdir(`${p}/x`), "ELOOP");
    }
  });
});

describe("name lengths", () => {
  const name255 = "n".repeat(255);

  it("takes a 255-byte component and refuses a 256-byte one with ENAMETOOLONG", () => {
    writeFile(libc, `/tmp/${name255}`, "long");
    expect(names(libc, "/tmp")).toContain(name255);
    for (const long of [`${name255}x`, "é".repeat(128)]) {
      expectRefused(() => tree(libc, "/tmp"), () => libc.open(`/tmp/${long}`, O_CREAT | O_WRONLY), "ENAMETOOLONG");
      expectRefused(() => tree(libc, "/tmp"), () => libc.mkdir(`/tmp/${long}`), "ENAMETOOLONG");
      expectErrno(() => libc.stat(`/tmp/${long}/f`), "ENAMETOOLONG");
    }
  });

  it("takes a 4095-byte path and refuses a 4096-byte one (PATH_MAX with its NUL) with ENAMETOOLONG", () => {
    libc.chdir("/tmp");
    const dots = "./".repeat(2044);
    writeFile(libc, "/tmp/abcdefg", "deep");
    expect(`${dots}abcdefg`).toHaveLength(4095);
    expect(text(libc.readFile(`${dots}abcdefg`))).toBe("deep");
    expectErrno(() => libc.stat(`${dots}abcdefgh`), "ENAMETOOLONG");
    expectRefused(() => tree(libc, "/tmp"), () => libc.mkdir(`${dots}abcdefgh`), "ENAMETOOLONG");
  });
});
