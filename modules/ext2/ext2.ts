// ext2: the second extended filesystem, revision 1 as mke2fs -t ext2 makes it, read-write (fs/ext2/super.c:
// mounting, options, umount and the inode's end). The other files: super.ts (the superblock, ext2_error),
// balloc.ts (bitmaps), inode.ts (inode tables, block maps), dir.ts (entries), namei.ts, file.ts.
//
// `mount -t ext2 [-o ro,errors=continue|remount-ro|panic] DEV DIR`. A mount checks the superblock, the
// features, the geometry and the group descriptors, and refuses what it cannot trust with Linux's message.

import {
  EINVAL, ERANGE, file_inode, file_system_type, kstatfs, inode_get_mode, inode_get_size, inode_set_size, KERN_ERR, KERN_WARNING, ktime_get_real_ts64, MS_RDONLY, register_filesystem,
  S_IFDIR, S_IFMT, sb_bdev_nr_sectors, sb_id, sb_mount_data, sb_set_blocksize, sb_set_ops, sb_set_rdonly, sync_blockdev, timespec64,
  unregister_filesystem,
  EXT2_SUPER_MAGIC,
} from "../../abi/include/kernel";
import { flushBitmap, forgetBitmap, freeInode } from "./balloc";
import { ext2_create, ext2_lookup, ext2_mkdir, ext2_mknod, ext2_rename, ext2_rmdir, ext2_symlink, ext2_unlink } from "./namei";
import { ext2_iterate, ext2_read, ext2_setattr, ext2_write } from "./file";
import { forgetIndirect, forgetInode, iget, inodes, truncateBlocks, writeInode } from "./inode";
import { dirFops, dirIops, fileFops, fileIops, sops } from "./ops";
import {
  DESC_SIZE, ext2_error, ext2_msg, Ext2Super, EXT2_ERROR_FS, EXT2_ERRORS_CONTINUE, EXT2_ERRORS_PANIC, EXT2_ERRORS_RO, EXT2_ROOT_INO,
  EXT2_VALID_FS, INCOMPAT_FILETYPE, INCOMPAT_SUPP, readBlock, RO_COMPAT_SUPP, S_BLOCKS_COUNT, S_BLOCKS_PER_GROUP,
  S_ERRORS, S_FEATURE_INCOMPAT, S_FREE_BLOCKS, S_FREE_INODES, S_R_BLOCKS_COUNT, S_FEATURE_RO_COMPAT, S_FIRST_DATA_BLOCK, S_FIRST_INO, S_INODE_SIZE, S_INODES_COUNT,
  S_INODES_PER_GROUP, S_LOG_BLOCK_SIZE, S_MAGIC, S_MNT_COUNT, S_MTIME, S_REV_LEVEL, S_STATE, S_WTIME, BG_BLOCK_BITMAP,
  BG_INODE_BITMAP, BG_INODE_TABLE,
} from "./super";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Second Extended Filesystem");
MODULE_ALIAS("fs-ext2");

const FS_REQUIRES_DEV: u32 = 1;
const fsType = new file_system_type();
/** Each mounted superblock's ext2 state, by the VFS's handle. */
const supers = new Map<u32, Ext2Super>();
/** The state each superblock had before this mount, which umount puts back (s_mount_state). */
const mountState = new Map<u32, u16>();
const idBuf = new Uint8Array(64);
const optBuf = new Uint8Array(1024);
const ts = new timespec64();

function now(): u32 {
  ktime_get_real_ts64(ts);
  return <u32>ts.tv_sec;
}

/** parse_options(): ro, rw and errors=; anything else refuses the mount. */
function parseOptions(s: Ext2Super, data: string): bool {
  const opts = data.split(",");
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i];
    if (o == "" || o == "rw") continue;
    if (o == "ro") s.readOnly = true;
    else if (o == "errors=continue") s.errors = EXT2_ERRORS_CONTINUE;
    else if (o == "errors=remount-ro") s.errors = EXT2_ERRORS_RO;
    else if (o == "errors=panic") s.errors = EXT2_ERRORS_PANIC;
    else {
      ext2_msg(s, KERN_ERR, `error: unrecognized mount option "${o}" or missing value`);
      return false;
    }
  }
  return true;
}

