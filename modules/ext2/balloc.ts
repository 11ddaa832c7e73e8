// Block and inode allocation in the groups' bitmaps (fs/ext2/balloc.c and ialloc.c).
//
// A bitmap is one block per group; a set bit is a block (or inode) in use. Every change moves the group's
// free count and the superblock's with it, so that e2fsck finds them agreeing with the bitmaps.

import {
  BG_BLOCK_BITMAP, BG_FREE_BLOCKS, BG_FREE_INODES, BG_INODE_BITMAP, BG_USED_DIRS, ext2_error, Ext2Super, MAX_BLOCK, readBlock,
  S_FREE_BLOCKS, S_FREE_INODES, setErr, writeBytes,
} from "./super";

const ENOSPC: i32 = 28;
const bitmap = new Uint8Array(MAX_BLOCK);
/**
 * Which filesystem's bitmap block the buffer holds. Every change to a bitmap goes through it, so it stays
 * true; the changes reach the block's buffer when another block is needed and at flushBitmap().
 */
let held: Ext2Super | null = null;
let heldBlock: u32 = 0;
let heldDirty: bool = false;

/** The bitmap block into the buffer, unless it is there already (the one held written first if changed). */
function loadBitmap(s: Ext2Super, block: u32): bool {
  if (held === s && heldBlock == block) return true;
  flushBitmap();
  held = null;
  if (!readBlock(s, block, bitmap.dataStart)) return false;
  held = s;
  heldBlock = block;
  return true;
}

/** Write the bitmap held into its buffer if it changed (at the end of each operation, and before umount). */
export function flushBitmap(): void {
  const s = held;
  if (s === null || !heldDirty) return;
  heldDirty = false;
  writeBytes(s, heldBlock, 0, bitmap.dataStart, s.blockSize);
}

/** Forget the bitmap held, written first (at umount: the next mount may reuse the superblock's handle). */
export function forgetBitmap(): void {
  flushBitmap();
  held = null;
}

/** The first clear bit of the bitmap from `from` below `limit`, or -1. */
function findClear(from: u32, limit: u32): i32 {
  for (let bit = from; bit < limit; bit++) {
    const byte = <u32>load<u8>(bitmap.dataStart + <usize>(bit >> 3));
    if (byte == 0xff) {
      bit |= 7;
      continue;
    }
    if ((byte & (1 << (bit & 7))) == 0) return <i32>bit;
  }
  return -1;
}

/** Set or clear a bit in the bitmap held. */
function flip(bit: u32, set: bool): void {
  const at = bitmap.dataStart + <usize>(bit >> 3);
  const mask = <u8>(<u32>1 << (bit & 7));
  store<u8>(at, set ? load<u8>(at) | mask : load<u8>(at) & ~mask);
  heldDirty = true;
}

/** Blocks in a group: the last one stops at the end of the filesystem. */
function blocksIn(s: Ext2Super, group: u32): u32 {
  const first = s.firstDataBlock + group * s.blocksPerGroup;
  return min(s.blocksPerGroup, s.blocksCount - first);
}

/** ext2_new_block(): a free block, searched from goal's group on; 0 and ENOSPC when there is none. */
export function newBlock(s: Ext2Super, goal: u32): u32 {
  if (s.u32(S_FREE_BLOCKS) == 0) return fail(-ENOSPC);
  if (!s.blockValid(goal)) goal = s.lastBlock;
  if (!s.blockValid(goal)) goal = s.firstDataBlock;
  const start = (goal - s.firstDataBlock) / s.blocksPerGroup;
  for (let i: u32 = 0; i <= s.groups; i++) {
    const group = (start + i) % s.groups;
    if (s.descU16(group, BG_FREE_BLOCKS) == 0) continue;
    const bitmapBlock = s.descU32(group, BG_BLOCK_BITMAP);
    if (!loadBitmap(s, bitmapBlock)) return 0;
    const from = i == 0 ? (goal - s.firstDataBlock) % s.blocksPerGroup : 0;
    let bit = findClear(from, blocksIn(s, group));
    if (bit < 0 && from > 0) bit = findClear(0, from);
    if (bit < 0) {
      ext2_error(s, "ext2_new_blocks", `Free blocks count corrupted for block group ${group}`);
      return fail(-5);
    }
    flip(<u32>bit, true);
    s.addDesc(group, BG_FREE_BLOCKS, -1);
    s.setU32(S_FREE_BLOCKS, s.u32(S_FREE_BLOCKS) - 1);
    s.lastBlock = s.firstDataBlock + group * s.blocksPerGroup + <u32>bit;
    return s.lastBlock;
  }
  return fail(-ENOSPC);
}

