// ext2 directories (fs/ext2/dir.c): blocks of entries chained by rec_len, read, searched, added to and
// removed from in place. Each block is checked as ext2_check_folio() checks it before it is used; a bad
// entry is an ext2_error naming the directory, the offset and the fields, and the operation gets EIO.
//
//   struct ext2_dir_entry_2 { u32 inode; u16 rec_len; u8 name_len; u8 file_type; char name[]; }
//
// dir_index directories are read and written as linear ones: their index blocks look like empty entries
// spanning the block, and a changed directory loses its index flag, as Linux's ext3 without dir_index does.

import {
  dir_ctx_set_pos, dir_emit, inode_get_size, inode_set_size, inode_touch, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT,
  S_IFREG, S_IFSOCK,
} from "../../abi/include/kernel";
import { bmap, Ext2Inode, EXT2_INDEX_FL, writeInode } from "./inode";
import { errOr, ext2_error, lastErr, MAX_BLOCK, readBlock, setErr, writeBytes } from "./super";

const EIO: i32 = 5;
const buf = new Uint8Array(MAX_BLOCK);
const DT_OF_FT: StaticArray<u32> = [0, 8, 4, 2, 6, 1, 12, 10];

/** EXT2_DIR_REC_LEN(): an entry's size for a name of n bytes, rounded to 4. */
export function recLen(n: i32): i32 {
  return (8 + n + 3) & ~3;
}

/** The file_type byte of an inode of that mode (EXT2_FT_*). */
export function fileType(mode: u32): u8 {
  switch (mode & S_IFMT) {
    case S_IFREG: return 1;
    case S_IFDIR: return 2;
    case S_IFCHR: return 3;
    case S_IFBLK: return 4;
    case S_IFIFO: return 5;
    case S_IFSOCK: return 6;
    case S_IFLNK: return 7;
  }
  return 0;
}

function entInode(offs: i32): u32 {
  return load<u32>(buf.dataStart + <usize>offs);
}

function entRecLen(offs: i32): i32 {
  return <i32>load<u16>(buf.dataStart + <usize>offs + 4);
}

function entNameLen(offs: i32): i32 {
  return <i32>load<u8>(buf.dataStart + <usize>offs + 6);
}

function blocks(dir: Ext2Inode): u32 {
  return <u32>(inode_get_size(dir.handle) / dir.s.blockSize);
}

/** Read block n of dir into buf and check every entry; false (and EIO) if it cannot be trusted. */
function readDirBlock(dir: Ext2Inode, n: u32): bool {
  const s = dir.s;
  const block = bmap(dir, n, false);
  if (block == 0) {
    if (lastErr != 0) return false;
    buf.fill(0, 0, s.blockSize);
  } else if (!readBlock(s, block, buf.dataStart)) return false;
  const limit = s.blockSize;
  let offs = 0;
  let error = "";
  while (offs <= limit - 12) {
    const rec = entRecLen(offs);
    const nameLen = entNameLen(offs);
    if (rec < 12) error = "rec_len is smaller than minimal";
    else if ((rec & 3) != 0) error = "unaligned directory entry";
    else if (rec < recLen(nameLen)) error = "rec_len is too small for name_len";
    else if (offs + rec > limit) error = "directory entry across blocks";
    else if (entInode(offs) > s.inodesCount) error = "inode out of bounds";
    if (error.length > 0) {
      const pos = <u64>n * <u64>limit + <u64>offs;
      ext2_error(s, "ext2_check_folio", `bad entry in directory #${dir.ino}: : ${error} - offset=${pos}, inode=${entInode(offs)}, rec_len=${rec}, name_len=${nameLen}`);
      setErr(-EIO);
      return false;
    }
    offs += rec;
  }
  if (offs != limit) {
    ext2_error(s, "ext2_check_folio", `entry in directory #${dir.ino} spans the page boundary offset=${<u64>n * <u64>limit + <u64>offs}`);
    setErr(-EIO);
    return false;
  }
  return true;
}

/** ext2_readdir(): entries from byte position pos, each followed by the position after it. */
export function readdir(dir: Ext2Inode, ctx: u32, pos: i32, nameBuf: usize): i32 {
  const bs = dir.s.blockSize;
  const n = blocks(dir);
  for (let b = <u32>(pos / bs); b < n; b++) {
    if (!readDirBlock(dir, b)) return -EIO;
    const base = <i32>b * bs;
    for (let offs = 0; offs < bs; offs += entRecLen(offs)) {
      if (base + offs < pos || entInode(offs) == 0) continue;
      const len = entNameLen(offs);
      memory.copy(nameBuf, buf.dataStart + <usize>offs + 8, <usize>len);
      const ft = load<u8>(buf.dataStart + <usize>offs + 7);
      const type = dir.s.filetype && ft < 8 ? DT_OF_FT[ft] : 0;
      if (!dir_emit(ctx, nameBuf, len, <i32>entInode(offs), type)) return 0;
      dir_ctx_set_pos(ctx, base + offs + entRecLen(offs));
    }
  }
  return 0;
}

/** Where find() found its entry: the directory block, the entry's offset, and the previous entry's (-1 for none). */
export let foundBlock: u32 = 0;
export let foundOffs: i32 = 0;
let prevOffs: i32 = -1;

