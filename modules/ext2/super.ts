// The ext2 superblock and group descriptors in memory, block I/O through the buffer cache, and ext2_error
// (fs/ext2/super.c's half that the other files share).
//
// The on-disk superblock (1024 bytes at byte 1024) and every group descriptor are kept as read at mount,
// changed in memory, and written back into their buffers as they change (descriptors) or at umount and
// fsync (the superblock, whose free counts Linux also writes only then).

import {
  bh_read, bh_write, brelse, KERN_CRIT, mark_buffer_dirty, printk, sb_bread, sb_getblk, sb_set_rdonly, sync_dirty_buffer,
} from "../../abi/include/kernel";

export const EXT2_VALID_FS: u16 = 1;
export const EXT2_ERROR_FS: u16 = 2;
export const EXT2_ERRORS_CONTINUE: i32 = 1;
export const EXT2_ERRORS_RO: i32 = 2;
export const EXT2_ERRORS_PANIC: i32 = 3;
export const EXT2_ROOT_INO: u32 = 2;
export const EXT2_NDIR_BLOCKS: i32 = 12;
export const EXT2_N_BLOCKS: i32 = 15;
export const INCOMPAT_FILETYPE: u32 = 0x2;
export const INCOMPAT_SUPP: u32 = INCOMPAT_FILETYPE;
/** sparse_super, large_file and btree_dir (dir_index directories are read and written as linear ones). */
export const RO_COMPAT_SUPP: u32 = 0x1 | 0x2 | 0x4;
export const MAX_BLOCK: i32 = 4096;

/** Superblock field offsets (struct ext2_super_block). */
export const S_INODES_COUNT = 0;
export const S_BLOCKS_COUNT = 4;
export const S_R_BLOCKS_COUNT = 8;
export const S_FREE_BLOCKS = 12;
export const S_FREE_INODES = 16;
export const S_FIRST_DATA_BLOCK = 20;
export const S_LOG_BLOCK_SIZE = 24;
export const S_BLOCKS_PER_GROUP = 32;
export const S_INODES_PER_GROUP = 40;
export const S_MTIME = 44;
export const S_WTIME = 48;
export const S_MNT_COUNT = 52;
export const S_MAGIC = 56;
export const S_STATE = 58;
export const S_ERRORS = 60;
export const S_REV_LEVEL = 76;
export const S_FIRST_INO = 84;
export const S_INODE_SIZE = 88;
export const S_FEATURE_INCOMPAT = 96;
export const S_FEATURE_RO_COMPAT = 100;

/** Group descriptor field offsets (struct ext2_group_desc, 32 bytes). */
export const BG_BLOCK_BITMAP = 0;
export const BG_INODE_BITMAP = 4;
export const BG_INODE_TABLE = 8;
export const BG_FREE_BLOCKS = 12;
export const BG_FREE_INODES = 14;
export const BG_USED_DIRS = 16;
export const DESC_SIZE: i32 = 32;

/** The errno of the last operation that failed inside a function whose result cannot carry it. */
export let lastErr: i32 = 0;
export function setErr(err: i32): void {
  lastErr = err;
}

/** The last operation's errno, or err when it set none. */
export function errOr(err: i32): i32 {
  return lastErr != 0 ? lastErr : err;
}

export class Ext2Super {
  /** The on-disk superblock, as read and changed since. */
  raw: Uint8Array = new Uint8Array(1024);
  /** Every group descriptor, in order. */
  desc: Uint8Array = new Uint8Array(0);
  /** Each ext2 inode number the VFS holds, and its handle there. */
  inodes: Map<u32, u32> = new Map<u32, u32>();
  id: string = "";
  blockSize: i32 = 1024;
  blocksCount: u32 = 0;
  inodesCount: u32 = 0;
  firstDataBlock: u32 = 0;
  blocksPerGroup: u32 = 0;
  inodesPerGroup: u32 = 0;
  groups: u32 = 0;
  inodeSize: i32 = 128;
  firstIno: u32 = 11;
  filetype: bool = false;
  /** errors= as mounted: EXT2_ERRORS_CONTINUE, _RO or _PANIC. */
  errors: i32 = EXT2_ERRORS_CONTINUE;
  readOnly: bool = false;
  /** The block the last allocation took, where the next search starts. */
  lastBlock: u32 = 0;
  /** Descriptor blocks (by index from the first) changed since flushDesc(). */
  descDirty: Set<u32> = new Set<u32>();

  constructor(public sb: u32) {}

  u32(off: i32): u32 {
    return load<u32>(this.raw.dataStart + <usize>off);
  }