/** ext2_show_options()'s errors=: remount-ro only when the superblock's default differs, the others always. */
function showOptions(s: Ext2Super): string {
  const def = <i32>s.u16(S_ERRORS);
  if (s.errors == EXT2_ERRORS_RO) return def == EXT2_ERRORS_PANIC || def == EXT2_ERRORS_CONTINUE ? ",errors=remount-ro" : "";
  return s.errors == EXT2_ERRORS_CONTINUE ? ",errors=continue" : ",errors=panic";
}

/** The superblock: at byte 1024, in block 1 of 1 KiB or block 0 of larger ones. */
function readSuper(s: Ext2Super, blockSize: i32): bool {
  if (sb_set_blocksize(s.sb, blockSize) != blockSize) {
    ext2_msg(s, KERN_ERR, `error: bad blocksize ${blockSize}`);
    return false;
  }
  const block = new Uint8Array(blockSize);
  if (!readBlock(s, blockSize == 1024 ? 1 : 0, block.dataStart)) {
    ext2_msg(s, KERN_ERR, "error: unable to read superblock");
    return false;
  }
  memory.copy(s.raw.dataStart, block.dataStart + <usize>(blockSize == 1024 ? 0 : 1024), 1024);
  return true;
}

function cantFind(s: Ext2Super): bool {
  ext2_msg(s, KERN_ERR, `error: can't find an ext2 filesystem on dev ${s.id}.`);
  return false;
}

/** The superblock's geometry and features, checked as ext2_fill_super() checks them. */
function checkSuper(s: Ext2Super, flags: i32): bool {
  if (<i64>s.u16(S_MAGIC) != EXT2_SUPER_MAGIC) return cantFind(s);
  const log = s.u32(S_LOG_BLOCK_SIZE);
  if (log > 2) {
    ext2_msg(s, KERN_ERR, `error: bad blocksize ${log < 16 ? 1024 << log : -1}`);
    return false;
  }
  s.blockSize = 1024 << log;
  if (s.blockSize != 1024 && !readSuper(s, s.blockSize)) return false;
  if (<i64>s.u16(S_MAGIC) != EXT2_SUPER_MAGIC) {
    ext2_msg(s, KERN_ERR, "error: magic mismatch");
    return false;
  }
  const rev = s.u32(S_REV_LEVEL);
  s.inodeSize = rev == 0 ? 128 : <i32>s.u16(S_INODE_SIZE);
  s.firstIno = rev == 0 ? 11 : s.u32(S_FIRST_INO);
  if (s.inodeSize < 128 || s.inodeSize > s.blockSize || (s.inodeSize & (s.inodeSize - 1)) != 0) {
    ext2_msg(s, KERN_ERR, `error: unsupported inode size: ${s.inodeSize}`);
    return false;
  }
  const incompat = rev == 0 ? 0 : s.u32(S_FEATURE_INCOMPAT);
  const roCompat = rev == 0 ? 0 : s.u32(S_FEATURE_RO_COMPAT);
  if ((incompat & ~INCOMPAT_SUPP) != 0) {
    ext2_msg(s, KERN_ERR, `error: couldn't mount because of unsupported optional features (${(incompat & ~INCOMPAT_SUPP).toString(16)})`);
    return false;
  }
  if ((roCompat & ~RO_COMPAT_SUPP) != 0 && !s.readOnly && (flags & MS_RDONLY) == 0) {
    ext2_msg(s, KERN_ERR, `error: couldn't mount RDWR because of unsupported optional features (${(roCompat & ~RO_COMPAT_SUPP).toString(16)})`);
    return false;
  }
  s.filetype = (incompat & INCOMPAT_FILETYPE) != 0;
  s.blocksCount = s.u32(S_BLOCKS_COUNT);
  s.inodesCount = s.u32(S_INODES_COUNT);
  s.firstDataBlock = s.u32(S_FIRST_DATA_BLOCK);
  s.blocksPerGroup = s.u32(S_BLOCKS_PER_GROUP);
  s.inodesPerGroup = s.u32(S_INODES_PER_GROUP);
  const bits = <u32>s.blockSize * 8;
  if (s.blocksPerGroup == 0 || s.inodesPerGroup == 0 || s.firstDataBlock >= s.blocksCount) return cantFind(s);
  if (s.blocksPerGroup > bits) {
    ext2_msg(s, KERN_ERR, `error: #blocks per group too big: ${s.blocksPerGroup}`);
    return false;
  }
  if (s.inodesPerGroup > bits) {
    ext2_msg(s, KERN_ERR, `error: #inodes per group too big: ${s.inodesPerGroup}`);
    return false;
  }
  const deviceBlocks = <u64>sb_bdev_nr_sectors(s.sb) * 512 / <u64>s.blockSize;
  if (<u64>s.blocksCount > deviceBlocks) {
    ext2_msg(s, KERN_ERR, `error: block count ${s.blocksCount} exceeds size of device (${deviceBlocks} blocks)`);
    return false;
  }
  s.groups = (s.blocksCount - s.firstDataBlock + s.blocksPerGroup - 1) / s.blocksPerGroup;
  if (<u64>s.groups * <u64>s.inodesPerGroup != <u64>s.inodesCount) {
    ext2_msg(s, KERN_ERR, `error: inodes count ${s.inodesCount} is not groups ${s.groups} x ${s.inodesPerGroup} inodes per group`);
    return false;
  }
  return true;
}

