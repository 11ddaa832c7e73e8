// ext2 inodes (fs/ext2/inode.c): reading and writing them in the inode tables, the map from a file's
// blocks to the disk's through direct, indirect, double and triple indirect blocks, and truncation.
//
//   i_block[0..11]  data blocks
//   i_block[12]  → a block of P pointers to data            (P = block size / 4)
//   i_block[13]  → P pointers to blocks of P pointers
//   i_block[14]  → three levels
//
// A pointer of 0 is a hole: it reads as zeros, and a write there allocates the block (and the indirect
// blocks above it, zeroed). Every pointer is checked against the filesystem's size before it is used.

import {
  inode_get_atime, inode_get_ctime, inode_get_gid, inode_get_mode, inode_get_mtime, inode_get_nlink, inode_get_size, inode_get_uid,
  inode_set_blocks, inode_set_ino, inode_set_link, inode_set_owner, inode_set_rdev, inode_set_size, inode_set_times, new_inode, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, set_nlink,
} from "../../abi/include/kernel";
import { flushBitmap, freeBlock, newBlock } from "./balloc";
import { setOps } from "./ops";
import {
  BG_INODE_TABLE, ext2_error, Ext2Super, EXT2_N_BLOCKS, EXT2_NDIR_BLOCKS, lastErr, MAX_BLOCK, readBlock, setErr, writeBytes,
} from "./super";

const EIO: i32 = 5;
const EFBIG: i32 = 27;

/** struct ext2_inode's offsets. */
const I_MODE = 0;
const I_UID = 2;
const I_SIZE = 4;
const I_ATIME = 8;
const I_CTIME = 12;
const I_MTIME = 16;
const I_DTIME = 20;
const I_GID = 24;
const I_LINKS = 26;
const I_BLOCKS = 28;
const I_FLAGS = 32;
const I_BLOCK = 40;
const I_SIZE_HIGH = 108;
const I_UID_HIGH = 120;
const I_GID_HIGH = 122;
/** The htree flag: a dir_index directory, which this driver reads and writes as linear and so clears. */
export const EXT2_INDEX_FL: u32 = 0x1000;

export class Ext2Inode {
  /** The inode as on disk (s_inode_size bytes), so that fields this driver does not know are kept. */
  raw: Uint8Array;
  block: StaticArray<u32> = new StaticArray<u32>(EXT2_N_BLOCKS);
  /** i_blocks: 512-byte sectors of data and indirect blocks. */
  sectors: u32 = 0;
  flags: u32 = 0;

  constructor(public s: Ext2Super, public ino: u32, public handle: u32) {
    this.raw = new Uint8Array(s.inodeSize);
  }

  get mode(): u32 {
    return <u32>inode_get_mode(this.handle);
  }

  get isDir(): bool {
    return (this.mode & S_IFMT) == S_IFDIR;
  }

  /** A symlink whose target sits in i_block itself (no data block). */
  get fastSymlink(): bool {
    return (this.mode & S_IFMT) == S_IFLNK && this.sectors == 0;
  }
}

/** Each VFS inode handle's ext2 inode. */
export const inodes = new Map<u32, Ext2Inode>();
const ind = new StaticArray<Uint8Array>(4);
for (let i = 0; i < 4; i++) ind[i] = new Uint8Array(MAX_BLOCK);
/** The superblock and block each level's indirect buffer holds (0: none), so a sequential pass reads each once. */
const indSb = new StaticArray<u32>(4);
const indBlock = new StaticArray<u32>(4);

function loadInd(s: Ext2Super, level: i32, block: u32): bool {
  if (indSb[level] == s.sb && indBlock[level] == block) return true;
  indSb[level] = 0;
  if (!readBlock(s, block, ind[level].dataStart)) return false;
  indSb[level] = s.sb;
  indBlock[level] = block;
  return true;
}

/** Forget what the indirect buffers hold: blocks were freed (and may come back as data), or a superblock went. */
export function forgetIndirect(): void {
  for (let i = 0; i < 4; i++) indSb[i] = 0;
}
const zeros = new Uint8Array(MAX_BLOCK);
const linkBuf = new Uint8Array(MAX_BLOCK);

/** Where an inode sits: its inode table block and the byte offset in it. */
function locate(s: Ext2Super, ino: u32): u64 {
  const group = (ino - 1) / s.inodesPerGroup;
  const byte = <u64>((ino - 1) % s.inodesPerGroup) * <u64>s.inodeSize;
  const block = <u64>s.descU32(group, BG_INODE_TABLE) + byte / <u64>s.blockSize;
  return (block << 32) | (byte % <u64>s.blockSize);
}

