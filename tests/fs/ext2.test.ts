// ext2 on images made by mke2fs -d from a tree on the host: every name, size and byte compared, then
// written through the kernel and checked by e2fsck -fn and debugfs afterwards.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { O_APPEND, O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { S_ISDIR, S_ISLNK, S_ISREG } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliRunner, dmesg, expectErrno, scratchDir, type CliResult } from "../helpers.js";
import { names, neg, statfs, sys, text, userBuffer, userString, writeFile } from "../vfs_helpers.js";
import { expectExtentReads } from "./extent_reads.js";
import {
  debugfs, debugfsCat, fsck, HAVE_E2FSPROGS, makeTree, mkfs, okRunner, shareDir, SLOW_TARGET, SPARSE_AT, SPARSE_SIZE, pseudoRandom,
} from "./ext2_images.js";

/** bytes copied into the task's memory, for raw write(2) calls. */
function userBytes(libc: Libc, data: Uint8Array): number {
  const ptr = userBuffer(libc, data.length);
  libc.task.mm.bytes(ptr, data.length).set(data);
  return ptr;
}

const scratch = scratchDir("ext2");
afterAll(() => scratch.cleanup());
const tree = join(scratch.dir, "tree");
const golden = join(scratch.dir, "golden.img");

beforeAll(() => {
  if (!HAVE_E2FSPROGS) return;
  makeTree(tree);
  mkfs(golden, 16 * 1024, tree);
});

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let ok: (line: string) => Promise<string>;
let libc: Libc;
beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  ok = okRunner(run);
  libc = k.spawn("test");
  if (HAVE_E2FSPROGS) await shareDir(k, run, scratch.dir);
});

/** Every entry under a host directory and the kernel's, compared by name, type, size and content. */
function compareTrees(host: string, kernel: string): number {
  let compared = 0;
  const hostNames = [...readdirSync(host), ...(kernel === "/mnt/e" ? ["lost+found"] : [])].sort();
  const kernelNames = libc.readdir(kernel).map((e) => e.name).filter((n) => n !== "." && n !== "..").sort();
  expect(kernelNames, kernel).toEqual(hostNames);
  for (const name of hostNames) {
    const kp = `${kernel}/${name}`;
    if (name === "lost+found") {
      expect(libc.readdir(kp).map((e) => e.name).sort()).toEqual([".", ".."]);
      continue;
    }
    const h = lstatSync(join(host, name));
    const st = libc.lstat(kp);
    compared++;
    if (h.isSymbolicLink()) {
      expect(S_ISLNK(st.mode), kp).toBe(true);
      expect(libc.readlink(kp)).toBe(readlinkSync(join(host, name)));
    } else if (h.isDirectory()) {
      expect(S_ISDIR(st.mode), kp).toBe(true);
      compared += compareTrees(join(host, name), kp);
    } else {
      expect(S_ISREG(st.mode), kp).toBe(true);
      expect(st.size, kp).toBe(h.size);
      if (name !== "sparse") expect(Buffer.from(libc.readFile(kp)).equals(readFileSync(join(host, name))), kp).toBe(true);
    }
  }
  return compared;
}

describe.skipIf(!HAVE_E2FSPROGS)("ext2 (needs e2fsprogs: mke2fs, e2fsck, debugfs)", () => {
  it("reads an image mke2fs -d made: every name, type, size and byte of the tree", async () => {
    await ok("mount -t ext2 -o loop,ro /h/golden.img /mnt/e");
    expect(compareTrees(tree, "/mnt/e")).toBeGreaterThan(300 + 20 + 8);
    expect(libc.readlink("/mnt/e/slow")).toBe(SLOW_TARGET);
    const fd = libc.open("/mnt/e/sparse", O_RDONLY);
    for (const at of SPARSE_AT) expect(Buffer.from(libc.pread(fd, 3000, at)).equals(pseudoRandom(3000, at + 7)), `sparse at ${at}`).toBe(true);
    expect([...libc.pread(fd, 16, 1024 * 1024)]).toEqual(new Array(16).fill(0));
    libc.close(fd);
    const st = libc.stat("/mnt/e/sparse");
    expect(st.size).toBe(SPARSE_SIZE);
    expect(st.blocks).toBeLessThan(64);
    expect(dmesg(k).join("\n")).not.toContain("EXT2-fs (loop0): error");
  });
});

