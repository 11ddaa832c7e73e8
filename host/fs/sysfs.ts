// The sysfs filesystem type (fs/sysfs/mount.c): the kernfs tree under /sys, attribute files a page long.

import { SYSFS_MAGIC } from "../../abi/magic.js";
import type { FileSystemType } from "./fs.js";
import type { Kernfs } from "./kernfs.js";
import { kernfsFileSystem } from "./kernfs_mount.js";
import { PAGE_SIZE } from "./libfs.js";

/** An attribute's show() fills one page (sysfs_emit()); sysfs_kf_seq_show() keeps at most PAGE_SIZE - 1 bytes of it. */
export function sysfsFsType(kernfs: Kernfs): FileSystemType {
  return kernfsFileSystem(kernfs, { name: "sysfs", magic: SYSFS_MAGIC, top: "/sys", dirMode: 0o755, fileSize: PAGE_SIZE, showMax: PAGE_SIZE - 1 });
}
