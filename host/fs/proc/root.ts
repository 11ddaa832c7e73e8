// The proc filesystem type (fs/proc/root.c): the kernfs tree under /proc plus the tasks' directories.

import { PROC_SUPER_MAGIC } from "../../../abi/magic.js";
import type { FileSystemType } from "../fs.js";
import type { Kernfs } from "../kernfs.js";
import { kernfsFileSystem } from "../kernfs_mount.js";
import { procTree, type TaskList } from "./base.js";

export function procFsType(kernfs: Kernfs, tasks: TaskList): FileSystemType {
  return kernfsFileSystem(procTree(kernfs, tasks), { name: "proc", magic: PROC_SUPER_MAGIC, top: "/proc", dirMode: 0o555, fileSize: 0 });
}