  setU32(off: i32, v: u32): void {
    store<u32>(this.raw.dataStart + <usize>off, v);
  }

  u16(off: i32): u16 {
    return load<u16>(this.raw.dataStart + <usize>off);
  }

  setU16(off: i32, v: u16): void {
    store<u16>(this.raw.dataStart + <usize>off, v);
  }

  descU32(group: u32, off: i32): u32 {
    return load<u32>(this.desc.dataStart + <usize>(group * DESC_SIZE + off));
  }

  descU16(group: u32, off: i32): u16 {
    return load<u16>(this.desc.dataStart + <usize>(group * DESC_SIZE + off));
  }

  /** Add delta to a 16-bit descriptor count; flushDesc() writes it. */
  addDesc(group: u32, off: i32, delta: i32): void {
    const at = this.desc.dataStart + <usize>(group * DESC_SIZE + off);
    store<u16>(at, <u16>(<i32>load<u16>(at) + delta));
    const perBlock = <u32>(this.blockSize / DESC_SIZE);
    this.descDirty.add(group / perBlock);
  }

  /** The descriptor blocks that changed, into their buffers (at the end of each operation, and at umount). */
  flushDesc(): void {
    if (this.readOnly || this.descDirty.size == 0) return;
    const blocks = this.descDirty.values();
    this.descDirty.clear();
    for (let i = 0; i < blocks.length; i++) {
      const n = blocks[i];
      writeBytes(this, this.firstDataBlock + 1 + n, 0, this.desc.dataStart + <usize>(n * <u32>this.blockSize), this.blockSize);
    }
  }

  /** The superblock into its buffer (the 1024 bytes at byte 1024), and written now when asked. */
  writeSuper(wait: bool): void {
    if (this.readOnly) return;
    const block: u32 = this.blockSize == 1024 ? 1 : 0;
    const off: i32 = this.blockSize == 1024 ? 0 : 1024;
    const bh = sb_bread(this.sb, block);
    if (bh == 0) return;
    bh_write(bh, off, this.raw.dataStart, 1024);
    mark_buffer_dirty(bh);
    if (wait) sync_dirty_buffer(bh);
    brelse(bh);
  }

  blockValid(block: u32): bool {
    return block >= this.firstDataBlock && block < this.blocksCount;
  }
}

/** Read a whole block into buf; false (and EIO) when the device cannot. */
export function readBlock(s: Ext2Super, block: u32, buf: usize): bool {
  const bh = sb_bread(s.sb, block);
  if (bh == 0) {
    lastErr = -5;
    return false;
  }
  bh_read(bh, 0, buf, <u32>s.blockSize);
  brelse(bh);
  return true;
}

/** Write n bytes at off of a block (read first unless the whole block is written); false (and EIO) on failure. */
export function writeBytes(s: Ext2Super, block: u32, off: i32, from: usize, n: i32): bool {
  const bh = off == 0 && n == s.blockSize ? sb_getblk(s.sb, block) : sb_bread(s.sb, block);
  if (bh == 0) {
    lastErr = -5;
    return false;
  }
  const err = bh_write(bh, <u32>off, from, <u32>n);
  if (err == 0) mark_buffer_dirty(bh);
  brelse(bh);
  if (err != 0) lastErr = err;
  return err == 0;
}

/**
 * ext2_error(): the filesystem is inconsistent. The superblock records it (e2fsck then checks), the message
 * names the device, the function and the problem, and errors= decides what follows: continue, remount
 * read-only, or (panic) the same as remount-ro here, after saying that Linux would panic.
 */
export function ext2_error(s: Ext2Super, fn: string, msg: string): void {
  if (!s.readOnly) {
    s.setU16(S_STATE, s.u16(S_STATE) | EXT2_ERROR_FS);
    s.writeSuper(true);
  }
  printk(KERN_CRIT + "EXT2-fs (%s): error: %s: %s\n", s.id, fn, msg);
  if (s.errors == EXT2_ERRORS_PANIC) printk(KERN_CRIT + "EXT2-fs: panic from previous error\n");
  if (!s.readOnly && s.errors != EXT2_ERRORS_CONTINUE) {
    ext2_msg(s, KERN_CRIT, "error: remounting filesystem read-only");
    s.readOnly = true;
    sb_set_rdonly(s.sb);
  }
}

/** ext2_msg(): a line about this filesystem at a KERN_* level, "EXT2-fs (loop0): ...". */
export function ext2_msg(s: Ext2Super, level: string, msg: string): void {
  printk(level + "EXT2-fs (%s): %s\n", s.id, msg);
}