describe.skipIf(!HAVE_E2FSPROGS)("ext2 on the IDE disk (needs e2fsprogs)", () => {
  it("reads the same image as the emulated IDE disk's /dev/hda, and writes to it land in the image file", async () => {
    const path = join(scratch.dir, "ide.img");
    copyFileSync(golden, path);
    await ok(`hw attach ide0 file=${path}`);
    await ok("modprobe ide_disk");
    await ok("mount -t ext2 /dev/hda /mnt/e");
    expect(compareTrees(tree, "/mnt/e")).toBeGreaterThan(300 + 20 + 8);
    writeFile(libc, "/mnt/e/via-ide", "written through the IDE disk\n");
    await ok("umount /mnt/e");
    expect(fsck(path).status).toBe(0);
    expect(debugfsCat(path, "/via-ide").toString()).toBe("written through the IDE disk\n");
  });
});

describe.skipIf(!HAVE_E2FSPROGS)("ext2 writes, checked by e2fsck -fn and debugfs (needs e2fsprogs)", () => {
  const image = (name: string) => join(scratch.dir, name);
  const bytes = (s: string) => Buffer.from(s);

  it("creates, appends, truncates, writes sparsely, makes and removes directories, renames and links; e2fsck finds it clean", async () => {
    copyFileSync(golden, image("rw.img"));
    await ok("mount -t ext2 -o loop /h/rw.img /mnt/e");
    writeFile(libc, "/mnt/e/new.txt", "first line\n");
    const fd = libc.open("/mnt/e/new.txt", O_WRONLY | O_APPEND);
    libc.write(fd, "appended\n");
    libc.close(fd);
    writeFile(libc, "/mnt/e/big.bin", pseudoRandom(300 * 1024, 9));
    libc.truncate("/mnt/e/big.bin", 100 * 1024 + 17);
    libc.truncate("/mnt/e/one_mib.bin", 5000);
    const sp = libc.open("/mnt/e/holes", O_WRONLY | O_CREAT, 0o600);
    libc.pwrite(sp, "at 20 MiB", 20 * 1024 * 1024);
    libc.pwrite(sp, "at 70 MiB", 70 * 1024 * 1024);
    libc.close(sp);
    libc.mkdir("/mnt/e/d1");
    libc.mkdir("/mnt/e/d1/d2");
    writeFile(libc, "/mnt/e/d1/d2/inner", "inner\n");
    libc.mkdir("/mnt/e/gone");
    libc.rmdir("/mnt/e/gone");
    libc.unlink("/mnt/e/empty");
    libc.rename("/mnt/e/new.txt", "/mnt/e/renamed.txt");
    libc.rename("/mnt/e/d1/d2", "/mnt/e/many/d2");
    writeFile(libc, "/mnt/e/victim", "to be replaced\n");
    libc.rename("/mnt/e/renamed.txt", "/mnt/e/victim");
    for (let i = 0; i < 100; i++) libc.unlink(`/mnt/e/many/entry-${String(i * 3).padStart(3, "0")}`);
    libc.symlink("victim", "/mnt/e/fast2");
    libc.symlink("x".repeat(200), "/mnt/e/slow2");
    libc.chmod("/mnt/e/victim", 0o600);
    await ok("umount /mnt/e");

    const check = fsck(image("rw.img"));
    expect(check.out).not.toMatch(/Fix\?/);
    expect(check.status).toBe(0);
    const cat = (p: string) => debugfsCat(image("rw.img"), p);
    expect(cat("/victim")).toEqual(bytes("first line\nappended\n"));
    expect(cat("/big.bin")).toEqual(Buffer.from(pseudoRandom(300 * 1024, 9).subarray(0, 100 * 1024 + 17)));
    expect(cat("/one_mib.bin")).toEqual(Buffer.from(pseudoRandom(1024 * 1024).subarray(0, 5000)));
    const holes = cat("/holes");
    expect(holes.length).toBe(70 * 1024 * 1024 + 9);
    expect(holes.subarray(20 * 1024 * 1024, 20 * 1024 * 1024 + 9).toString()).toBe("at 20 MiB");
    expect(holes.subarray(70 * 1024 * 1024).toString()).toBe("at 70 MiB");
    expect(holes.subarray(0, 20 * 1024 * 1024).every((b) => b === 0)).toBe(true);
    expect(cat("/many/d2/inner")).toEqual(bytes("inner\n"));
    expect(debugfs(image("rw.img"), "stat /victim")).toMatch(/Mode:\s+0600/);
    expect(debugfs(image("rw.img"), "stat /slow2")).toMatch(/Fast link dest|Type: symlink/);
    expect(debugfs(image("rw.img"), "ls /")).not.toMatch(/\bempty\b|\bgone\b|new\.txt|renamed\.txt/);
  });

  it("reads files whose blocks interleave, extent by extent, at any offset; a bad user buffer is EFAULT", async () => {
    copyFileSync(golden, image("extents.img"));
    await ok("mount -t ext2 -o loop /h/extents.img /mnt/e");
    expectExtentReads(libc, "/mnt/e");
    await ok("umount /mnt/e");
  });

  it("fills the disk until ENOSPC, keeps what was written, and frees it all again", async () => {
    mkfs(image("small.img"), 2048);
    await ok("mount -t ext2 -o loop /h/small.img /mnt/e");
    const fd = libc.open("/mnt/e/fill", O_WRONLY | O_CREAT, 0o644);
    const chunk = pseudoRandom(64 * 1024, 3);
    let written = 0;
    let n: number;
    while ((n = sys(libc, "write", fd, userBytes(libc, chunk), chunk.length)) > 0) written += n;
    expect(n).toBe(neg("ENOSPC"));
    libc.close(fd);
    expect(libc.stat("/mnt/e/fill").size).toBe(written);
    expect(written).toBeGreaterThan(1500 * 1024);
    expectErrno(() => writeFile(libc, "/mnt/e/more", "x"), "ENOSPC");
    await ok("umount /mnt/e");
    expect(fsck(image("small.img")).status).toBe(0);
    const back = debugfsCat(image("small.img"), "/fill");
    expect(back.length).toBe(written);
    for (let at = 0; at < written; at += chunk.length) expect(back.subarray(at, at + chunk.length).equals(Buffer.from(chunk).subarray(0, Math.min(chunk.length, written - at)))).toBe(true);

    await ok("mount -t ext2 -o loop /h/small.img /mnt/e");
    libc.unlink("/mnt/e/more");
    libc.unlink("/mnt/e/fill");
    await ok("umount /mnt/e");
    expect(fsck(image("small.img")).status).toBe(0);
  });

  it("reads dir_index directories (e2fsck -D) as linear ones, and writes them back unindexed", async () => {
    copyFileSync(golden, image("htree.img"));
    spawnSync("e2fsck", ["-fyD", image("htree.img")]);
    expect(debugfs(image("htree.img"), "stat /many")).toMatch(/Flags: 0x1000/);
    await ok("mount -t ext2 -o loop /h/htree.img /mnt/e");
    expect(names(libc, "/mnt/e/many").sort()).toEqual(readdirSync(join(tree, "many")).sort());
    expect(text(libc.readFile("/mnt/e/many/entry-299"))).toBe("entry 299\n");
    writeFile(libc, "/mnt/e/many/added", "added\n");
    await ok("umount /mnt/e");
    expect(fsck(image("htree.img")).status).toBe(0);
    expect(debugfsCat(image("htree.img"), "/many/added")).toEqual(bytes("added\n"));
  });
});

