// ramfs as a module: registration, mounts pinning the module, umount refusals, data freed with the mount,
// and a filesystem module that faults or lies contained like any other module bug.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { O_CREAT, O_RDWR, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import type { Libc } from "../../host/user/nolibc.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, loadBytes, scratchDir, writeModuleSource } from "../helpers.js";

/** A filesystem whose mount works but whose lookup traps, and one whose lookup logs and returns a made-up inode. */
const brokenFs = (name: string, lookupBody: string) => `
import { file_system_type, inode_operations, file_operations, inode_set_ops, new_inode, pr_info, register_filesystem,
  unregister_filesystem, S_IFDIR } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const t = new file_system_type();
const iops = new inode_operations();
const fops = new file_operations();
function fs_mount(sb: u32, flags: i32): i32 {
  const root = new_inode(sb, S_IFDIR | 0o755);
  inode_set_ops(root, iops, fops);
  return <i32>root;
}
function fs_lookup(dir: u32, name: usize, len: i32): i32 { ${lookupBody} }
export function init_module(): i32 {
  iops.lookup = fs_lookup.index;
  t.name = "${name}";
  t.mount = fs_mount.index;
  return register_filesystem(t);
}
export function cleanup_module(): void { unregister_filesystem(t); }
`;

/** A filesystem that never unregisters. */
const FORGETFUL = `
import { file_system_type, register_filesystem, new_inode, S_IFDIR } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const t = new file_system_type();
function fs_mount(sb: u32, flags: i32): i32 { return <i32>new_inode(sb, S_IFDIR | 0o755); }
export function init_module(): i32 {
  t.name = "forgetful";
  t.mount = fs_mount.index;
  return register_filesystem(t);
}
export function cleanup_module(): void {}
`;

const fixtures = new Map<string, Uint8Array>();
const scratch = scratchDir("ramfs");

beforeAll(async () => {
  const sources: [string, string][] = [
    ["trapfs", brokenFs("trapfs", "return load<i32>(<usize>0xfffffff0);")],
    ["liarfs", brokenFs("liarfs", `pr_info("liarfs: lookup\\n"); return 4242;`)],
    ["forgetful", FORGETFUL],
  ];
  const objs = [];
  for (const [name, source] of sources) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
  for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
});

