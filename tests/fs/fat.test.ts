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
import { neg, statfs, sys, userBuffer, userString } from "../vfs_helpers.js";
import { expectExtentReads } from "./extent_reads.js";
import { fsck, haveFatTools, hostTree, layout, makeImage, makeTree, mcopyOut, mdirNames, mdirShortNames, mtype, pattern, rootEntry, type HostTree } from "./fat_images.js";

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

describe.skipIf(!haveFatTools)(`vfat writes through the IDE disk${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  it("creates, appends, makes a directory and unlinks on /dev/hda; after umount fsck.fat passes and mtools reads it back", async () => {
    const img = await hostImage(16);
    expect(mdirNames(img, "")).toContain("A fairly long file name with spaces.text");
    await ok(`hw attach ide0 file=${img}`);
    await ok("modprobe ide_disk");
    await run("mkdir /mnt");
    await ok("mount -t vfat /dev/hda /mnt");
    const data = pattern(300_000, 17);
    put("/mnt/written through the IDE disk.bin", data);
    const fd = libc.open("/mnt/README.TXT", O_WRONLY | O_APPEND);
    libc.write(fd, "appended over IDE\n");
    libc.close(fd);
    libc.mkdir("/mnt/ide dir");
    put("/mnt/ide dir/inside.txt", "inside\n");
    libc.unlink("/mnt/A fairly long file name with spaces.text");
    await ok("umount /mnt");
    const check = fsck(img);
    expect(check.status, check.out).toBe(0);
    expect(check.out).not.toMatch(/Dirty|differ|lost|Free cluster summary wrong/);
    expect(Buffer.from(mtype(img, "written through the IDE disk.bin")).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(mtype(img, "README.TXT")).toString()).toBe("upper case 8.3\nappended over IDE\n");
    expect(Buffer.from(mtype(img, "ide dir/inside.txt")).toString()).toBe("inside\n");
    expect(mdirNames(img, "")).not.toContain("A fairly long file name with spaces.text");
    expect(mdirNames(img, "")).toContain("ide dir");
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
      const st = statfs(libc, "/mnt/many");
      expect(st.f_type).toBe(0x4d44);
      expect([st.f_blocks, st.f_bfree, st.f_bavail]).toEqual([total, total - used, total - used]);
      expect(st.f_bsize).toBe(st.f_frsize);
      expect([st.f_namelen, st.f_flags]).toEqual([1530, 0x1021]);
      await ok("umount /mnt");
    }
    expect(sys(libc, "statfs", userString(libc, "/host"), userBuffer(libc, STATFS_LAYOUT.size))).toBe(neg("ENOSYS"));
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

/** Write `bytes` to a new (or truncated) file through the kernel. */
function put(path: string, bytes: Uint8Array | string, flags = O_WRONLY | O_CREAT | 512): void {
  const fd = libc.open(path, flags, 0o644);
  try {
    libc.write(fd, bytes);
  } finally {
    libc.close(fd);
  }
}

/** The image's whole tree as mtools copies it out (mcopy -s), for comparing with what the kernel wrote. */
function mtoolsTree(img: string): HostTree {
  const out = join(imgDir, `out-${Math.random().toString(36).slice(2)}`);
  mcopyOut(img, out);
  return hostTree(out);
}

describe.skipIf(!haveFatTools)(`vfat writes what fsck.fat passes and mtools reads back${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  for (const bits of [12, 16, 32] as const) {
    it(`FAT${bits}: create, append, truncate, mkdir, rmdir, unlink, rename in and across directories and over a file`, async () => {
      const img = await hostImage(bits);
      await mountImage("vfat");
      const want = new Map(source);
      const enc = (t: string) => new TextEncoder().encode(t);
      const write = (path: string, bytes: Uint8Array) => {
        put(`/mnt/${path}`, bytes);
        want.set(path, bytes);
      };
      write("a new file with a long name.bin", pattern(10_000, 3));
      write("ÄÖÜ – écrit par le noyau.txt", enc("non-ASCII long name\n"));
      const fd = libc.open("/mnt/README.TXT", O_WRONLY | O_APPEND);
      libc.write(fd, "appended\n");
      libc.close(fd);
      want.set("README.TXT", enc("upper case 8.3\nappended\n"));
      libc.truncate("/mnt/big.bin", 300_001);
      want.set("big.bin", want.get("big.bin")!.slice(0, 300_001));
      libc.truncate("/mnt/empty", 5000);
      want.set("empty", new Uint8Array(5000));
      const rw = libc.open("/mnt/a new file with a long name.bin", O_RDWR);
      libc.pwrite(rw, "hole", 20_000);
      libc.close(rw);
      want.set("a new file with a long name.bin", new Uint8Array([...pattern(10_000, 3), ...new Uint8Array(10_000), ...enc("hole")]));
      libc.mkdir("/mnt/newdir");
      libc.mkdir("/mnt/newdir/Sub Dir");
      want.set("newdir", null).set("newdir/Sub Dir", null);
      write("newdir/Sub Dir/inside.txt", enc("inside\n"));
      libc.mkdir("/mnt/gone");
      libc.rmdir("/mnt/gone");
      libc.unlink("/mnt/café.txt");
      want.delete("café.txt");
      for (let i = 0; i < 100; i++) {
        const name = `many/entry number ${String(i).padStart(3, "0")}.dat`;
        libc.unlink(`/mnt/${name}`);
        want.delete(name);
      }
      libc.rename("/mnt/many/entry number 100.dat", "/mnt/many/renamed in place.dat");
      want.set("many/renamed in place.dat", want.get("many/entry number 100.dat")!).delete("many/entry number 100.dat");
      libc.rename("/mnt/many/entry number 101.dat", "/mnt/newdir/moved across.dat");
      want.set("newdir/moved across.dat", want.get("many/entry number 101.dat")!).delete("many/entry number 101.dat");
      libc.rename("/mnt/many/entry number 102.dat", "/mnt/many/entry number 103.dat");
      want.set("many/entry number 103.dat", want.get("many/entry number 102.dat")!).delete("many/entry number 102.dat");
      libc.rename("/mnt/deep/level1", "/mnt/newdir/level1");
      for (const [path, v] of [...want]) {
        if (!path.startsWith("deep/level1")) continue;
        want.delete(path);
        want.set(path.replace(/^deep\//, "newdir/"), v);
      }
      expect(libc.readdir("/mnt/newdir/level1").find((e) => e.name === "..")!.ino).toBe(libc.stat("/mnt/newdir").ino);
      for (let i = 0; i < 150; i++) write(`newdir/file ${i} with a name long enough for two slots.txt`, enc(`file ${i}\n`));
      expectSameTree(kernelTree("/mnt"), want);
      await ok("umount /mnt");
      expect(fsck(img)).toMatchObject({ status: 0 });
      expect(fsck(img).out).not.toMatch(/Dirty|differ|lost|Free cluster summary wrong/);
      expectSameTree(mtoolsTree(img), want);
      expect(Buffer.from(mtype(img, "newdir/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11/level12/level13/level14/level15/level16/level17/level18/level19/level20/bottom.txt")).toString()).toBe("twenty levels down\n");
      expect(mdirNames(img, "newdir")).toContain("newdir/Sub Dir");
    }, 120_000);
  }

  it("fills the volume: the write that does not fit is short, the next ENOSPC; fsck.fat passes and mtype reads what was written", async () => {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(imgDir, { recursive: true });
    const img = join(imgDir, "small");
    makeImage(img, 12, 1024);
    await ok("mkdir /host");
    await ok(`mount -t hostfs none /host -o ${imgDir}`);
    await mountImage("vfat", "", "small");
    const st = statfs(libc, "/mnt");
    const free = st.f_bfree! * st.f_bsize!;
    const data = pattern(free + 4096, 9);
    const fd = libc.open("/mnt/fill.bin", O_WRONLY | O_CREAT, 0o644);
    let written = 0;
    for (let n = 1; n > 0 && written < data.length; written += n) {
      n = sys(libc, "write", fd, userBytes(data.subarray(written, written + 65536)), Math.min(65536, data.length - written));
      if (n < 0) {
        expect(n).toBe(neg("ENOSPC"));
        break;
      }
    }
    libc.close(fd);
    expect(written).toBe(free);
    expect(statfs(libc, "/mnt").f_bfree).toBe(0);
    expectErrno(() => put("/mnt/one more.txt", "x"), "ENOSPC");
    await ok("umount /mnt");
    expect(fsck(img).status).toBe(0);
    expect(Buffer.from(mtype(img, "fill.bin")).equals(Buffer.from(data.subarray(0, free)))).toBe(true);
  }, 60_000);

  it("reads files whose clusters interleave, extent by extent, at any offset; a bad user buffer is EFAULT", async () => {
    await hostImage(16);
    await mountImage("vfat");
    expectExtentReads(libc, "/mnt");
    await ok("umount /mnt");
  });

  it("gives colliding long names ~1 to ~9, then hashed tails (vfat_create_shortname); fsck.fat and mtools accept them", async () => {
    const img = await hostImage(16);
    await mountImage("vfat");
    libc.mkdir("/mnt/collide");
    const names = Array.from({ length: 30 }, (_, i) => `A long colliding name number ${i}.txt`);
    for (const name of names) put(`/mnt/collide/${name}`, name);
    await ok("umount /mnt");
    const check = fsck(img);
    expect(check.status, check.out).toBe(0);
    const short = mdirShortNames(img, "collide");
    expect([...short.keys()].sort()).toEqual([...names].sort());
    expect(names.slice(0, 9).map((n) => short.get(n))).toEqual(names.slice(0, 9).map((_, i) => `ALONGC~${i + 1}.TXT`));
    for (const n of names.slice(9)) expect(short.get(n)).toMatch(/^AL[0-9A-F]{4}~[1-8]\.TXT$/);
    expect(new Set(short.values()).size).toBe(names.length);
    for (const n of [names[0]!, names[12]!, names[29]!]) expect(Buffer.from(mtype(img, `collide/${n}`)).toString()).toBe(n);
  }, 60_000);

  it("fsync puts a file's data, its entry and the FAT on the device while it stays mounted", async () => {
    const img = await hostImage(16);
    await mountImage("vfat");
    const fd = libc.open("/mnt/synced file.bin", O_WRONLY | O_CREAT, 0o644);
    libc.write(fd, pattern(5000, 11));
    expect(() => mtype(img, "synced file.bin")).toThrow(/not found/);
    libc.fsync(fd);
    libc.close(fd);
    expect(Buffer.from(mtype(img, "synced file.bin")).equals(Buffer.from(pattern(5000, 11)))).toBe(true);
    await ok("umount /mnt");
  });

  it("msdos writes 8.3 names: a long name is cut to 8.3, a character msdos refuses is EINVAL", async () => {
    const img = await hostImage(16);
    await mountImage("msdos");
    put("/mnt/LongFileName.text", "cut\n");
    expect(libc.readdir("/mnt").map((e) => e.name)).toContain("longfile.tex");
    expectErrno(() => put("/mnt/a+b.txt", "x"), "EINVAL");
    await ok("umount /mnt");
    expect(fsck(img).status).toBe(0);
    expect(Buffer.from(mtype(img, "LONGFILE.TEX")).toString()).toBe("cut\n");
  });
});

/** Bytes put in the test task's memory for a raw system call. */
function userBytes(bytes: Uint8Array): number {
  const ptr = userBuffer(libc, Math.max(bytes.length, 1));
  libc.task.mm.bytes(ptr, bytes.length).set(bytes);
  return ptr;
}

describe.skipIf(!haveFatTools)(`corrupted images are refused or give EIO, naming the problem, and are never written${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  /** A FAT16 copy of the tree with `edit` applied to its bytes; the bytes as edited. */
  async function corrupt(edit: (img: Uint8Array, view: DataView) => void): Promise<{ img: string; bytes: Uint8Array }> {
    const img = await hostImage(16);
    const bytes = new Uint8Array(readFileSync(img));
    edit(bytes, new DataView(bytes.buffer));
    writeFileSync(img, bytes);
    return { img, bytes };
  }

  const unchanged = (img: string, bytes: Uint8Array) => expect(Buffer.from(readFileSync(img)).equals(Buffer.from(bytes))).toBe(true);

  for (const [what, edit, line] of [
    ["no reserved sectors", (_: Uint8Array, v: DataView) => v.setUint16(14, 0, true), "bogus number of reserved sectors"],
    ["a sector size of 300", (_: Uint8Array, v: DataView) => v.setUint16(11, 300, true), "bogus logical sector size 300"],
    ["3 sectors per cluster", (b: Uint8Array) => void (b[13] = 3), "bogus sectors per cluster 3"],
    ["media byte 0x00", (b: Uint8Array) => void (b[21] = 0), "invalid media value (0x00)"],
    ["no FATs", (b: Uint8Array) => void (b[16] = 0), "bogus number of FAT structure"],
  ] as const) {
    it(`a boot sector with ${what} is refused at mount (EINVAL): "${line}"`, async () => {
      const { img, bytes } = await corrupt(edit);
      await run("mkdir /mnt");
      const r = await run("mount -t vfat -o loop /host/img /mnt");
      expect(r.status).not.toBe(0);
      expect(dmesg(k)).toEqual(expect.arrayContaining([`FAT-fs (loop0): ${line}`, "FAT-fs (loop0): Can't find a valid FAT filesystem"]));
      expect(k.read("/proc/mounts")).not.toContain(" /mnt ");
      expect(await ok("lsmod")).toMatch(/^vfat\s+\d+\s+0$/m);
      unchanged(img, bytes);
    });
  }

  it("a FAT chain that loops gives EIO on that file only, naming the loop; under errors=remount-ro no more writes", async () => {
    const { img } = await corrupt((b, v) => {
      const { fatStart } = layout(b);
      const start = v.getUint16(rootEntry(b, "BIG     BIN") + 26, true);
      v.setUint16(fatStart + 2 * (start + 3), start + 1, true);
    });
    await mountImage("vfat");
    expectErrno(() => libc.readFile("/mnt/big.bin"), "EIO");
    expect(dmesg(k).join("\n")).toMatch(/FAT-fs \(loop0\): error, fat_get_cluster: detected the cluster chain loop \(i_pos \d+\)\nFAT-fs \(loop0\): Filesystem has been set read-only/);
    expect(libc.readFile("/mnt/README.TXT").length).toBe(15);
    expectErrno(() => put("/mnt/new.txt", "x"), "EROFS");
    await ok("umount /mnt");
    expect(fsck(img).out).toMatch(/Dirty bit is set/);
  });

  it("a directory entry whose start cluster is past the end of the volume gives EIO on that file, and no write", async () => {
    const { img, bytes } = await corrupt((b, v) => {
      v.setUint16(rootEntry(b, "README  TXT") + 26, 0xfff0, true);
    });
    await mountImage("vfat", "ro");
    expectErrno(() => libc.readFile("/mnt/README.TXT"), "EIO");
    expect(dmesg(k).join("\n")).toMatch(/FAT-fs \(loop0\): error, fat_get_cluster: invalid cluster chain \(i_pos \d+\)/);
    expect(libc.readFile("/mnt/big.bin").length).toBe(1 << 20);
    await ok("umount /mnt");
    unchanged(img, bytes);
  });

  it("a file whose size runs past the end of its chain gives EIO, and a directory whose chain loops cannot be looked into", async () => {
    const { img, bytes } = await corrupt((b, v) => {
      const { fatStart } = layout(b);
      v.setUint32(rootEntry(b, "EMPTY      ") + 28, 4096, true);
      const many = v.getUint16(rootEntry(b, "MANY       ") + 26, true);
      v.setUint16(fatStart + 2 * many, many, true);
    });
    await mountImage("vfat", "ro");
    expectErrno(() => libc.readFile("/mnt/empty"), "EIO");
    expectErrno(() => libc.readdir("/mnt/many"), "EIO");
    expect(dmesg(k).join("\n")).toContain("detected the cluster chain loop");
    await ok("umount /mnt");
    unchanged(img, bytes);
  });
});

describe.skipIf(!haveFatTools)(`what FAT cannot keep, as Linux's vfat behaves${haveFatTools ? "" : ` ${NEEDS}`}`, () => {
  beforeEach(async () => {
    await hostImage(16);
    await mountImage("vfat");
  });

  it("gives a new file the mount's permissions (fmask), whatever mode create asks for", () => {
    const fd = libc.open("/mnt/private", O_WRONLY | O_CREAT, 0o600);
    expect(libc.fstat(fd).mode).toBe(0o100755);
    libc.close(fd);
    libc.mkdir("/mnt/newdir", 0o700);
    expect(libc.stat("/mnt/newdir").mode).toBe(0o040755);
  });

  it("has no symlinks and no device nodes: EPERM", () => {
    put("/mnt/f", "x");
    expectErrno(() => libc.symlink("f", "/mnt/l"), "EPERM");
    expectErrno(() => libc.mknod("/mnt/n", 0o020644, 0x103), "EPERM");
    expect(libc.readdir("/mnt").map((e) => e.name)).not.toContain("l");
  });

  it("counts st_blocks by whole clusters, and a directory's nlink by its subdirectories", () => {
    put("/mnt/one byte", "x");
    const clusterSectors = statfs(libc, "/mnt").f_bsize! / 512;
    expect(libc.stat("/mnt/one byte").blocks).toBe(clusterSectors);
    expect(libc.stat("/mnt/deep").nlink).toBe(3);
    libc.mkdir("/mnt/deep/second");
    expect(libc.stat("/mnt/deep").nlink).toBe(4);
  });

  it("keeps an unlinked or replaced file readable through an open fd, and frees its clusters at the last close", () => {
    put("/mnt/victim", pattern(20_000, 5));
    const before = statfs(libc, "/mnt").f_bfree!;
    const fd = libc.open("/mnt/victim", O_RDWR);
    put("/mnt/other", "replacement");
    libc.rename("/mnt/other", "/mnt/victim");
    expect(libc.fstat(fd).nlink).toBe(0);
    expect(Buffer.from(libc.pread(fd, 20_000, 0)).equals(Buffer.from(pattern(20_000, 5)))).toBe(true);
    expect(statfs(libc, "/mnt").f_bfree).toBeLessThan(before);
    libc.close(fd);
    expect(statfs(libc, "/mnt").f_bfree).toBe(before - 1 + Math.ceil(20_000 / statfs(libc, "/mnt").f_bsize!));
    expect(new TextDecoder().decode(libc.readFile("/mnt/victim"))).toBe("replacement");
  });

  it("stores modification times in 2-second steps: read back after a remount, they are even", async () => {
    put("/mnt/timed", "x");
    await ok("umount /mnt");
    await mountImage("vfat", "ro");
    expect(libc.stat("/mnt/timed").mtime % 2).toBe(0);
  });
});
