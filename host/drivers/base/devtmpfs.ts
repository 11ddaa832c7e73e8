// devtmpfs (drivers/base/devtmpfs.c): the in-memory filesystem on /dev where device nodes live.

import { TMPFS_MAGIC } from "../../../abi/magic.js";
import type { FileOperations, FileSystemType, Inode } from "../../fs/fs.js";
import { libfsType } from "../../fs/libfs.js";

/** tmpfs as the kernel mounts it, without a size: its shmem_statfs counts nothing, as simple_statfs. */
export function devtmpfsFsType(special: (inode: Inode) => FileOperations): FileSystemType {
  return libfsType("devtmpfs", TMPFS_MAGIC, special);
}
