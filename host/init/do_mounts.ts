// The root filesystem and the boot-time mounts (init/do_mounts.c, init/noinitramfs.c).
//
// rootfs is an in-memory libfs tree; on it the kernel makes /dev, /proc, /sys, /tmp and /mnt and mounts
// devtmpfs, proc and sysfs, as an initramfs-less boot leaves a Linux system; then devpts on /dev/pts, as
// init does next on every system (systemd's mount_setup()), so /dev/ptmx works from the start.

import type { FileOperations, FileSystemType, Inode, Path } from "../fs/fs.js";
import { RAMFS_MAGIC } from "../../abi/magic.js";
import { libfsType } from "../fs/libfs.js";
import { mkdir, walk, type WalkContext } from "../fs/namei.js";
import { KernelError } from "../kernel/error.js";
import type { Vfs } from "../fs/vfs.js";

export function rootfsFsType(special: (inode: Inode) => FileOperations): FileSystemType {
  return libfsType("rootfs", RAMFS_MAGIC, special);
}

/** A mount made at boot: its type, device name, mount point, mount(2) flags and options. */
export type BootMount = readonly [type: string, dev: string, dir: string, flags?: number, data?: string];

/** init_rootfs() + the mounts devtmpfs_mount(), proc, sysfs and init make at boot, in order. */
export function prepareNamespace(vfs: Vfs, mounts: readonly BootMount[]): void {
  const rootMnt = vfs.ns.mount(vfs.getFsType("rootfs"), "rootfs", null, 0, "");
  const root: Path = { mnt: rootMnt, dentry: rootMnt.root };
  const ctx: WalkContext = { ns: vfs.ns, root, start: root };
  for (const dir of ["/dev", "/proc", "/sys", "/tmp", "/mnt"]) mkdir(ctx, dir, 0o755);
  for (const [type, dev, dir, flags = 0, data = ""] of mounts) vfs.ns.mount(vfs.getFsType(type), dev, mountPoint(ctx, dir), flags, data);
}

/** The mount point, made (0755) where the filesystem mounted before has none: /dev/pts on devtmpfs. */
function mountPoint(ctx: WalkContext, dir: string): Path {
  try {
    return walk(ctx, dir);
  } catch (e) {
    if (!(e instanceof KernelError) || e.code !== "ENOENT") throw e;
  }
  mkdir(ctx, dir, 0o755);
  return walk(ctx, dir);
}
