// The sysfs filesystem type (fs/sysfs/mount.c): the kernfs tree under /sys, attribute files a page long.

import type { FileSystemType } from "./fs.js";
import type { Kernfs } from "./kernfs.js";
import { kernfsFileSystem } from "./kernfs_mount.js";

export function sysfsFsType(kernfs: Kernfs): FileSystemType {
  return kernfsFileSystem(kernfs, { name: "sysfs", top: "/sys", dirMode: 0o755, fileSize: 4096 });
}