/** ext2_iget(): the VFS inode of ext2 inode ino, made from its table entry the first time; 0 and the errno on failure. */
export function iget(s: Ext2Super, ino: u32): u32 {
  if (s.inodes.has(ino)) return s.inodes.get(ino);
  if (ino < 1 || ino > s.inodesCount || (ino != 2 && ino < s.firstIno)) {
    ext2_error(s, "ext2_get_inode", `bad inode number: ${ino}`);
    return fail(-EIO);
  }
  const where = locate(s, ino);
  const raw = ind[0];
  if (!readBlock(s, <u32>(where >> 32), raw.dataStart)) return 0;
  const at = raw.dataStart + <usize>(where & 0xffffffff);
  const mode = <u32>load<u16>(at + I_MODE);
  const links = load<u16>(at + I_LINKS);
  if (links == 0 && (mode == 0 || load<u32>(at + I_DTIME) != 0)) {
    ext2_error(s, "ext2_lookup", `deleted inode referenced: ${ino}`);
    return fail(-EIO);
  }
  if ((mode & S_IFMT) == S_IFREG && load<u32>(at + I_SIZE_HIGH) != 0) return fail(-EFBIG);
  const handle = new_inode(s.sb, mode);
  if (handle == 0) return fail(-12);
  const ei = new Ext2Inode(s, ino, handle);
  memory.copy(ei.raw.dataStart, at, <usize>s.inodeSize);
  for (let i = 0; i < EXT2_N_BLOCKS; i++) ei.block[i] = load<u32>(at + I_BLOCK + <usize>(i * 4));
  ei.sectors = load<u32>(at + I_BLOCKS);
  ei.flags = load<u32>(at + I_FLAGS);
  inode_set_ino(handle, ino);
  set_nlink(handle, links);
  inode_set_size(handle, <i32>min<u32>(load<u32>(at + I_SIZE), 0x7fffffff));
  inode_set_blocks(handle, ei.sectors);
  const uid = <u32>load<u16>(at + I_UID) | (<u32>load<u16>(at + I_UID_HIGH) << 16);
  inode_set_owner(handle, uid, <u32>load<u16>(at + I_GID) | (<u32>load<u16>(at + I_GID_HIGH) << 16));
  inode_set_times(handle, <i64>load<u32>(at + I_ATIME), <i64>load<u32>(at + I_MTIME), <i64>load<u32>(at + I_CTIME));
  const type = mode & S_IFMT;
  if (type == S_IFCHR || type == S_IFBLK) inode_set_rdev(handle, ei.block[0] != 0 ? ei.block[0] : ei.block[1]);
  setOps(handle, mode);
  inodes.set(handle, ei);
  s.inodes.set(ino, handle);
  if (type == S_IFLNK && !setLink(ei)) {
    forgetInode(ei);
    return 0;
  }
  return handle;
}

/** A symlink's target into the VFS: from i_block for a fast one, from its first block for a slow one. */
function setLink(ei: Ext2Inode): bool {
  const len = inode_get_size(ei.handle);
  if (ei.fastSymlink) {
    if (len >= 60) {
      ext2_error(ei.s, "ext2_iget", `inode ${ei.ino}: fast symlink of ${len} bytes`);
      return fail(-EIO) != 0;
    }
    inode_set_link(ei.handle, ei.raw.dataStart + I_BLOCK, len);
    return true;
  }
  const block = bmap(ei, 0, false);
  if (block == 0 || len > ei.s.blockSize) {
    if (lastErr == 0) ext2_error(ei.s, "ext2_iget", `inode ${ei.ino}: symlink without its block`);
    return fail(-EIO) != 0;
  }
  if (!readBlock(ei.s, block, linkBuf.dataStart)) return false;
  inode_set_link(ei.handle, linkBuf.dataStart, len);
  return true;
}

/** A new inode the VFS and the disk share: number ino, just allocated; written once its fields are set. */
export function newInodeFor(s: Ext2Super, ino: u32, mode: u32): Ext2Inode | null {
  const handle = new_inode(s.sb, mode);
  if (handle == 0) {
    setErr(-12);
    return null;
  }
  inode_set_ino(handle, ino);
  setOps(handle, mode);
  const ei = new Ext2Inode(s, ino, handle);
  inodes.set(handle, ei);
  s.inodes.set(ino, handle);
  return ei;
}

export function forgetInode(ei: Ext2Inode): void {
  inodes.delete(ei.handle);
  ei.s.inodes.delete(ei.ino);
}

/** A device inode's number where ext2 keeps it: old_encode_dev in i_block[0] when it fits 16 bits, new_encode_dev in i_block[1] when not. */
export function setRdev(ei: Ext2Inode, rdev: u32): void {
  ei.block[0] = rdev < 0x10000 ? rdev : 0;
  ei.block[1] = rdev < 0x10000 ? 0 : rdev;
}

