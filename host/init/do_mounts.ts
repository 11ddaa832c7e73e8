// The root filesystem and the boot-time mounts (init/do_mounts.c, init/noinitramfs.c).
//
// rootfs is an in-memory libfs tree; on it the kernel makes /dev, /proc, /sys, /tmp and /mnt and mounts
// devtmpfs, proc and sysfs, as an initramfs-less boot leaves a Linux system.

import type { FileOperations, FileSystemType, Inode, Path } from "../fs/fs.js";
import { RAMFS_MAGIC } from "../../abi/magic.js";
import { libfsType } from "../fs/libfs.js";
import { mkdir, walk, type WalkContext } from "../fs/namei.js";
import type { Vfs } from "../fs/vfs.js";

export function rootfsFsType(special: (inode: Inode) => FileOperations): FileSystemType {
  return libfsType("rootfs", RAMFS_MAGIC, special);
}

/** init_rootfs() + the mounts devtmpfs_mount(), proc and sysfs make at boot. */
export function prepareNamespace(vfs: Vfs, mounts: readonly [type: string, dev: string, dir: string][]): void {
  const rootMnt = vfs.ns.mount(vfs.getFsType("rootfs"), "rootfs", null, 0, "");
  const root: Path = { mnt: rootMnt, dentry: rootMnt.root };
  const ctx: WalkContext = { ns: vfs.ns, root, start: root };
  for (const dir of ["/dev", "/proc", "/sys", "/tmp", "/mnt"]) mkdir(ctx, dir, 0o755);
  for (const [type, dev, dir] of mounts) vfs.ns.mount(vfs.getFsType(type), dev, walk(ctx, dir), 0, "");
}