/** The group descriptors, each bitmap and inode table inside its group (ext2_check_descriptors()). */
function readDescriptors(s: Ext2Super): bool {
  const perBlock = <u32>(s.blockSize / DESC_SIZE);
  const nblocks = (s.groups + perBlock - 1) / perBlock;
  s.desc = new Uint8Array(<i32>(nblocks * <u32>s.blockSize));
  for (let i: u32 = 0; i < nblocks; i++) {
    if (!readBlock(s, s.firstDataBlock + 1 + i, s.desc.dataStart + <usize>(i * <u32>s.blockSize))) {
      ext2_msg(s, KERN_ERR, "error: unable to read group descriptors");
      return false;
    }
  }
  const tableBlocks = (s.inodesPerGroup * <u32>s.inodeSize + <u32>s.blockSize - 1) / <u32>s.blockSize;
  for (let g: u32 = 0; g < s.groups; g++) {
    const first = s.firstDataBlock + g * s.blocksPerGroup;
    const last = g == s.groups - 1 ? s.blocksCount - 1 : first + s.blocksPerGroup - 1;
    let what = "";
    let block: u32 = 0;
    if ((block = s.descU32(g, BG_BLOCK_BITMAP)) < first || block > last) what = "Block bitmap";
    else if ((block = s.descU32(g, BG_INODE_BITMAP)) < first || block > last) what = "Inode bitmap";
    else if ((block = s.descU32(g, BG_INODE_TABLE)) < first || block + tableBlocks - 1 > last) what = "Inode table";
    if (what.length > 0) {
      ext2_error(s, "ext2_check_descriptors", `${what} for group ${g} not in group (block ${block})!`);
      ext2_msg(s, KERN_ERR, "group descriptors corrupted");
      return false;
    }
  }
  return true;
}

