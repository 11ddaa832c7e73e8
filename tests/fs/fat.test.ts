// fat, vfat and msdos on images made by mkfs.fat and mtools: read back name for name and byte for byte,
// written through the kernel and checked by fsck.fat and mtools, stacked and demand-loaded as in Linux.

import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { O_APPEND, O_CREAT, O_RDWR, O_WRONLY } from "../../abi/fcntl.js";
import { S_ISDIR } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { STATFS_LAYOUT } from "../../abi/stat.js";
import { cliRunner, dmesg, expectErrno, scratchDir, type CliResult } from "../helpers.js";
import { neg, sys, userBuffer, userString } from "../vfs_helpers.js";
import { fsck, haveFatTools, hostTree, makeImage, makeTree, mdirNames, mtype, pattern, type HostTree } from "./fat_images.js";

const NEEDS = "(needs mkfs.fat, fsck.fat and mtools: skipped, they are not installed)";
const scratch = scratchDir("fat");
afterAll(() => scratch.cleanup());

const treeDir = join(scratch.dir, "tree");
let source: HostTree;
/** A pristine image of the tree per FAT width, copied for each test that changes one. */
const pristine = new Map<number, string>();
beforeAll(() => {
  if (!haveFatTools) return;
  makeTree(treeDir);
  source = hostTree(treeDir);
  for (const [bits, kib, extra] of [[12, 4000, []], [16, 8192, ["-s", "1"]], [32, 40960, ["-s", "1"]]] as const) {
    const img = join(scratch.dir, `pristine${bits}.img`);
    makeImage(img, bits, kib, treeDir, extra);
    pristine.set(bits, img);
  }
}, 120_000);

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let libc: Libc;
let imgDir: string;
beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  libc = k.spawn("t");
  imgDir = join(scratch.dir, Math.random().toString(36).slice(2));
  await ok(`mkdir -p ${imgDir}`).catch(() => undefined);
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

/** A copy of a pristine image (or an empty one) in its own host directory, mounted at /host. */
async function hostImage(bits: 12 | 16 | 32, name = "img"): Promise<string> {
  const { mkdirSync } = await import("node:fs");
  mkdirSync(imgDir, { recursive: true });
  const img = join(imgDir, name);
  copyFileSync(pristine.get(bits)!, img);
  if (!(await run("cat /proc/mounts")).out.includes(" /host ")) {
    await ok("mkdir /host");
    await ok(`mount -t hostfs none /host -o ${imgDir}`);
  }
  return img;
}

/** Mount /host/NAME on /mnt as `type` through a loop device; the mount's warnings, if any, are returned. */
async function mountImage(type: string, options = "", name = "img"): Promise<void> {
  await run("mkdir /mnt");
  await ok(`mount -t ${type} -o loop${options ? `,${options}` : ""} /host/${name} /mnt`);
}

/** Everything under a kernel directory, as hostTree() lists a host one. */
function kernelTree(dir: string, prefix = ""): HostTree {
  const out: HostTree = new Map();
  for (const e of libc.readdir(dir)) {
    if (e.name === "." || e.name === "..") continue;
    const path = `${dir}/${e.name}`;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (S_ISDIR(libc.lstat(path).mode)) {
      out.set(rel, null);
      for (const [key, v] of kernelTree(path, rel)) out.set(key, v);
    } else out.set(rel, libc.readFile(path));
  }
  return out;
}

/** statfs(2) of a path, its fields by name. */
function statfs(path: string): Record<string, number> {
  const buf = userBuffer(libc, STATFS_LAYOUT.size);
  expect(sys(libc, "statfs", userString(libc, path), buf)).toBe(0);
  const view = new DataView(libc.task.mm.bytes(buf, STATFS_LAYOUT.size).slice().buffer);
  return Object.fromEntries(STATFS_LAYOUT.fields.map((f) => [f.name, f.size === 8 ? Number(view.getBigInt64(f.offset, true)) : view.getInt32(f.offset, true)]));
}

/** fsck.fat's "N files, USED/TOTAL clusters". */
function fsckClusters(img: string): { used: number; total: number } {
  const m = /(\d+)\/(\d+) clusters/.exec(fsck(img).out)!;
  return { used: Number(m[1]), total: Number(m[2]) };
}

function expectSameTree(got: HostTree, want: HostTree): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [path, bytes] of want) {
    if (bytes === null) expect(got.get(path), path).toBeNull();
    else expect(Buffer.from(got.get(path)!).equals(Buffer.from(bytes)), `${path}: ${got.get(path)?.length} bytes, want ${bytes.length}`).toBe(true);
  }
}