/** ext2_find_entry(): the inode number of name in dir (0 if absent, or on error with lastErr set). */
export function find(dir: Ext2Inode, name: usize, len: i32): u32 {
  setErr(0);
  const n = blocks(dir);
  for (let b: u32 = 0; b < n; b++) {
    if (!readDirBlock(dir, b)) return 0;
    let prev = -1;
    for (let offs = 0; offs < dir.s.blockSize; offs += entRecLen(offs)) {
      const ino = entInode(offs);
      if (ino != 0 && entNameLen(offs) == len && memory.compare(buf.dataStart + <usize>offs + 8, name, <usize>len) == 0) {
        foundBlock = b;
        foundOffs = offs;
        prevOffs = prev;
        return ino;
      }
      prev = offs;
    }
  }
  return 0;
}

/** The directory changed: its times move, its index (if any) no longer holds, and its inode is written. */
function changed(dir: Ext2Inode): void {
  dir.flags &= ~EXT2_INDEX_FL;
  inode_touch(dir.handle, true);
  writeInode(dir);
}

function putEntry(offs: i32, ino: u32, rec: i32, name: usize, len: i32, ft: u8): void {
  const at = buf.dataStart + <usize>offs;
  store<u32>(at, ino);
  store<u16>(at + 4, <u16>rec);
  store<u8>(at + 6, <u8>len);
  store<u8>(at + 7, ft);
  memory.copy(at + 8, name, <usize>len);
}

function writeDirBlock(dir: Ext2Inode, n: u32): bool {
  const block = bmap(dir, n, false);
  return block != 0 && writeBytes(dir.s, block, 0, buf.dataStart, dir.s.blockSize);
}

/** ext2_add_link(): name → ino in the first gap big enough, or in a new block at the end. 0 or -errno. */
export function addLink(dir: Ext2Inode, name: usize, len: i32, ino: u32, mode: u32): i32 {
  const s = dir.s;
  const need = recLen(len);
  const ft = s.filetype ? fileType(mode) : 0;
  const n = blocks(dir);
  for (let b: u32 = 0; b < n; b++) {
    if (!readDirBlock(dir, b)) return -EIO;
    for (let offs = 0; offs < s.blockSize; offs += entRecLen(offs)) {
      const rec = entRecLen(offs);
      const used = entInode(offs) == 0 ? 0 : recLen(entNameLen(offs));
      if (rec - used < need) continue;
      if (used > 0) store<u16>(buf.dataStart + <usize>offs + 4, <u16>used);
      putEntry(offs + used, ino, rec - used, name, len, ft);
      if (!writeDirBlock(dir, b)) return -EIO;
      changed(dir);
      return 0;
    }
  }
  const block = bmap(dir, n, true);
  if (block == 0) return errOr(-EIO);
  buf.fill(0, 0, s.blockSize);
  putEntry(0, ino, s.blockSize, name, len, ft);
  if (!writeBytes(s, block, 0, buf.dataStart, s.blockSize)) return -EIO;
  inode_set_size(dir.handle, <i32>(n + 1) * s.blockSize);
  changed(dir);
  return 0;
}

/** ext2_delete_entry() of what find() found last: merged into the entry before it, or emptied if first. */
export function deleteFound(dir: Ext2Inode): i32 {
  if (!readDirBlock(dir, foundBlock)) return -EIO;
  if (prevOffs >= 0) store<u16>(buf.dataStart + <usize>prevOffs + 4, <u16>(entRecLen(prevOffs) + entRecLen(foundOffs)));
  else store<u32>(buf.dataStart + <usize>foundOffs, 0);
  if (!writeDirBlock(dir, foundBlock)) return -EIO;
  changed(dir);
  return 0;
}

/** ext2_set_link(): the entry find() found now names ino (rename over a name, a moved directory's ".."). */
export function setFound(dir: Ext2Inode, ino: u32, mode: u32): i32 {
  if (!readDirBlock(dir, foundBlock)) return -EIO;
  store<u32>(buf.dataStart + <usize>foundOffs, ino);
  store<u8>(buf.dataStart + <usize>foundOffs + 7, dir.s.filetype ? fileType(mode) : 0);
  if (!writeDirBlock(dir, foundBlock)) return -EIO;
  changed(dir);
  return 0;
}

/** ext2_empty_dir(): nothing but "." and ".."; a directory that cannot be read counts as not empty. */
export function isEmpty(dir: Ext2Inode): bool {
  const n = blocks(dir);
  for (let b: u32 = 0; b < n; b++) {
    if (!readDirBlock(dir, b)) return false;
    for (let offs = 0; offs < dir.s.blockSize; offs += entRecLen(offs)) {
      if (entInode(offs) == 0) continue;
      const len = entNameLen(offs);
      const c0 = load<u8>(buf.dataStart + <usize>offs + 8);
      const c1 = load<u8>(buf.dataStart + <usize>offs + 9);
      const dot = len == 1 && c0 == 0x2e;
      const dotdot = len == 2 && c0 == 0x2e && c1 == 0x2e;
      if (!dot && !dotdot) return false;
    }
  }
  return true;
}

const DOT: StaticArray<u8> = [0x2e, 0x2e];

/** ext2_make_empty(): a new directory's first block, "." and "..". 0 or -errno. */
export function makeEmpty(dir: Ext2Inode, parentIno: u32): i32 {
  const s = dir.s;
  const block = bmap(dir, 0, true);
  if (block == 0) return errOr(-EIO);
  buf.fill(0, 0, s.blockSize);
  const ft: u8 = s.filetype ? 2 : 0;
  putEntry(0, dir.ino, 12, changetype<usize>(DOT), 1, ft);
  putEntry(12, parentIno, s.blockSize - 12, changetype<usize>(DOT), 2, ft);
  if (!writeBytes(s, block, 0, buf.dataStart, s.blockSize)) return -EIO;
  inode_set_size(dir.handle, s.blockSize);
  return 0;
}
