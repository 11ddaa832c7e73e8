// fat: the FAT12/16/32 core that vfat and msdos stack on (fs/fat). It registers no filesystem: each of
// them fills its superblocks through fat_fill_super with its own naming, and fat serves them after.

import {
  EIO, ENOMEM, ERANGE, inode_set_owner, inode_set_times, kstatfs, new_inode, S_IFDIR, sb_set_ops, set_nlink, super_operations,
  MSDOS_SUPER_MAGIC,
} from "../../abi/include/kernel";
import { loadDir, subdirs } from "./dir";
import { countFree, forgetFatCache } from "./fatent";
import { fat_fsync, fat_read, fat_setattr, fat_write } from "./file";
import { byPlace, dirFops, dirIops, FatInode, fileFops, fileIops, inodes, setOps, setSize } from "./inode";
import { fat_create, fat_evict_inode, fat_iterate, fat_lookup, fat_mkdir, fat_rename, fat_rmdir, fat_unlink } from "./namei";
import { ATTR_DIR } from "./names";
import { lastError, readSuper, setState, supers, writeFsinfo } from "./super";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("FAT12/16/32 filesystem support, the core vfat and msdos use");

const sops = new super_operations();

/**
 * fat_fill_super(): read the boot sector and the root directory of superblock `sb` (of vfat or msdos, as
 * `isvfat` says) and serve it from here on. The root inode, or -EINVAL for what is not a FAT filesystem
 * (the reason logged), -EIO, -ENOMEM.
 */
export function fat_fill_super(sb: u32, flags: i32, isvfat: bool): i32 {
  const fs = readSuper(sb, flags, isvfat);
  if (fs == null) return lastError;
  const root = new FatInode(fs);
  root.attr = ATTR_DIR;
  root.start = fs.fatBits == 32 ? fs.rootCluster : 0;
  const d = loadDir(fs, 0, 0);
  if (d == null) return -EIO;
  root.dir = d;
  const inode = new_inode(sb, S_IFDIR | (0o777 & ~fs.dmask));
  if (inode == 0) return -ENOMEM;
  root.handle = inode;
  root.parent = inode;
  inodes.set(inode, root);
  setOps(inode, true);
  inode_set_owner(inode, fs.uid, fs.gid);
  inode_set_times(inode, 0, 0, 0);
  set_nlink(inode, <u32>(2 + subdirs(d)));
  setSize(root, d.data.length);
  sb_set_ops(sb, sops);
  supers.set(sb, fs);
  setState(fs, true);
  return <i32>inode;
}
EXPORT_SYMBOL_GPL(fat_fill_super);

/** kill_sb's part for a FAT superblock: FSInfo and the clean state written, its inodes forgotten. */
export function fat_kill_sb(sb: u32): void {
  if (!supers.has(sb)) return;
  const fs = supers.get(sb);
  writeFsinfo(fs);
  setState(fs, false);
  const places = byPlace.keys();
  for (let i = 0; i < places.length; i++) if (inodes.get(byPlace.get(places[i])).fs == fs) byPlace.delete(places[i]);
  const handles = inodes.keys();
  for (let i = 0; i < handles.length; i++) if (inodes.get(handles[i]).fs == fs) inodes.delete(handles[i]);
  supers.delete(sb);
  forgetFatCache();
}
EXPORT_SYMBOL_GPL(fat_kill_sb);

/** FAT_LFN_LEN and 8.3's 12, in bytes of the IO charset (NLS_MAX_CHARSET_SIZE each). */
const NLS_MAX_CHARSET_SIZE: i64 = 6;

/** fat_statfs(): clusters as blocks, the free ones counted the first time they are asked for. */
function fat_statfs(sb: u32, buf: usize): i32 {
  const fs = supers.get(sb);
  const st = changetype<kstatfs>(buf);
  const free = countFree(fs);
  st.f_type = MSDOS_SUPER_MAGIC;
  st.f_bsize = fs.clusSize;
  st.f_blocks = fs.maxCluster - 2;
  st.f_bfree = free;
  st.f_bavail = free;
  st.f_namelen = (fs.isvfat ? 255 : 12) * NLS_MAX_CHARSET_SIZE;
  return 0;
}

function fat_show_options(sb: u32, buf: usize, size: i32): i32 {
  const fs = supers.get(sb);
  const len = String.UTF8.byteLength(fs.shown);
  if (len > size) return -ERANGE;
  String.UTF8.encodeUnsafe(changetype<usize>(fs.shown), fs.shown.length, buf);
  return len;
}

export function init_module(): i32 {
  dirIops.lookup = fat_lookup.index;
  dirIops.create = fat_create.index;
  dirIops.mkdir = fat_mkdir.index;
  dirIops.unlink = fat_unlink.index;
  dirIops.rmdir = fat_rmdir.index;
  dirIops.rename = fat_rename.index;
  dirFops.iterate = fat_iterate.index;
  dirFops.fsync = fat_fsync.index;
  dirIops.setattr = fat_setattr.index;
  fileIops.setattr = fat_setattr.index;
  fileFops.read = fat_read.index;
  fileFops.write = fat_write.index;
  fileFops.fsync = fat_fsync.index;
  sops.evict_inode = fat_evict_inode.index;
  sops.statfs = fat_statfs.index;
  sops.show_options = fat_show_options.index;
  return 0;
}

export function cleanup_module(): void {}
