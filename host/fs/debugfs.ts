// The debugfs filesystem type (fs/debugfs/): a kernfs tree of its own, mounted at /sys/kernel/debug, where
// subsystems put files for debugging (KUnit's results). Its files are not sysfs's: /sys shows only the mountpoint.

import { DEBUGFS_MAGIC } from "../../abi/magic.js";
import type { FileSystemType } from "./fs.js";
import type { Kernfs } from "./kernfs.js";
import { kernfsFileSystem } from "./kernfs_mount.js";

/** Where debugfs is mounted, and the top of its tree (debugfs_init() makes the mountpoint in sysfs). */
export const DEBUGFS_MOUNTPOINT = "/sys/kernel/debug";

export function debugfsFsType(tree: Kernfs): FileSystemType {
  tree.addDir(DEBUGFS_MOUNTPOINT);
  return kernfsFileSystem(tree, { name: "debugfs", magic: DEBUGFS_MAGIC, top: DEBUGFS_MOUNTPOINT, dirMode: 0o700, fileSize: 0 });
}
