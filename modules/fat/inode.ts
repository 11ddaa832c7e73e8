// fat inodes (fs/fat/inode.c): one per directory entry, found again by its place (i_pos) so that a name
// looked up twice is one inode; mode and owner from the mount options, times and size from the entry,
// and the entry written back when the file changes.

import {
  EIO, file_operations, inode_get_atime, inode_get_mtime, inode_operations, inode_set_blocks, inode_set_ops, inode_set_owner, inode_set_size,
  inode_set_times, new_inode, S_IFDIR, S_IFREG, set_nlink,
} from "../../abi/include/kernel";
import { DirData, loadDir, slotPos, subdirs, writeSlots } from "./dir";
import { readChain } from "./fatent";
import { ATTR_DIR, ATTR_RO } from "./names";
import { FatSb, fsError } from "./super";
import { fatToUnix, unixToFat } from "./time";

export class FatInode {
  fs: FatSb;
  handle: u32 = 0;
  /** The directory holding its entry (the root: itself), the entry's slot and its name's first slot. */
  parent: u32 = 0;
  slot: i32 = -1;
  first: i32 = -1;
  start: u32 = 0;
  attr: u8 = 0;
  size: i32 = 0;
  /** Its clusters, read when first needed and kept up to date after. */
  chain: u32[] | null = null;
  /** A directory's entries. */
  dir: DirData | null = null;
  /** Its entry is still in its directory (not unlinked, nor replaced by a rename). */
  linked: bool = true;

  constructor(fs: FatSb) {
    this.fs = fs;
  }

  get isDir(): bool {
    return (this.attr & ATTR_DIR) != 0;
  }

  get isRoot(): bool {
    return this.slot < 0;
  }

  /** i_pos: where its entry lies on the device (0 for the root), as messages name it. */
  get ipos(): i64 {
    return this.isRoot ? 0 : slotPos(this.fs, inodes.get(this.parent).dir!, this.slot);
  }
}

export const inodes = new Map<u32, FatInode>();

/** The operations of fat's directories and files, filled in by init_module. */
export const dirIops = new inode_operations();
export const dirFops = new file_operations();
export const fileIops = new inode_operations();
export const fileFops = new file_operations();

export function setOps(inode: u32, isDir: bool): void {
  if (isDir) inode_set_ops(inode, dirIops, dirFops);
  else inode_set_ops(inode, fileIops, fileFops);
}
/** parent handle << 32 | slot → the inode of that entry. */
export const byPlace = new Map<u64, u32>();

export function placeKey(parent: u32, slot: i32): u64 {
  return (<u64>parent << 32) | <u64>(<u32>slot);
}

/** fat_make_mode(): the mount's masks, and no write bits for a read-only file. */
function makeMode(fs: FatSb, attr: u8): u32 {
  if ((attr & ATTR_DIR) != 0) return S_IFDIR | (0o777 & ~fs.dmask);
  let mode = 0o777 & ~fs.fmask;
  if ((attr & ATTR_RO) != 0) mode &= ~0o222;
  return S_IFREG | mode;
}

/** i_blocks: whole clusters, in 512-byte sectors. */
export function setSize(fi: FatInode, size: i32): void {
  fi.size = size;
  inode_set_size(fi.handle, size);
  const clus = <i64>fi.fs.clusSize;
  inode_set_blocks(fi.handle, <u32>(((<i64>size + clus - 1) / clus) * clus / 512));
}

/** A directory's entries, read once; null (EIO, reported) when its chain is corrupt. */
export function dirOf(fi: FatInode): DirData | null {
  if (fi.dir == null) fi.dir = loadDir(fi.fs, fi.isRoot ? 0 : fi.start, fi.ipos);
  return fi.dir;
}

/** A file's clusters: as many as its size needs, the chain checked on the way. */
export function chainOf(fi: FatInode): u32[] | null {
  if (fi.chain == null) {
    const need = <i32>((<i64>fi.size + fi.fs.clusSize - 1) / fi.fs.clusSize);
    fi.chain = readChain(fi.fs, fi.start, need, fi.ipos, true);
  }
  return fi.chain;
}

function le16(b: Uint8Array, at: i32): u32 {
  return <u32>b[at] | (<u32>b[at + 1] << 8);
}