/** ext2_write_inode(): the VFS's view of the inode (mode, owner, times, links, size) and the block map, into its table block. */
export function writeInode(ei: Ext2Inode, dtime: u32 = 0): bool {
  const s = ei.s;
  if (s.readOnly) return true;
  // Every operation that takes or frees blocks or inodes ends by writing an inode: the bitmaps and counts go with it.
  flushBitmap();
  s.flushDesc();
  const at = ei.raw.dataStart;
  const h = ei.handle;
  const uid = inode_get_uid(h);
  const gid = inode_get_gid(h);
  store<u16>(at + I_MODE, <u16>ei.mode);
  store<u16>(at + I_UID, <u16>uid);
  store<u16>(at + I_UID_HIGH, <u16>(uid >> 16));
  store<u16>(at + I_GID, <u16>gid);
  store<u16>(at + I_GID_HIGH, <u16>(gid >> 16));
  store<u32>(at + I_SIZE, <u32>inode_get_size(h));
  store<u32>(at + I_ATIME, <u32>inode_get_atime(h));
  store<u32>(at + I_MTIME, <u32>inode_get_mtime(h));
  store<u32>(at + I_CTIME, <u32>inode_get_ctime(h));
  store<u32>(at + I_DTIME, dtime);
  store<u16>(at + I_LINKS, <u16>inode_get_nlink(ei.handle));
  store<u32>(at + I_BLOCKS, ei.sectors);
  store<u32>(at + I_FLAGS, ei.flags);
  if (!ei.fastSymlink) for (let i = 0; i < EXT2_N_BLOCKS; i++) store<u32>(at + I_BLOCK + <usize>(i * 4), ei.block[i]);
  const where = locate(s, ei.ino);
  return writeBytes(s, <u32>(where >> 32), <i32>(where & 0xffffffff), at, s.inodeSize);
}

/** The depth of logical block lblk's branch (0: direct) and its index at each level, in path[0..depth]. */
const path = new StaticArray<u32>(4);
function branch(s: Ext2Super, lblk: u32): i32 {
  const p = <u32>(s.blockSize / 4);
  if (lblk < <u32>EXT2_NDIR_BLOCKS) {
    path[0] = lblk;
    return 0;
  }
  let n = lblk - EXT2_NDIR_BLOCKS;
  if (n < p) {
    path[0] = 12;
    path[1] = n;
    return 1;
  }
  n -= p;
  if (<u64>n < <u64>p * p) {
    path[0] = 13;
    path[1] = n / p;
    path[2] = n % p;
    return 2;
  }
  n -= p * p;
  path[0] = 14;
  path[1] = n / (p * p);
  path[2] = (n / p) % p;
  path[3] = n % p;
  return 3;
}

/** A new block for ei near goal, counted in its i_blocks; zeroed first when asked (indirect blocks). */
function allocFor(ei: Ext2Inode, goal: u32, zero: bool): u32 {
  const block = newBlock(ei.s, goal);
  if (block == 0) return 0;
  if (zero && !writeBytes(ei.s, block, 0, zeros.dataStart, ei.s.blockSize)) {
    freeBlock(ei.s, block);
    return 0;
  }
  ei.sectors += <u32>(ei.s.blockSize / 512);
  return block;
}

/** Whether the last bmap(create) allocated the data block it returned (its old contents are garbage). */
export let freshBlock: bool = false;

/**
 * ext2_get_block(): the disk block of logical block lblk, allocated (with its indirect blocks) when create
 * is set and it is a hole. 0 for a hole, or on failure with lastErr set (ENOSPC, EIO for a bad pointer).
 */
export function bmap(ei: Ext2Inode, lblk: u32, create: bool): u32 {
  const s = ei.s;
  setErr(0);
  freshBlock = false;
  if (lblk >= maxBlocks(s)) return create ? fail(-EFBIG) : 0;
  const depth = branch(s, lblk);
  let ptr = ei.block[path[0]];
  if (ptr == 0) {
    if (!create) return 0;
    ptr = allocFor(ei, s.lastBlock, depth > 0);
    if (ptr == 0) return 0;
    ei.block[path[0]] = ptr;
    freshBlock = depth == 0;
  } else if (!checkPtr(ei, ptr, lblk)) return 0;
  for (let level = 1; level <= depth; level++) {
    const buf = ind[level];
    if (!loadInd(s, level, ptr)) return 0;
    const slot = buf.dataStart + <usize>(path[level] * 4);
    let next = load<u32>(slot);
    if (next == 0) {
      if (!create) return 0;
      next = allocFor(ei, ptr, level < depth);
      if (next == 0) return 0;
      store<u32>(slot, next);
      if (!writeBytes(s, ptr, <i32>(path[level] * 4), slot, 4)) return 0;
      freshBlock = level == depth;
    } else if (!checkPtr(ei, next, lblk)) return 0;
    ptr = next;
  }
  return ptr;
}

