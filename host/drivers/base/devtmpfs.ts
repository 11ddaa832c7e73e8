// devtmpfs (drivers/base/devtmpfs.c): the in-memory filesystem on /dev where device nodes live.

import type { FileOperations, FileSystemType, Inode } from "../../fs/fs.js";
import { SimpleDirOps } from "../../fs/libfs.js";

export function devtmpfsFsType(special: (inode: Inode) => FileOperations): FileSystemType {
  const ops = new SimpleDirOps(special);
  return { name: "devtmpfs", requiresDev: false, owner: null, mount: (sb) => ops.root(sb) };
}
