// vfat: FAT with long file names (fs/fat/namei_vfat.c), stacked on fat, which does the work with vfat's
// naming: LFN slots with their checksum, ~N short names, the NT case bits of lowercase 8.3 names.

import { file_system_type, register_filesystem, unregister_filesystem } from "../../abi/include/kernel";
import { fat_fill_super, fat_kill_sb } from "../include/fat";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("VFAT filesystem support");
MODULE_ALIAS("fs-vfat");

/** FS_REQUIRES_DEV: mounted from a block device. */
const FS_REQUIRES_DEV: u32 = 1;
const fsType = new file_system_type();

function vfat_mount(sb: u32, flags: i32): i32 {
  return fat_fill_super(sb, flags, true);
}

function vfat_kill_sb(sb: u32): void {
  fat_kill_sb(sb);
}

export function init_module(): i32 {
  fsType.name = "vfat";
  fsType.fs_flags = FS_REQUIRES_DEV;
  fsType.mount = vfat_mount.index;
  fsType.kill_sb = vfat_kill_sb.index;
  return register_filesystem(fsType);
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
