// msdos: FAT with 8.3 names only (fs/fat/namei_msdos.c), stacked on fat, which does the work with msdos's
// naming: names uppercased and cut to 8.3, long-name slots ignored, names shown in lowercase.

import { file_system_type, register_filesystem, unregister_filesystem } from "../../abi/include/kernel";
import { fat_fill_super, fat_kill_sb } from "../include/fat";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("MSDOS filesystem support");
MODULE_ALIAS("fs-msdos");

/** FS_REQUIRES_DEV: mounted from a block device. */
const FS_REQUIRES_DEV: u32 = 1;
const fsType = new file_system_type();

function msdos_mount(sb: u32, flags: i32): i32 {
  return fat_fill_super(sb, flags, false);
}

function msdos_kill_sb(sb: u32): void {
  fat_kill_sb(sb);
}

export function init_module(): i32 {
  fsType.name = "msdos";
  fsType.fs_flags = FS_REQUIRES_DEV;
  fsType.mount = msdos_mount.index;
  fsType.kill_sb = msdos_kill_sb.index;
  return register_filesystem(fsType);
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
