// statfs(2) and fstatfs(2): refusals, and ramfs's simple_statfs; the figures of disk filesystems are in
// tests/fs/fat.test.ts and ext2.test.ts.

import { statfsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { MS_RDONLY, O_RDONLY } from "../../abi/fcntl.js";
import { ST_RDONLY, ST_RELATIME, ST_VALID, STATFS_LAYOUT } from "../../abi/stat.js";
import { DEBUGFS_MAGIC, DEVPTS_SUPER_MAGIC, HOSTFS_SUPER_MAGIC, PROC_SUPER_MAGIC, RAMFS_MAGIC, SYSFS_MAGIC, TMPFS_MAGIC } from "../../abi/magic.js";
import { loadBytes, moduleFixtures, scratchDir } from "../helpers.js";
import { boot, neg, statfs, sys, userBuffer, userString } from "../vfs_helpers.js";

const scratch = scratchDir("statfs");
afterAll(() => scratch.cleanup());

/** A filesystem with no super_operations at all: statfs(2) on it is Linux's ENOSYS. */
const fixtures = moduleFixtures("statfs-fixtures", {
  nostatfs: `
import { file_system_type, register_filesystem, unregister_filesystem, new_inode, S_IFDIR } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const t = new file_system_type();
function fs_mount(sb: u32, flags: i32): i32 { return <i32>new_inode(sb, S_IFDIR | 0o755); }
export function init_module(): i32 {
  t.name = "nostatfs";
  t.mount = fs_mount.index;
  return register_filesystem(t);
}
export function cleanup_module(): void { unregister_filesystem(t); }
`,
});

describe("statfs", () => {
  it("is ENOSYS for a filesystem without super_operations.statfs, on a path and a descriptor", () => {
    const { k, libc } = boot();
    k.insmod(fixtures.get("nostatfs")!);
    libc.mkdir("/mnt/n");
    libc.mount("none", "/mnt/n", "nostatfs", MS_RDONLY);
    const buf = userBuffer(libc, STATFS_LAYOUT.size);
    expect(sys(libc, "statfs", userString(libc, "/mnt/n"), buf)).toBe(neg("ENOSYS"));
    const fd = libc.open("/mnt/n", O_RDONLY);
    expect(sys(libc, "fstatfs", fd, buf)).toBe(neg("ENOSYS"));
    libc.close(fd);
  });

  it("gives hostfs the host directory's figures with HOSTFS_SUPER_MAGIC, as User-Mode Linux's hostfs", () => {
    const { k, libc } = boot();
    k.insmod(loadBytes("hostfs"));
    libc.mkdir("/mnt/h");
    libc.mount("none", "/mnt/h", "hostfs", MS_RDONLY, scratch.dir);
    const host = statfsSync(scratch.dir);
    const st = statfs(libc, "/mnt/h");
    expect(st).toMatchObject({
      f_type: HOSTFS_SUPER_MAGIC, f_bsize: host.bsize, f_frsize: host.bsize, f_blocks: host.blocks, f_files: host.files, f_namelen: 255,
      f_fsid0: 0, f_fsid1: 0, f_flags: ST_VALID | ST_RELATIME | ST_RDONLY,
    });
    // Free counts move with the host's other users between the two calls: only their bounds are fixed.
    expect(st.f_bavail).toBeLessThanOrEqual(st.f_bfree!);
    expect(st.f_bfree).toBeLessThanOrEqual(host.blocks);
    const fd = libc.open("/mnt/h", O_RDONLY);
    expect(libc.fstatfs(fd).f_type).toBe(HOSTFS_SUPER_MAGIC);
    libc.close(fd);
  });

  it("gives the kernel's own filesystems simple_statfs's figures, each with its magic", () => {
    const { libc } = boot();
    const magic = (path: string) => statfs(libc, path).f_type;
    expect(["/", "/dev", "/proc", "/sys", "/sys/kernel/debug", "/dev/pts"].map(magic)).toEqual([
      RAMFS_MAGIC, TMPFS_MAGIC, PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, DEVPTS_SUPER_MAGIC,
    ]);
    expect(statfs(libc, "/proc")).toMatchObject({ f_bsize: 4096, f_blocks: 0, f_files: 0, f_namelen: 255, f_fsid0: 0, f_fsid1: 0 });
  });

  it("gives ramfs simple_statfs's figures: RAMFS_MAGIC, a page as the block size, NAME_MAX, zeros elsewhere", () => {
    const { k, libc } = boot();
    k.insmod(loadBytes("ramfs"));
    libc.mkdir("/mnt/r");
    libc.mount("ramfs", "/mnt/r", "ramfs", MS_RDONLY);
    const fd = libc.open("/mnt/r", O_RDONLY);
    const want = {
      f_type: RAMFS_MAGIC, f_bsize: 4096, f_blocks: 0, f_bfree: 0, f_bavail: 0, f_files: 0, f_ffree: 0, f_fsid0: 0, f_fsid1: 0,
      f_namelen: 255, f_frsize: 4096, f_flags: ST_VALID | ST_RELATIME | ST_RDONLY,
    };
    expect(statfs(libc, "/mnt/r")).toMatchObject(want);
    expect(statfs(libc, fd)).toMatchObject(want);
    libc.close(fd);
  });

  it("is ENOENT for a missing path and EBADF for a bad descriptor", () => {
    const { libc } = boot();
    const buf = userBuffer(libc, STATFS_LAYOUT.size);
    expect(sys(libc, "statfs", userString(libc, "/missing"), buf)).toBe(neg("ENOENT"));
    expect(sys(libc, "fstatfs", 99, buf)).toBe(neg("EBADF"));
  });
});