describe.skipIf(!haveFatTools)(`vfat reads images made by mkfs.fat and mcopy -s${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  for (const bits of [12, 16, 32] as const) {
    it(`FAT${bits}: every name, size and byte of the tree, through a loop device`, async () => {
      await hostImage(bits);
      await mountImage("vfat", "ro");
      expectSameTree(kernelTree("/mnt"), source);
      expect(libc.stat("/mnt/big.bin").size).toBe(1 << 20);
      expect(libc.stat("/mnt/empty").size).toBe(0);
      await ok("umount /mnt");
    }, 60_000);
  }

  it("shows a lowercase 8.3 name mtools stored with the NT case bits as lowercase, and finds it by its short name too", async () => {
    const img = await hostImage(16);
    expect(mdirNames(img, "")).toContain("big.bin");
    await mountImage("vfat", "ro");
    const names = libc.readdir("/mnt").map((e) => e.name);
    expect(names).toContain("big.bin");
    expect(names).toContain("README.TXT");
    expect(names).not.toContain("BIG.BIN");
    expect(libc.stat("/mnt/A fairly long file name with spaces.text").size).toBe(5);
    expect(libc.stat("/mnt/AFAIRL~1.TEX").ino).toBe(libc.stat("/mnt/A fairly long file name with spaces.text").ino);
  });

  it("reads the same disk image through the IDE disk", async () => {
    const img = await hostImage(16);
    await ok(`hw attach ide0 file=${img}`);
    await ok("modprobe ide_disk");
    await run("mkdir /mnt");
    await ok("mount -t vfat -o ro /dev/hda /mnt");
    expect(libc.readFile("/mnt/deep/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/level13/level14/level15/level16/level17/level18/level19/level20/bottom.txt")).toEqual(new TextEncoder().encode("twenty levels down\n"));
    expect(Buffer.from(libc.readFile("/mnt/big.bin")).equals(Buffer.from(pattern(1 << 20, 1)))).toBe(true);
    await ok("umount /mnt");
  }, 60_000);
});

describe.skipIf(!haveFatTools)(`fat under vfat and msdos${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  it("mount -t vfat loads fat then vfat through modules.dep; lsmod shows fat used by both; rmmod fat is refused", async () => {
    await hostImage(16);
    await hostImage(16, "img2");
    await mountImage("vfat", "ro");
    await ok("mkdir /m2");
    await ok("mount -t msdos -o loop,ro /host/img2 /m2");
    expect(await ok("lsmod")).toMatch(/^fat\s+\d+\s+2 (vfat,msdos|msdos,vfat)$/m);
    expect(await run("rmmod fat")).toMatchObject({ status: 1, err: expect.stringMatching(/^rmmod: ERROR: Module fat is in use by: (vfat msdos|msdos vfat)\n$/) });
    await ok("umount /m2");
    await ok("rmmod msdos");
    await ok("umount /mnt");
    await ok("modprobe -r vfat");
    expect(await ok("lsmod")).not.toMatch(/^(fat|vfat) /m);
  });

  it("msdos shows 8.3 names in lowercase, long names by their short names", async () => {
    await hostImage(16);
    await mountImage("msdos", "ro");
    const names = libc.readdir("/mnt").map((e) => e.name).sort();
    expect(names).toContain("big.bin");
    expect(names).toContain("readme.txt");
    expect(names).toContain("afairl~1.tex");
    expect(libc.readFile("/mnt/README.TXT")).toEqual(new TextEncoder().encode("upper case 8.3\n"));
    expectErrno(() => libc.stat("/mnt/a*b"), "EINVAL");
  });

  it("shows its options in /proc/mounts as fat_show_options orders them, and gives files the mount's owner and masks", async () => {
    await hostImage(16);
    await mountImage("vfat", "ro,uid=1000,gid=100,fmask=0133,dmask=0022,shortname=winnt,codepage=437,iocharset=utf8");
    expect(k.read("/proc/mounts")).toContain(
      "/dev/loop0 /mnt vfat ro,relatime,uid=1000,gid=100,fmask=0133,dmask=0022,codepage=437,iocharset=utf8,shortname=winnt,errors=remount-ro 0 0\n",
    );
    const f = libc.stat("/mnt/big.bin");
    expect([f.uid, f.gid, f.mode & 0o7777]).toEqual([1000, 100, 0o644]);
    expect(libc.stat("/mnt/many").mode & 0o7777).toBe(0o755);
  });

  it("statfs: MSDOS_SUPER_MAGIC, clusters as blocks, the free ones as fsck.fat counts them, the mount's flags", async () => {
    for (const bits of [12, 32] as const) {
      const img = await hostImage(bits, `img${bits}`);
      const { used, total } = fsckClusters(img);
      await run("mkdir /mnt");
      await ok(`mount -t vfat -o loop,ro /host/img${bits} /mnt`);
      const st = statfs("/mnt/many");
      expect(st.f_type).toBe(0x4d44);
      expect([st.f_blocks, st.f_bfree, st.f_bavail]).toEqual([total, total - used, total - used]);
      expect(st.f_bsize).toBe(st.f_frsize);
      expect([st.f_namelen, st.f_flags]).toEqual([1530, 0x1021]);
      await ok("umount /mnt");
    }
    expect(sys(libc, "statfs", userString(libc, "/proc"), userBuffer(libc, STATFS_LAYOUT.size))).toBe(neg("ENOSYS"));
  });

  it("refuses an unknown option, a bad value and a code page it does not have, naming them", async () => {
    await hostImage(16);
    await run("mkdir /mnt");
    for (const [opt, line] of [
      ["nosuchopt", "vfat: Unknown parameter 'nosuchopt'"],
      ["uid=abc", "vfat: Bad value for 'uid'"],
      ["codepage=850", "FAT-fs (loop0): codepage cp850 not found"],
    ] as const) {
      expect((await run(`mount -t vfat -o loop,ro,${opt} /host/img /mnt`)).status, opt).not.toBe(0);
      expect(dmesg(k).join("\n")).toContain(line);
    }
    expect(k.read("/proc/mounts")).not.toContain(" /mnt ");
  });
});