/** ext2_free_blocks() of one block; a block outside the data area or already free is reported, not freed. */
export function freeBlock(s: Ext2Super, block: u32): void {
  if (!s.blockValid(block)) {
    ext2_error(s, "ext2_free_blocks", `Freeing blocks not in datazone - block = ${block}, count = 1`);
    return;
  }
  const group = (block - s.firstDataBlock) / s.blocksPerGroup;
  const bit = (block - s.firstDataBlock) % s.blocksPerGroup;
  if (!clearBit(s, s.descU32(group, BG_BLOCK_BITMAP), bit, "ext2_free_blocks", `block ${block}`)) return;
  s.addDesc(group, BG_FREE_BLOCKS, 1);
  s.setU32(S_FREE_BLOCKS, s.u32(S_FREE_BLOCKS) + 1);
}

/** ext2_new_inode()'s search: the parent's group first, then the others; 0 and ENOSPC when all are full. */
export function newInode(s: Ext2Super, parentIno: u32, isDir: bool): u32 {
  if (s.u32(S_FREE_INODES) == 0) return fail(-ENOSPC);
  const start = (parentIno - 1) / s.inodesPerGroup;
  for (let i: u32 = 0; i < s.groups; i++) {
    const group = (start + i) % s.groups;
    if (s.descU16(group, BG_FREE_INODES) == 0) continue;
    const bitmapBlock = s.descU32(group, BG_INODE_BITMAP);
    if (!loadBitmap(s, bitmapBlock)) return 0;
    const first: u32 = group == 0 ? s.firstIno - 1 : 0;
    const bit = findClear(first, s.inodesPerGroup);
    if (bit < 0) {
      ext2_error(s, "ext2_new_inode", `Free inodes count corrupted in group ${group}`);
      return fail(-5);
    }
    flip(<u32>bit, true);
    s.addDesc(group, BG_FREE_INODES, -1);
    if (isDir) s.addDesc(group, BG_USED_DIRS, 1);
    s.setU32(S_FREE_INODES, s.u32(S_FREE_INODES) - 1);
    return group * s.inodesPerGroup + <u32>bit + 1;
  }
  return fail(-ENOSPC);
}

/** ext2_free_inode(): its bit cleared and the counts moved back. */
export function freeInode(s: Ext2Super, ino: u32, isDir: bool): void {
  const group = (ino - 1) / s.inodesPerGroup;
  const bit = (ino - 1) % s.inodesPerGroup;
  if (!clearBit(s, s.descU32(group, BG_INODE_BITMAP), bit, "ext2_free_inode", `inode ${ino}`)) return;
  s.addDesc(group, BG_FREE_INODES, 1);
  if (isDir) s.addDesc(group, BG_USED_DIRS, -1);
  s.setU32(S_FREE_INODES, s.u32(S_FREE_INODES) + 1);
}

/** Clear a bit that must be set; one already clear is an ext2_error naming what it stands for, and nothing changes. */
function clearBit(s: Ext2Super, bitmapBlock: u32, bit: u32, fn: string, what: string): bool {
  if (!loadBitmap(s, bitmapBlock)) return false;
  if ((<u32>load<u8>(bitmap.dataStart + <usize>(bit >> 3)) & (<u32>1 << (bit & 7))) == 0) {
    ext2_error(s, fn, `bit already cleared for ${what}`);
    return false;
  }
  flip(bit, false);
  return true;
}

function fail(err: i32): u32 {
  setErr(err);
  return 0;
}