/** The file's bytes, to show an image was not written. */
const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe.skipIf(!HAVE_E2FSPROGS)("ext2 on damaged images (needs e2fsprogs)", () => {
  const image = (name: string) => join(scratch.dir, name);

  /** A small image with a file and a directory, damaged by `damage` (given the image's bytes). */
  function damaged(name: string, damage: (img: Buffer) => void): string {
    const path = image(name);
    const src = join(scratch.dir, `${name}.tree`);
    mkdirSync(join(src, "d"), { recursive: true });
    writeFileSync(join(src, "f"), "a file\n".repeat(1000));
    writeFileSync(join(src, "ok"), "still fine\n");
    writeFileSync(join(src, "d", "inside"), "inside\n");
    mkfs(path, 2048, src);
    const img = readFileSync(path);
    damage(img);
    writeFileSync(path, img);
    return path;
  }

  /** The first block of a file or directory, as debugfs lists it. */
  const firstBlock = (path: string, file: string) => Number(debugfs(path, `blocks ${file}`).trim().split(/\s+/)[0]);

  const noOops = () => {
    expect(dmesg(k).join("\n")).not.toMatch(/Oops|BUG/);
    expect(k.read("/proc/modules")).toMatch(/^ext2 /m);
  };

  it("refuses a superblock without the ext2 magic, naming the device, and writes nothing", async () => {
    const path = damaged("nomagic.img", (img) => img.writeUInt16LE(0, 1024 + 56));
    const before = digest(path);
    const r = await run("mount -t ext2 -o loop /h/nomagic.img /mnt/e");
    expect(r.status).not.toBe(0);
    expect(r.err).toContain("wrong fs type, bad option, bad superblock on /dev/loop0");
    expect(dmesg(k)).toContain("EXT2-fs (loop0): error: can't find an ext2 filesystem on dev loop0.");
    expect(k.read("/proc/mounts")).not.toContain(" ext2 ");
    expect(digest(path)).toBe(before);
    noOops();
  });

  it("refuses an incompatible feature it does not know (extents), naming it", async () => {
    const path = damaged("extents.img", (img) => img.writeUInt32LE(img.readUInt32LE(1024 + 96) | 0x40, 1024 + 96));
    expect((await run("mount -t ext2 -o loop /h/extents.img /mnt/e")).status).not.toBe(0);
    expect(dmesg(k)).toContain("EXT2-fs (loop0): error: couldn't mount because of unsupported optional features (40)");
    noOops();
  });

  it("refuses group descriptors whose block bitmap lies outside the group", async () => {
    const path = damaged("gdt.img", (img) => img.writeUInt32LE(5000, 2048));
    const before = digest(path);
    expect((await run("mount -t ext2 -o loop,ro /h/gdt.img /mnt/e")).status).not.toBe(0);
    expect(dmesg(k)).toContain("EXT2-fs (loop0): error: ext2_check_descriptors: Block bitmap for group 0 not in group (block 5000)!");
    expect(dmesg(k)).toContain("EXT2-fs (loop0): group descriptors corrupted");
    expect(digest(path)).toBe(before);
    noOops();
  });

  it("gives EIO for a file whose block pointer lies past the end, naming inode and block; the rest reads", async () => {
    const path = damaged("pastend.img", () => undefined);
    execFileSync("debugfs", ["-w", "-R", "sif /f block[2] 99999", path], { stdio: "ignore" });
    const before = digest(path);
    await ok("mount -t ext2 -o loop,ro /h/pastend.img /mnt/e");
    expectErrno(() => libc.readFile("/mnt/e/f"), "EIO");
    const ino = libc.stat("/mnt/e/f").ino;
    expect(dmesg(k)).toContain(`EXT2-fs (loop0): error: ext2_get_branch: inode ${ino}: block 2 maps to 99999, outside the filesystem (2048 blocks)`);
    expect(text(libc.readFile("/mnt/e/ok"))).toBe("still fine\n");
    const fd = libc.open("/mnt/e/f", O_RDONLY);
    expect(text(libc.pread(fd, 7, 0))).toBe("a file\n");
    libc.close(fd);
    await ok("umount /mnt/e");
    expect(digest(path)).toBe(before);
    noOops();
  });

  it("gives EIO for a directory entry with a bad rec_len, as ext2_check_folio words it", async () => {
    const probe = damaged("reclen.img", () => undefined);
    const block = firstBlock(probe, "/d");
    const path = damaged("reclen.img", (img) => img.writeUInt16LE(0, block * 1024 + 4));
    const before = digest(path);
    await ok("mount -t ext2 -o loop,ro /h/reclen.img /mnt/e");
    const ino = libc.stat("/mnt/e/d").ino;
    expectErrno(() => libc.readdir("/mnt/e/d"), "EIO");
    expectErrno(() => libc.stat("/mnt/e/d/inside"), "EIO");
    expect(dmesg(k)).toContain(
      `EXT2-fs (loop0): error: ext2_check_folio: bad entry in directory #${ino}: : rec_len is smaller than minimal - offset=0, inode=${ino}, rec_len=0, name_len=1`,
    );
    expect(text(libc.readFile("/mnt/e/ok"))).toBe("still fine\n");
    await ok("umount /mnt/e");
    expect(digest(path)).toBe(before);
    noOops();
  });

  it("with errors=remount-ro, remounts read-only at the first error: ro in /proc/mounts, writes EROFS", async () => {
    const path = damaged("remount.img", () => undefined);
    execFileSync("debugfs", ["-w", "-R", "sif /f block[2] 99999", path], { stdio: "ignore" });
    await ok("mount -t ext2 -o loop,errors=remount-ro /h/remount.img /mnt/e");
    expect(k.read("/proc/mounts")).toContain("/dev/loop0 /mnt/e ext2 rw,relatime,errors=remount-ro 0 0\n");
    expectErrno(() => libc.readFile("/mnt/e/f"), "EIO");
    expect(dmesg(k)).toContain("EXT2-fs (loop0): error: remounting filesystem read-only");
    expect(k.read("/proc/mounts")).toContain("/dev/loop0 /mnt/e ext2 ro,relatime,errors=remount-ro 0 0\n");
    expectErrno(() => writeFile(libc, "/mnt/e/new", "x"), "EROFS");
    await ok("umount /mnt/e");
    // As Linux leaves it: marked with errors, and not clean, since the read-only umount writes no superblock.
    expect(debugfs(path, "stats")).toMatch(/Filesystem state:\s+not clean with errors/);
    noOops();
  });
});