/** ext2_setup_super(): warnings about an unchecked or damaged filesystem; a read-write mount counts itself and marks it not clean. */
function setupSuper(s: Ext2Super): void {
  const state = s.u16(S_STATE);
  mountState.set(s.sb, state);
  if (s.readOnly) return;
  if ((state & EXT2_VALID_FS) == 0) ext2_msg(s, KERN_WARNING, "warning: mounting unchecked fs, running e2fsck is recommended");
  else if ((state & EXT2_ERROR_FS) != 0) ext2_msg(s, KERN_WARNING, "warning: mounting fs with errors, running e2fsck is recommended");
  s.setU16(S_MNT_COUNT, s.u16(S_MNT_COUNT) + 1);
  s.setU32(S_MTIME, now());
  s.setU16(S_STATE, state & ~EXT2_VALID_FS);
  s.writeSuper(true);
}

function ext2_mount(sb: u32, flags: i32): i32 {
  const s = new Ext2Super(sb);
  const idLen = sb_id(sb, idBuf.dataStart, idBuf.length);
  s.id = idLen > 0 ? String.UTF8.decodeUnsafe(idBuf.dataStart, <usize>idLen) : "ext2";
  const optLen = sb_mount_data(sb, optBuf.dataStart, optBuf.length);
  s.readOnly = (flags & MS_RDONLY) != 0;
  s.errors = EXT2_ERRORS_RO;
  if (optLen < 0 || !readSuper(s, 1024) || !checkSuper(s, flags)) return -EINVAL;
  const def = <i32>s.u16(S_ERRORS);
  s.errors = def == EXT2_ERRORS_PANIC ? EXT2_ERRORS_PANIC : def == EXT2_ERRORS_CONTINUE ? EXT2_ERRORS_CONTINUE : EXT2_ERRORS_RO;
  if (!parseOptions(s, String.UTF8.decodeUnsafe(optBuf.dataStart, <usize>optLen))) return -EINVAL;
  if (s.readOnly) sb_set_rdonly(sb);
  if (!readDescriptors(s)) return -EINVAL;
  supers.set(sb, s);
  const root = iget(s, EXT2_ROOT_INO);
  if (root == 0 || (<u32>inode_get_mode(root) & S_IFMT) != S_IFDIR || inode_get_size(root) == 0 || inodes.get(root).sectors == 0) {
    ext2_msg(s, KERN_ERR, "error: corrupt root inode, run e2fsck");
    forgetSuper(s);
    return -EINVAL;
  }
  sb_set_ops(sb, sops);
  setupSuper(s);
  return <i32>root;
}

function forgetSuper(s: Ext2Super): void {
  forgetBitmap();
  forgetIndirect();
  const handles = s.inodes.values();
  for (let i = 0; i < handles.length; i++) inodes.delete(handles[i]);
  supers.delete(s.sb);
  mountState.delete(s.sb);
}

/** ext2_put_super(): every inode written, the state before the mount put back, the superblock written. */
function ext2_kill_sb(sb: u32): void {
  if (!supers.has(sb)) return;
  const s = supers.get(sb);
  const handles = s.inodes.values();
  for (let i = 0; i < handles.length; i++) writeInode(inodes.get(handles[i]));
  flushBitmap();
  s.flushDesc();
  if (!s.readOnly) {
    const errors = s.u16(S_STATE) & EXT2_ERROR_FS;
    s.setU16(S_STATE, mountState.get(sb) | errors);
    s.setU32(S_WTIME, now());
    s.writeSuper(true);
  }
  forgetSuper(s);
}

function isPowerOf(n: u32, base: u32): bool {
  let p: u32 = 1;
  while (p < n) p *= base;
  return p == n;
}

/** ext2_bg_has_super(): with sparse_super, only groups 0, 1 and powers of 3, 5 and 7 carry a superblock backup. */
function hasSuper(s: Ext2Super, group: u32): bool {
  if ((s.u32(S_FEATURE_RO_COMPAT) & 1) == 0 || group <= 1) return true;
  return isPowerOf(group, 3) || isPowerOf(group, 5) || isPowerOf(group, 7);
}

