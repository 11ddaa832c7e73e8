// hostfs: a host directory mounted in the kernel, read-write, and confined to that directory.

import {
  chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { AT_SYMLINK_NOFOLLOW, O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { S_IFDIR, UTIME_NOW, UTIME_OMIT } from "../../abi/stat.js";
import { IATTR_LAYOUT, iattrBytes } from "../../host/fs/attr.js";
import type { Iattr, SuperBlock } from "../../host/fs/fs.js";
import { HostfsUser } from "../../host/fs/hostfs/hostfs_user.js";
import { Kernel } from "../../host/init/main.js";
import { Idr } from "../../host/lib/idr.js";
import { ModuleMemory } from "../../host/mm/maccess.js";
import type { Module } from "../../host/module/internal.js";
import type { Libc, Stat } from "../../host/user/nolibc.js";
import { cliRunner, expectErrno, expectRefused, scratchDir, snapshot, type CliResult } from "../helpers.js";
import { neg, sys, text } from "../vfs_helpers.js";

const scratch = scratchDir("hostfs");
afterAll(() => scratch.cleanup());

let share: string;
let top: string;
let k: Kernel;
let libc: Libc;
let run: (line: string) => Promise<CliResult>;
/** The kernel's wall clock, which "now" in utimensat and touch reads. */
const NOW = 1_700_000_000_123_456_789n;
beforeEach(async () => {
  top = join(scratch.dir, Math.random().toString(36).slice(2));
  share = join(top, "share");
  mkdirSync(join(share, "sub"), { recursive: true });
  writeFileSync(join(share, "a.txt"), "from the host\n");
  writeFileSync(join(top, "secret"), "outside\n");
  symlinkSync(join(top, "secret"), join(share, "abs"));
  symlinkSync("../secret", join(share, "rel"));
  symlinkSync(top, join(share, "up"));
  k = new Kernel({ realtimeNs: () => NOW });
  run = cliRunner(k);
  expect((await run("mkdir /host")).status).toBe(0);
  expect(await run(`mount -t hostfs none /host -o ${share}`)).toMatchObject({ status: 0, err: "" });
  libc = k.spawn("test");
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

describe("hostfs", () => {
  it("shows the host directory's files, and what the kernel writes lands on the host", async () => {
    expect(await ok("cat /host/a.txt")).toBe("from the host\n");
    expect(await ok("ls /host")).toBe("a.txt\nabs\nrel\nsub\nup\n");
    await ok("echo made in the kernel > /host/sub/new.txt");
    expect(readFileSync(join(share, "sub", "new.txt"), "utf8")).toBe("made in the kernel\n");
    await ok("mkdir /host/d");
    await ok("mv /host/sub /host/d/moved");
    expect(readFileSync(join(share, "d", "moved", "new.txt"), "utf8")).toBe("made in the kernel\n");
    expect(await ok("cat /host/d/moved/new.txt")).toBe("made in the kernel\n");
    await ok("rm /host/d/moved/new.txt");
    expect(existsSync(join(share, "d", "moved", "new.txt"))).toBe(false);
  });

  it("lists its mount in /proc/mounts and refuses a missing host directory", async () => {
    expect(k.read("/proc/mounts")).toContain("none /host hostfs rw,relatime 0 0\n");
    await ok("mkdir /h2");
    expect(await run(`mount -t hostfs none /h2 -o ${join(share, "nope")}`)).toMatchObject({ status: 1, err: "mount: /h2: special device none does not exist.\n" });
    expect(k.read("/proc/mounts")).not.toContain("/h2");
  });

  it("never follows a host symlink out of the directory: absolute, relative, or a directory on the way", async () => {
    expect(await ok("ls -l /host/abs")).toMatch(/^l.* \/host\/abs -> .*secret\n$/);
    for (const path of ["/host/abs", "/host/rel", "/host/up/secret", "/host/../secret"]) {
      expect((await run(`cat ${path}`)).status, path).toBe(1);
    }
  });

  it("backs a loop device with a host image, busy while bound", async () => {
    await ok("modprobe memdev");
    await ok("dd if=/dev/zero of=/host/disk.img bs=1k count=64 status=none");
    await ok("losetup /dev/loop0 /host/disk.img");
    await ok("echo through the loop > /m");
    await ok("dd if=/m of=/dev/loop0 bs=512 seek=4 conv=notrunc,fsync status=none");
    expect(readFileSync(join(share, "disk.img")).subarray(2048, 2065).toString()).toBe("through the loop\n");
    expect((await run("umount /host")).status).toBe(1);
    await ok("losetup -d /dev/loop0");
    await ok("umount /host");
  });
});

describe("the host side's confinement", () => {
  const sb = {} as SuperBlock;
  const user = () => {
    const u = new HostfsUser(new Idr<SuperBlock>());
    u.setRoot(sb, share);
    return u;
  };

  it("refuses '.' and '..' in a path with EACCES, and a symlinked directory on the way with ELOOP", () => {
    const u = user();
    expectErrno(() => u.resolve(sb, "sub/../../secret"), "EACCES");
    expectErrno(() => u.resolve(sb, "./a.txt"), "EACCES");
    expectErrno(() => u.resolve(sb, "up/secret"), "ELOOP");
    expect(u.resolve(sb, "sub/x")).toMatch(/share\/sub\/x$/);
  });

  it("takes only an existing absolute directory, once", () => {
    const u = new HostfsUser(new Idr<SuperBlock>());
    expectErrno(() => u.setRoot(sb, "relative/dir"), "EINVAL");
    expectErrno(() => u.setRoot(sb, join(share, "a.txt")), "ENOTDIR");
    u.setRoot(sb, share);
    expectErrno(() => u.setRoot(sb, share), "EBUSY");
  });
});

const isRoot = process.geteuid?.() === 0;

/**
 * A host file's atime and mtime in whole microseconds, what hostfs keeps of a time (UML's struct timeval). Node
 * 20's and 22's libuv truncate utimes' seconds to microseconds; Node 24's keeps the nanoseconds of the double,
 * which at today's epoch is only good to a quarter of a microsecond, so only the microseconds are compared.
 */
function hostTimesUs(path: string): [bigint, bigint] {
  const st = lstatSync(path, { bigint: true });
  return [st.atimeNs / 1000n, st.mtimeNs / 1000n];
}

/** The host's lstat of a path under the share, as the kernel's struct stat would give it. */
function onHost(rel: string): Omit<Stat, "dev" | "rdev" | "blksize"> {
  const st = lstatSync(join(share, rel), { bigint: true });
  const split = (ns: bigint) => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)] as const;
  const [[atime, atimeNsec], [mtime, mtimeNsec], [ctime, ctimeNsec]] = [split(st.atimeNs), split(st.mtimeNs), split(st.ctimeNs)];
  return {
    ino: Number(st.ino & 0xffffffffn), nlink: Number(st.nlink), mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid),
    size: Number(st.size), blocks: Number(st.blocks), atime, atimeNsec, mtime, mtimeNsec, ctime, ctimeNsec,
  };
}

/** Run fn as user nobody (effective uid 65534), to whom the host refuses changes to root's files; needs root. */
async function asNobody<T>(fn: () => T | Promise<T>): Promise<T> {
  process.seteuid!(65534);
  try {
    return await fn();
  } finally {
    process.seteuid!(0);
  }
}

describe("hostfs attributes live on the host", () => {
  it("chmod, truncate and utimensat change the host file, times to the microsecond, and stat shows the host's lstat", () => {
    libc.chmod("/host/a.txt", 0o640);
    libc.chmod("/host/sub", 0o700);
    libc.truncate("/host/a.txt", 4);
    libc.utimensat("/host/a.txt", [[1_600_000_000, 123_456_789], [1_500_000_000, 987_654_321]]);
    const host = lstatSync(join(share, "a.txt"), { bigint: true });
    expect([host.mode & 0o7777n, host.size]).toEqual([0o640n, 4n]);
    expect(hostTimesUs(join(share, "a.txt"))).toEqual([1_600_000_000_123_456n, 1_500_000_000_987_654n]);
    expect(readFileSync(join(share, "a.txt"), "utf8")).toBe("from");
    expect(lstatSync(join(share, "sub")).mode & 0o7777).toBe(0o700);
    for (const rel of ["a.txt", "sub", "abs"]) expect(libc.lstat(`/host/${rel}`), rel).toMatchObject(onHost(rel));
  });

  it("writes the kernel's now for utimensat's UTIME_NOW and a plain touch, keeps the host's time for UTIME_OMIT", async () => {
    utimesSync(join(share, "a.txt"), 1_000_000_000, 1_000_000_000);
    libc.utimensat("/host/a.txt", [[0, UTIME_OMIT], [0, UTIME_NOW]]);
    expect(hostTimesUs(join(share, "a.txt"))).toEqual([1_000_000_000_000_000n, 1_700_000_000_123_456n]);
    utimesSync(join(share, "a.txt"), 1_000_000_000, 1_000_000_000);
    expect(await ok("touch /host/a.txt")).toBe("");
    expect(hostTimesUs(join(share, "a.txt"))).toEqual([1_700_000_000_123_456n, 1_700_000_000_123_456n]);
    expect(await ok("touch -d @1234567890.25 /host/sub")).toBe("");
    expect(hostTimesUs(join(share, "sub"))[1]).toBe(1_234_567_890_250_000n);
  });

  it.skipIf(!isRoot)("chown and lchown change the host's owner; lchown and utimensat(AT_SYMLINK_NOFOLLOW) change a symlink itself, never what it points at outside (needs root)", async () => {
    const outside = lstatSync(join(top, "secret"), { bigint: true });
    libc.chown("/host/a.txt", 1234, 5678);
    expect(lstatSync(join(share, "a.txt"))).toMatchObject({ uid: 1234, gid: 5678 });
    expect(await ok("chown 42:43 /host/sub")).toBe("");
    expect(lstatSync(join(share, "sub"))).toMatchObject({ uid: 42, gid: 43 });
    libc.chown("/host/abs", 7, 8, AT_SYMLINK_NOFOLLOW);
    libc.utimensat("/host/abs", [[1_400_000_000, 0], [1_400_000_000, 0]], AT_SYMLINK_NOFOLLOW);
    expect(lstatSync(join(share, "abs"))).toMatchObject({ uid: 7, gid: 8 });
    expect(hostTimesUs(join(share, "abs"))).toEqual([1_400_000_000_000_000n, 1_400_000_000_000_000n]);
    expect(lstatSync(join(top, "secret"), { bigint: true })).toEqual(outside);
    expect(libc.lstat("/host/abs")).toMatchObject(onHost("abs"));
    // chown without AT_SYMLINK_NOFOLLOW follows the link in the kernel's own tree, where its target does not exist.
    expectErrno(() => libc.chown("/host/abs", 1, 1), "ENOENT");
    expect(lstatSync(join(top, "secret"), { bigint: true })).toEqual(outside);
  });

  it("sees what the host changes behind its back at the next walk: attributes, links, contents, and files gone or replaced", () => {
    expect(libc.stat("/host/a.txt").size).toBe(14);
    chmodSync(join(share, "a.txt"), 0o600);
    utimesSync(join(share, "a.txt"), 1_300_000_000.5, 1_200_000_000.25);
    writeFileSync(join(share, "a.txt"), "x".repeat(10_000), { flag: "a" });
    linkSync(join(share, "a.txt"), join(share, "b.txt"));
    expect(libc.stat("/host/a.txt")).toMatchObject({ ...onHost("a.txt"), nlink: 2, size: 10_014 });
    expect(libc.stat("/host/a.txt").blocks).toBeGreaterThan(0);
    expect(libc.stat("/host/b.txt").ino).toBe(libc.stat("/host/a.txt").ino);
    unlinkSync(join(share, "b.txt"));
    expectErrno(() => libc.stat("/host/b.txt"), "ENOENT");
    rmSync(join(share, "a.txt"));
    mkdirSync(join(share, "a.txt"));
    expect(libc.stat("/host/a.txt")).toMatchObject({ ...onHost("a.txt"), mode: S_IFDIR | 0o755 });
    symlinkSync("sub", join(share, "moved"));
    renameSync(join(share, "moved"), join(share, "rel"));
    expect(libc.readlink("/host/rel")).toBe("sub");
  });

  it("forgets the inodes of files the host replaced, so a file replaced again and again does not grow the kernel", () => {
    libc.stat("/host/a.txt");
    const inodes = k.moduleFilesystems.inodes.size;
    for (let i = 0; i < 50; i++) {
      writeFileSync(join(share, "a.txt.new"), `${i}`);
      renameSync(join(share, "a.txt.new"), join(share, "a.txt"));
      expect(libc.stat("/host/a.txt").size).toBe(`${i}`.length);
    }
    expect(k.moduleFilesystems.inodes.size).toBe(inodes);
  });

  it("forgets, with a directory the host replaced, the inodes found below it", () => {
    libc.stat("/host/sub");
    const inodes = k.moduleFilesystems.inodes.size;
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(share, "sub.new", "deep"), { recursive: true });
      writeFileSync(join(share, "sub.new", "deep", "f"), `${i}`);
      rmSync(join(share, "sub"), { recursive: true });
      renameSync(join(share, "sub.new"), join(share, "sub"));
      expect(libc.stat("/host/sub/deep/f").size).toBe(`${i}`.length);
    }
    libc.stat("/host/sub");
    expect(k.moduleFilesystems.inodes.size).toBe(inodes + 2);
  });

  it("gives ENOENT for what is held in a directory the host replaced, and evicts it when let go", () => {
    mkdirSync(join(share, "sub", "deep"));
    writeFileSync(join(share, "sub", "deep", "f"), "old");
    // What the held inodes' places would name once their evicted ancestor is left out: never to be reached.
    mkdirSync(join(share, "deep"));
    writeFileSync(join(share, "deep", "f"), "decoy");
    libc.chdir("/host/sub/deep");
    const fd = libc.open("f", O_RDONLY);
    const inodes = k.moduleFilesystems.inodes.size;
    for (let i = 0; i < 2; i++) {
      rmSync(join(share, "sub"), { recursive: true });
      mkdirSync(join(share, "sub", "deep"), { recursive: true });
      writeFileSync(join(share, "sub", "deep", "f"), "new");
      expect(text(libc.readFile("/host/sub/deep/f"))).toBe("new");
    }
    expectErrno(() => libc.read(fd, 10), "ENOENT");
    expect(sys(libc, "fchmod", fd, 0o600)).toBe(neg("ENOENT"));
    expectErrno(() => libc.open("g", O_RDONLY), "ENOENT");
    expectErrno(() => libc.open("g", O_CREAT | O_WRONLY), "ENOENT");
    expect([existsSync(join(share, "sub", "deep", "g")), existsSync(join(share, "deep", "g"))]).toEqual([false, false]);
    expect(lstatSync(join(share, "sub", "deep", "f")).mode & 0o777).toBe(0o644);
    libc.close(fd);
    libc.chdir("/");
    libc.stat("/host/sub/deep/f");
    expect(k.moduleFilesystems.inodes.size).toBe(inodes);
  });

  it("refuses a change to a file the host removed behind its back with ENOENT, by path and by descriptor, changing nothing", async () => {
    const fd = libc.open("/host/a.txt", O_RDONLY);
    unlinkSync(join(share, "a.txt"));
    const state = () => ({ kernel: snapshot(k), st: libc.fstat(fd) });
    const before = state();
    expect(sys(libc, "fchmod", fd, 0o600)).toBe(neg("ENOENT"));
    expect(state()).toEqual(before);
    expect(await run("chmod 600 /host/a.txt")).toMatchObject({ status: 1, err: "chmod: cannot access '/host/a.txt': No such file or directory\n" });
    expect(existsSync(join(share, "a.txt"))).toBe(false);
  });

  it.skipIf(!isRoot)("passes on the host's refusal (EPERM, EACCES) with the path named, changing nothing in the kernel or on the host (acts as nobody: needs root)", async () => {
    const state = () => ({ kernel: snapshot(k), st: libc.stat("/host/a.txt"), host: onHost("a.txt") });
    await asNobody(() => {
      expectRefused(state, () => libc.chmod("/host/a.txt", 0o600), "EPERM");
      expectRefused(state, () => libc.chown("/host/a.txt", 65534, 65534), "EPERM");
      expectRefused(state, () => libc.truncate("/host/a.txt", 1), "EACCES");
      expectRefused(state, () => libc.utimensat("/host/a.txt", [[1, 0], [2, 0]]), "EPERM");
    });
    const before = state();
    const r = await asNobody(() => run("chmod 600 /host/a.txt"));
    expect(r).toMatchObject({ status: 1, err: "chmod: changing permissions of '/host/a.txt': Operation not permitted\n" });
    expect(state()).toEqual(before);
  });
});