describe.skipIf(!HAVE_E2FSPROGS)("ext2 mounts (needs e2fsprogs)", () => {
  it("counts data and indirect blocks in st_blocks, as i_blocks does, and e2fsck agrees", async () => {
    mkfs(join(scratch.dir, "blocks.img"), 2048);
    await ok("mount -t ext2 -o loop /h/blocks.img /mnt/e");
    writeFile(libc, "/mnt/e/f", "x");
    expect(libc.stat("/mnt/e/f").blocks).toBe(2);
    const fd = libc.open("/mnt/e/f", O_WRONLY);
    libc.pwrite(fd, "y", 12 * 1024);
    libc.close(fd);
    expect(libc.stat("/mnt/e/f")).toMatchObject({ size: 12 * 1024 + 1, blocks: 6 });
    libc.truncate("/mnt/e/f", 0);
    expect(libc.stat("/mnt/e/f").blocks).toBe(0);
    const again = libc.open("/mnt/e/f", O_WRONLY);
    libc.pwrite(again, "z", 300 * 1024);
    libc.close(again);
    // Block 300 is past the 268 that direct and single indirect blocks reach: data, double and single indirect.
    expect(libc.stat("/mnt/e/f").blocks).toBe(6);
    await ok("umount /mnt/e");
    expect(fsck(join(scratch.dir, "blocks.img")).status).toBe(0);
  });

  it("reports the superblock's figures and its UUID's fsid to statfs, as ext2_statfs counts them, and EFAULT for a bad buffer", async () => {
    await ok("mount -t ext2 -o loop,ro /h/golden.img /mnt/e");
    const stats = debugfs(golden, "stats");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(stats)![1]);
    const groups = Math.ceil((field("Block count") - field("First block")) / field("Blocks per group"));
    const withSuper = [...Array(groups).keys()].filter((g) => g <= 1 || [3, 5, 7].some((b) => b ** Math.round(Math.log(g) / Math.log(b)) === g)).length;
    const overhead = field("First block") + withSuper * (1 + Math.ceil((groups * 32) / 1024)) + groups * (2 + field("Inode blocks per group"));
    expect(statfs(libc, "/mnt/e/many")).toMatchObject({
      f_type: 0xef53, f_bsize: 1024, f_blocks: field("Block count") - overhead, f_bfree: field("Free blocks"),
      f_bavail: field("Free blocks") - field("Reserved block count"), f_files: field("Inode count"), f_ffree: field("Free inodes"),
      f_namelen: 255, f_frsize: 1024, f_flags: 0x1021,
    });
    // ext2_statfs's f_fsid: the UUID's two little-endian halves xored, its own rather than the device's.
    const uuid = Buffer.from(/^Filesystem UUID:\s+(\S+)/m.exec(stats)![1]!.replaceAll("-", ""), "hex");
    const fsid = uuid.readBigUInt64LE(0) ^ uuid.readBigUInt64LE(8);
    expect(statfs(libc, "/mnt/e/many")).toMatchObject({ f_fsid0: Number(BigInt.asIntN(32, fsid)), f_fsid1: Number(BigInt.asIntN(32, fsid >> 32n)) });
    const fd = libc.open("/mnt/e/many", O_RDONLY);
    for (const bad of [0, 0xfffff000]) {
      expect(sys(libc, "statfs", userString(libc, "/mnt/e/many"), bad)).toBe(neg("EFAULT"));
      expect(sys(libc, "fstatfs", fd, bad)).toBe(neg("EFAULT"));
    }
    libc.close(fd);
    expectErrno(() => writeFile(libc, "/mnt/e/x", "x"), "EROFS");
  });

  it("is loaded on demand by mount -t ext2, shows errors= in /proc/mounts, and refuses an unknown option", async () => {
    expect(k.read("/proc/modules")).not.toMatch(/^ext2 /m);
    await ok("mount -t ext2 -o loop /h/golden.img /mnt/e");
    expect(k.read("/proc/modules")).toMatch(/^ext2 \d+ 1 - Live/m);
    expect(k.read("/proc/mounts")).toContain("/dev/loop0 /mnt/e ext2 rw,relatime,errors=continue 0 0\n");
    expect(dmesg(k).join("\n")).not.toContain("EXT2-fs (loop0): warning");
    expect((await run("rmmod ext2")).err).toBe("rmmod: ERROR: Module ext2 is in use\n");
    await ok("umount /mnt/e");
    expect(fsck(golden).status).toBe(0);
    const r = await run("mount -t ext2 -o loop,bogus /h/golden.img /mnt/e");
    expect(r.status).not.toBe(0);
    expect(dmesg(k)).toContain('EXT2-fs (loop0): error: unrecognized mount option "bogus" or missing value');
    await ok("mount -t ext2 -o loop,ro,errors=panic /h/golden.img /mnt/e");
    expect(k.read("/proc/mounts")).toMatch(/ ext2 ro,relatime,errors=panic 0 0\n/);
  });
});