function put16(b: Uint8Array, at: i32, v: u32): void {
  b[at] = <u8>v;
  b[at + 1] = <u8>(v >> 8);
}

function put32(b: Uint8Array, at: i32, v: u32): void {
  put16(b, at, v & 0xffff);
  put16(b, at + 2, v >> 16);
}

/** The start cluster an entry names (FAT32 adds its high half). */
function entryStart(fs: FatSb, b: Uint8Array, at: i32): u32 {
  return le16(b, at + 26) | (fs.fatBits == 32 ? le16(b, at + 20) << 16 : 0);
}

export function setEntryStart(fs: FatSb, b: Uint8Array, at: i32, cluster: u32): void {
  put16(b, at + 26, cluster & 0xffff);
  put16(b, at + 20, fs.fatBits == 32 ? cluster >> 16 : 0);
}

/** Stamp an entry's modification time (and, for a new one, its creation and access dates) with `t`. */
export function stampEntry(b: Uint8Array, at: i32, t: i64, created: bool): void {
  const ft = unixToFat(t);
  put16(b, at + 22, ft & 0xffff);
  put16(b, at + 24, ft >> 16);
  if (created) {
    b[at + 13] = 0;
    put16(b, at + 14, ft & 0xffff);
    put16(b, at + 16, ft >> 16);
    put16(b, at + 18, ft >> 16);
  }
}

/**
 * fat_iget()/fat_build_inode(): the inode of the entry at `slot` of directory `dir`, made on first use.
 * A directory's entries are read to count its subdirectories (its link count): 0 when that fails (EIO).
 */
export function iget(dir: FatInode, slot: i32, first: i32): u32 {
  const key = placeKey(dir.handle, slot);
  if (byPlace.has(key)) return byPlace.get(key);
  const fs = dir.fs;
  const d = dir.dir!;
  const at = slot * 32;
  const fi = new FatInode(fs);
  fi.parent = dir.handle;
  fi.slot = slot;
  fi.first = first;
  fi.attr = d.data[at + 11];
  fi.start = entryStart(fs, d.data, at);
  const size = <u32>le16(d.data, at + 28) | (le16(d.data, at + 30) << 16);
  if (!fi.isDir && size > 0x7fffffff) {
    fsError(fs, "fat_fill_inode", "file size " + size.toString() + " too large (i_pos " + fi.ipos.toString() + ")");
    return 0;
  }
  if (fi.isDir && dirOf(fi) == null) return 0;
  const inode = new_inode(fs.sb, makeMode(fs, fi.attr));
  if (inode == 0) return 0;
  fi.handle = inode;
  inodes.set(inode, fi);
  byPlace.set(key, inode);
  setOps(inode, fi.isDir);
  inode_set_owner(inode, fs.uid, fs.gid);
  const mtime = fatToUnix(le16(d.data, at + 24), le16(d.data, at + 22));
  inode_set_times(inode, fs.isvfat ? fatToUnix(le16(d.data, at + 18), 0) : mtime, mtime, mtime);
  if (fi.isDir) {
    setSize(fi, fi.dir!.data.length);
    set_nlink(inode, <u32>(2 + subdirs(fi.dir!)));
  } else setSize(fi, <i32>size);
  return inode;
}

/** __fat_write_inode(): attributes, start cluster, size, modification time and (vfat) access date back into the entry. */
export function writeInode(fi: FatInode): i32 {
  if (fi.isRoot || !fi.linked) return 0;
  const parent = inodes.get(fi.parent);
  const d = parent.dir;
  if (d == null) return -EIO;
  const at = fi.slot * 32;
  d.data[at + 11] = fi.attr;
  setEntryStart(fi.fs, d.data, at, fi.start);
  put32(d.data, at + 28, fi.isDir ? 0 : <u32>fi.size);
  stampEntry(d.data, at, inode_get_mtime(fi.handle), false);
  // vfat keeps the access date, which msdos leaves as it found it.
  if (fi.fs.isvfat) put16(d.data, at + 18, unixToFat(inode_get_atime(fi.handle)) >> 16);
  return writeSlots(fi.fs, d, fi.slot, 1);
}