afterAll(() => scratch.cleanup());

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.insmod(loadBytes("ramfs"));
  sh.mkdir("/mnt/r");
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("ramfs", () => {
  it("registers the ramfs type and unregisters it at rmmod", () => {
    expect(k.read("/proc/filesystems")).toContain("nodev\tramfs\n");
    expect(k.modules.find("ramfs")!.modinfo).toContainEqual(["alias", "fs-ramfs"]);
    k.rmmod("ramfs");
    expect(k.read("/proc/filesystems")).not.toContain("ramfs");
    expect(() => sh.mount("none", "/mnt/r", "ramfs")).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });

  it("mounts, and each mount is its own empty tree", () => {
    sh.mkdir("/mnt/s");
    sh.mount("none", "/mnt/r", "ramfs");
    sh.mount("none", "/mnt/s", "ramfs");
    sh.close(sh.open("/mnt/r/only-here", O_CREAT | O_RDWR));
    expect(sh.readdir("/mnt/s").map((d) => d.name)).toEqual([".", ".."]);
    expect(k.read("/proc/mounts")).toContain("none /mnt/r ramfs rw,relatime 0 0\nnone /mnt/s ramfs rw,relatime 0 0\n");
    expect(sh.stat("/mnt/r").dev).not.toBe(sh.stat("/mnt/s").dev);
  });

  it("holds a reference on the module per mount, so rmmod is refused until umount", () => {
    sh.mount("none", "/mnt/r", "ramfs");
    expect(k.modules.find("ramfs")!.refcnt).toBe(1);
    expect(() => k.rmmod("ramfs")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.umount("/mnt/r");
    expect(k.modules.find("ramfs")!.refcnt).toBe(0);
    k.rmmod("ramfs");
  });

  it("refuses umount with EBUSY while a file is open or a cwd is inside", () => {
    sh.mount("none", "/mnt/r", "ramfs");
    sh.mkdir("/mnt/r/d");
    const fd = sh.open("/mnt/r/f", O_CREAT | O_RDWR);
    expect(() => sh.umount("/mnt/r")).toThrow(expect.objectContaining({ code: "EBUSY" }));
    sh.close(fd);
    sh.chdir("/mnt/r/d");
    expect(() => sh.umount("/mnt/r")).toThrow(expect.objectContaining({ code: "EBUSY" }));
    sh.chdir("/");
    sh.umount("/mnt/r");
    expect(sh.readdir("/mnt/r").map((d) => d.name)).toEqual([".", ".."]);
  });

  it("keeps data across opens and reads holes as zeros", () => {
    sh.mount("none", "/mnt/r", "ramfs");
    const fd = sh.open("/mnt/r/f", O_CREAT | O_RDWR);
    sh.pwrite(fd, "end", 10000);
    sh.close(fd);
    const data = sh.readFile("/mnt/r/f");
    expect(data.length).toBe(10003);
    expect(data.subarray(0, 10000).every((b) => b === 0)).toBe(true);
    expect(text(data.subarray(10000))).toBe("end");
    expect(sh.stat("/mnt/r/f").size).toBe(10003);
  });

  it("frees a file's pages when its last link and last user go (evict_inode)", () => {
    const mod = k.modules.find("ramfs")!;
    sh.mount("none", "/mnt/r", "ramfs");
    for (let round = 0; round < 100; round++) {
      const fd = sh.open("/mnt/r/f", O_CREAT | O_RDWR);
      sh.write(fd, new Uint8Array(64 * 1024));
      sh.close(fd);
      sh.unlink("/mnt/r/f");
    }
    // 6.4 MB went through; without eviction the module's memory would have grown past it.
    expect(mod.memory.size).toBeLessThan(2 << 20);
  });

  it("lets go of a superblock and its inodes at umount, so mounting again and again holds no more", () => {
    const held = () => k.moduleFilesystems.superblocks;
    expect(held()).toBe(0);
    for (let round = 0; round < 50; round++) {
      sh.mount("none", "/mnt/r", "ramfs");
      sh.mkdir("/mnt/r/d");
      sh.close(sh.open("/mnt/r/d/f", O_CREAT | O_RDWR));
      expect(held()).toBe(1);
      sh.umount("/mnt/r");
      expect(held()).toBe(0);
    }
  });
});

/** Try fn until it fails; the KernelError it failed with. */
function untilRefused(fn: (i: number) => void): { count: number; code: string | undefined } {
  for (let i = 0; ; i++) {
    try {
      fn(i);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return { count: i, code: e.code };
    }
  }
}

describe("a full ramfs", () => {
  // A 4 MiB module memory fills in a few hundred files.
  beforeEach(() => {
    k = new Kernel({ memoryMaxPages: 64 });
    sh = k.spawn("sh");
    k.insmod(loadBytes("ramfs"));
    sh.mkdir("/mnt/r");
    sh.mount("none", "/mnt/r", "ramfs");
    k.log.clear();
  });

  const body = (i: number) => `file ${i}\n`.repeat(600);
  const writeFile = (path: string, data: string) => {
    const fd = sh.open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644);
    try {
      if (sh.write(fd, data) !== Buffer.byteLength(data)) throw new KernelError("ENOMEM", `${path}: short write`);
    } finally {
      sh.close(fd);
    }
  };

  it("refuses the next file with ENOSPC and keeps every file byte for byte; after deleting some, writes again", () => {
    const full = untilRefused((i) => writeFile(`/mnt/r/f${i}`, body(i)));
    expect(full.code).toMatch(/^(ENOSPC|ENOMEM)$/);
    expect(full.count).toBeGreaterThan(100);
    expect(untilRefused((i) => sh.mkdir(`/mnt/r/d${i}`))).toEqual({ count: 0, code: "ENOSPC" });
    expect(untilRefused((i) => sh.close(sh.open(`/mnt/r/e${i}`, O_CREAT | O_WRONLY)))).toEqual({ count: 0, code: "ENOSPC" });
    const kept = sh.readdir("/mnt/r").map((d) => d.name).filter((n) => /^f\d+$/.test(n));
    expect(kept.length).toBeGreaterThanOrEqual(full.count);
    for (let i = 0; i < full.count; i++) expect(text(sh.readFile(`/mnt/r/f${i}`))).toBe(body(i));
    for (let i = 0; i < full.count; i += 2) sh.unlink(`/mnt/r/f${i}`);
    expect(untilRefused((i) => writeFile(`/mnt/r/g${i}`, body(i))).count).toBeGreaterThan(10);
    for (let i = 1; i < full.count; i += 2) expect(text(sh.readFile(`/mnt/r/f${i}`))).toBe(body(i));
    expect(k.modules.find("ramfs")!.dead).toBe(false);
    expect(dmesg(k).filter((l) => /Oops|BUG/.test(l))).toEqual([]);
  });

  it("writes what fits of a file and then fails with ENOMEM, the file intact; truncating frees it", () => {
    const fd = sh.open("/mnt/r/big", O_CREAT | O_RDWR, 0o644);
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    const written = untilRefused(() => {
      if (sh.write(fd, chunk) !== chunk.length) throw new KernelError("ENOMEM", "short write");
    });
    expect(written.code).toBe("ENOMEM");
    const size = sh.fstat(fd).size;
    expect(size).toBeGreaterThan(2 << 20);
    expect(() => sh.write(fd, chunk)).toThrow(expect.objectContaining({ code: "ENOMEM" }));
    const data = sh.readFile("/mnt/r/big");
    expect(data.length).toBe(size);
    expect(data.every((b, i) => b === (i % chunk.length & 0xff))).toBe(true);
    sh.ftruncate(fd, 0);
    expect(sh.write(fd, chunk)).toBe(chunk.length);
    sh.close(fd);
  });

  it("still unmounts, and the module unloads cleanly", () => {
    untilRefused((i) => writeFile(`/mnt/r/f${i}`, body(i)));
    sh.umount("/mnt/r");
    k.rmmod("ramfs");
    expect(dmesg(k).filter((l) => /Oops|BUG|leaked/.test(l))).toEqual([]);
  });
});