describe("the host side's hostfs_set_attr", () => {
  it("is confined as every hostfs call: '..' is EACCES, a symlinked directory on the way ELOOP, and a final symlink is not followed", () => {
    const mod = { memory: new ModuleMemory("hostfs", new WebAssembly.Memory({ initial: 1 })) } as unknown as Module;
    const sbs = new Idr<SuperBlock>();
    const sb = { type: { owner: mod } } as unknown as SuperBlock;
    const handle = sbs.handle(sb);
    const user = new HostfsUser(sbs);
    user.setRoot(sb, share);
    const { hostfs_set_attr } = user.symbols(mod);
    const ATTR = 1024;
    const setAttrAt = (rel: string, attr: Iattr): number => {
      const path = new TextEncoder().encode(rel);
      mod.memory.bytes(16, path.length).set(path);
      mod.memory.bytes(ATTR, IATTR_LAYOUT.size).set(iattrBytes(attr));
      return hostfs_set_attr(handle, 16, path.length, ATTR);
    };
    const secret = lstatSync(join(top, "secret"), { bigint: true });
    expect(setAttrAt("sub/../../secret", { mode: 0o600 })).toBe(neg("EACCES"));
    expect(setAttrAt("up/secret", { size: 0 })).toBe(neg("ELOOP"));
    expect(setAttrAt("abs", { mode: 0o600 })).toBe(neg("EOPNOTSUPP"));
    expect(setAttrAt("abs", { atime: { sec: 1_100_000_000, nsec: 999_999_999 }, mtime: { sec: 1_100_000_000, nsec: 1_000 } })).toBe(0);
    expect(hostTimesUs(join(share, "abs"))).toEqual([1_100_000_000_999_999n, 1_100_000_000_000_001n]);
    expect(lstatSync(join(top, "secret"), { bigint: true })).toEqual(secret);
    expect(setAttrAt("nope", { mode: 0o600 })).toBe(neg("ENOENT"));
    expect(setAttrAt("a.txt", { mode: 0o604, size: 4 })).toBe(0);
    expect(lstatSync(join(share, "a.txt"))).toMatchObject({ mode: 0o100604, size: 4 });
  });
});