/** ext2_statfs(): blocks less the overhead (superblocks, descriptors, bitmaps, inode tables), free less reserved. */
function ext2_statfs(sb: u32, buf: usize): i32 {
  const s = supers.get(sb);
  const st = changetype<kstatfs>(buf);
  const bs = <u32>s.blockSize;
  const gdb = (s.groups * <u32>DESC_SIZE + bs - 1) / bs;
  const itb = (s.inodesPerGroup * <u32>s.inodeSize + bs - 1) / bs;
  let overhead = <u64>s.firstDataBlock + <u64>s.groups * <u64>(2 + itb);
  for (let g: u32 = 0; g < s.groups; g++) if (hasSuper(s, g)) overhead += 1 + <u64>gdb;
  const free = <i64>s.u32(S_FREE_BLOCKS);
  st.f_type = EXT2_SUPER_MAGIC;
  st.f_bsize = s.blockSize;
  st.f_blocks = <i64>s.blocksCount - <i64>overhead;
  st.f_bfree = free;
  st.f_bavail = max<i64>(0, free - <i64>s.u32(S_R_BLOCKS_COUNT));
  st.f_files = s.inodesCount;
  st.f_ffree = s.u32(S_FREE_INODES);
  st.f_fsid = <i64>(load<u64>(s.raw.dataStart + 104) ^ load<u64>(s.raw.dataStart + 112));
  st.f_namelen = 255;
  return 0;
}

/** ext2_show_options(): what /proc/mounts shows after "rw,relatime". */
function ext2_show_options(sb: u32, buf: usize, size: i32): i32 {
  const shown = showOptions(supers.get(sb));
  const len = String.UTF8.byteLength(shown);
  if (len > size) return -ERANGE;
  String.UTF8.encodeUnsafe(changetype<usize>(shown), shown.length, buf);
  return len;
}

/** ext2_evict_inode() of an inode with no links left: its blocks and its number go back to the bitmaps. */
function ext2_evict_inode(inode: u32): void {
  if (!inodes.has(inode)) return;
  const ei = inodes.get(inode);
  if (!ei.s.readOnly) {
    truncateBlocks(ei, 0);
    inode_set_size(ei.handle, 0);
    freeInode(ei.s, ei.ino, ei.isDir);
    writeInode(ei, now());
  }
  forgetInode(ei);
}

/** fsync: the inode (with the VFS's times and mode) and the superblock's counts, then the device's dirty buffers, written. */
function ext2_fsync(file: u32): i32 {
  const ei = inodes.get(file_inode(file));
  if (ei.s.readOnly) return 0;
  if (!writeInode(ei)) return -5;
  ei.s.writeSuper(false);
  return sync_blockdev(ei.s.sb);
}

export function init_module(): i32 {
  dirIops.lookup = ext2_lookup.index;
  dirIops.create = ext2_create.index;
  dirIops.mkdir = ext2_mkdir.index;
  dirIops.mknod = ext2_mknod.index;
  dirIops.symlink = ext2_symlink.index;
  dirIops.unlink = ext2_unlink.index;
  dirIops.rmdir = ext2_rmdir.index;
  dirIops.rename = ext2_rename.index;
  dirFops.iterate = ext2_iterate.index;
  dirFops.fsync = ext2_fsync.index;
  dirIops.setattr = ext2_setattr.index;
  fileIops.setattr = ext2_setattr.index;
  fileFops.read = ext2_read.index;
  fileFops.write = ext2_write.index;
  fileFops.fsync = ext2_fsync.index;
  sops.evict_inode = ext2_evict_inode.index;
  sops.statfs = ext2_statfs.index;
  sops.show_options = ext2_show_options.index;
  fsType.name = "ext2";
  fsType.fs_flags = FS_REQUIRES_DEV;
  fsType.mount = ext2_mount.index;
  fsType.kill_sb = ext2_kill_sb.index;
  return register_filesystem(fsType);
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