describe("a filesystem module that misbehaves", () => {
  it("traps in lookup: the walk fails with EFAULT, an Oops names it, the rest of the tree works", () => {
    k.insmod(fixtures.get("trapfs")!);
    sh.mount("none", "/mnt/r", "trapfs");
    k.log.clear();
    expect(() => sh.stat("/mnt/r/x")).toThrow(expect.objectContaining({ code: "EFAULT" }));
    expect(dmesg(k)[0]).toBe("BUG: wasm trap in trapfs: memory access out of bounds");
    expect(dmesg(k)).toContain("Modules linked in: trapfs ramfs");
    expect(k.read("/proc/modules")).toMatch(/^trapfs \d+ 1 \[dead\], Live/);
    expect(sh.readdir("/tmp").map((d) => d.name)).toEqual([".", ".."]);
    expect(() => sh.stat("/mnt/r/y")).toThrow(expect.objectContaining({ code: "ENODEV" }));
  });

  it("returns an inode that is not one of its own: EIO, and nothing is cached", () => {
    k.insmod(fixtures.get("liarfs")!);
    sh.mount("none", "/mnt/r", "liarfs");
    k.log.clear();
    for (let i = 0; i < 2; i++) expect(() => sh.stat("/mnt/r/x")).toThrow(expect.objectContaining({ code: "EIO" }));
    // A cached dentry, positive or negative, would have answered the second walk without asking the module.
    expect(dmesg(k)).toEqual(["liarfs: lookup", "liarfs: lookup"]);
  });

  it("forgets to unregister: rmmod withdraws its filesystem with a warning", () => {
    k.insmod(fixtures.get("forgetful")!);
    expect(k.read("/proc/filesystems")).toContain("nodev\tforgetful\n");
    k.log.clear();
    k.rmmod("forgetful");
    expect(dmesg(k)).toEqual(["forgetful: filesystem forgetful still registered at unload; unregistered"]);
    expect(k.read("/proc/filesystems")).not.toContain("forgetful");
  });
});