function checkPtr(ei: Ext2Inode, block: u32, lblk: u32): bool {
  if (ei.s.blockValid(block)) return true;
  ext2_error(ei.s, "ext2_get_branch", `inode ${ei.ino}: block ${lblk} maps to ${block}, outside the filesystem (${ei.s.blocksCount} blocks)`);
  return fail(-EIO) != 0;
}

/** Logical blocks a file can have: 12 + P + P^2 + P^3, capped at what 32-bit sizes reach. */
function maxBlocks(s: Ext2Super): u32 {
  const p = <u64>(s.blockSize / 4);
  const n = 12 + p + p * p + p * p * p;
  const cap = <u64>0x80000000 / <u64>s.blockSize;
  return <u32>min(n, cap);
}

/**
 * ext2_truncate_blocks(): free every block from logical block `from` on, and the indirect blocks left
 * empty by it. Pointers that are out of range are reported and dropped, not freed.
 */
export function truncateBlocks(ei: Ext2Inode, from: u32): void {
  const type = ei.mode & S_IFMT;
  // A device's i_block holds its number and a fast symlink's its target: neither has blocks.
  if ((type != S_IFREG && type != S_IFDIR && type != S_IFLNK) || ei.fastSymlink) return;
  forgetIndirect();
  const s = ei.s;
  const p = <u64>(s.blockSize / 4);
  for (let i = <i32>min<u32>(from, 12); i < EXT2_NDIR_BLOCKS; i++) release(ei, i, 0);
  let base: u64 = 12;
  let span: u64 = p;
  for (let level = 1; level <= 3; level++) {
    const slot = 11 + level;
    if (<u64>from <= base) release(ei, slot, level);
    else if (<u64>from < base + span && ei.block[slot] != 0) {
      if (checkPtr(ei, ei.block[slot], <u32>base)) truncPartial(ei, ei.block[slot], level, <u64>from - base);
    }
    base += span;
    span *= p;
  }
}

/** Free i_block[slot] and everything below it (level: its depth of indirection). */
function release(ei: Ext2Inode, slot: i32, level: i32): void {
  const block = ei.block[slot];
  if (block == 0) return;
  ei.block[slot] = 0;
  freeTree(ei, block, level);
}

function freeTree(ei: Ext2Inode, block: u32, level: i32): void {
  if (!ei.s.blockValid(block)) {
    ext2_error(ei.s, "ext2_free_branches", `inode ${ei.ino}: block ${block} outside the filesystem`);
    return;
  }
  if (level > 0) {
    const buf = ind[level];
    if (readBlock(ei.s, block, buf.dataStart)) {
      const p = ei.s.blockSize / 4;
      for (let i = 0; i < p; i++) {
        const child = load<u32>(buf.dataStart + <usize>(i * 4));
        // Each level has its own buffer, so freeing the children leaves this one intact.
        if (child != 0) freeTree(ei, child, level - 1);
      }
    }
  }
  freeBlock(ei.s, block);
  ei.sectors -= <u32>(ei.s.blockSize / 512);
}

/** Free the entries of an indirect block that map logical blocks `from` (relative to it) on. */
function truncPartial(ei: Ext2Inode, block: u32, level: i32, from: u64): void {
  const s = ei.s;
  const p = <u64>(s.blockSize / 4);
  let per: u64 = 1;
  for (let i = 1; i < level; i++) per *= p;
  const buf = ind[level];
  if (!readBlock(s, block, buf.dataStart)) return;
  const first = <i32>(from / per);
  const rem = from % per;
  let start = first;
  if (rem != 0) {
    const child = load<u32>(buf.dataStart + <usize>(first * 4));
    if (child != 0 && checkPtr(ei, child, 0)) truncPartial(ei, child, level - 1, rem);
    start = first + 1;
  }
  for (let i = start; i < <i32>p; i++) {
    const at = buf.dataStart + <usize>(i * 4);
    const child = load<u32>(at);
    if (child == 0) continue;
    store<u32>(at, 0);
    freeTree(ei, child, level - 1);
  }
  writeBytes(s, block, 0, buf.dataStart, s.blockSize);
  forgetIndirect();
}

function fail(err: i32): u32 {
  setErr(err);
  return 0;
}
