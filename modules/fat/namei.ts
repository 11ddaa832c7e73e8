// fat directory operations (fs/vfat/namei_vfat.c and fs/fat/namei_msdos.c over fs/fat/dir.c): lookup,
// create, mkdir, unlink, rmdir and rename, with each mount's naming (vfat's long names, msdos's 8.3).

import {
  dir_ctx_set_pos, dir_emit, drop_nlink, EEXIST, EINVAL, EIO, ENOTEMPTY, EROFS, file_inode, get_jiffies, inc_nlink,
  inode_get_ino, inode_touch, ktime_get_real_ts64, set_nlink, timespec64,
} from "../../abi/include/kernel";
import { addEntries, DirData, DirEntry, findShort, isEmpty, nameIndex, nextEntry, removeEntries, slotPos, writeSlots } from "./dir";
import { allocCluster, freeChain, readChain } from "./fatent";
import { byPlace, dirOf, FatInode, iget, inodes, placeKey, setEntryStart, stampEntry, writeInode } from "./inode";
import {
  ATTR_ARCH, ATTR_DIR, CASE_LOWER_BASE, CASE_LOWER_EXT, checksum, lfnSlots, msdosFormat, SFN_CREATE_WIN95, ShortName, stripTail,
  toShort, validLong, withHashTail, withTail,
} from "./names";
import { FatSb, writeSector } from "./super";

const ts = new timespec64();
const entry = new DirEntry();

function now(): i64 {
  ktime_get_real_ts64(ts);
  return ts.tv_sec;
}

function nameOf(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/** The slot of the name in the directory (its short entry), or -1; the entry found is in `entry`. */
function find(fs: FatSb, d: DirData, name: string): i32 {
  if (!fs.isvfat) {
    const raw = msdosFormat(name, fs.dotsOK);
    if (raw == null) return -1;
    const slot = findShort(d, raw);
    entry.slot = entry.first = slot;
    return slot;
  }
  const index = nameIndex(fs, d);
  const want = stripTail(name);
  if (!index.has(want)) return -1;
  const place = index.get(want);
  entry.first = <i32>(place >> 32);
  entry.slot = <i32>(place & 0xffffffff);
  return entry.slot;
}

/** lookup: the inode of the name, 0 when there is none, -EINVAL for a name msdos cannot hold, -EIO. */
export function fat_lookup(dir: u32, name: usize, len: i32): i32 {
  const fi = inodes.get(dir);
  const d = dirOf(fi);
  if (d == null) return -EIO;
  const key = nameOf(name, len);
  if (!fi.fs.isvfat && msdosFormat(key, fi.fs.dotsOK) == null) return -EINVAL;
  const slot = find(fi.fs, d, key);
  if (slot < 0) return 0;
  const inode = iget(fi, slot, entry.first);
  return inode == 0 ? -EIO : <i32>inode;
}

/** What building a new entry failed with, when it returns null. */
let buildError: i32 = 0;

/**
 * The entries a new name takes in d (vfat_build_slots, msdos_add_entry): long-name slots when the name
 * needs them, then the short entry with attr, start cluster and times. Null with buildError set: -EINVAL
 * or -ENAMETOOLONG for the name, -EEXIST when its 8.3 form is taken.
 */
function buildEntries(fs: FatSb, d: DirData, name: string, attr: u8, start: u32, t: i64): Uint8Array | null {
  let raw: Uint8Array;
  let lcase: u8 = 0;
  let long = "";
  if (!fs.isvfat) {
    const r = msdosFormat(name, fs.dotsOK);
    if (r == null) {
      buildError = -EINVAL;
      return null;
    }
    raw = r;
    if (findShort(d, raw) >= 0) {
      buildError = -EEXIST;
      return null;
    }
  } else {
    long = stripTail(name);
    const err = validLong(long);
    if (err < 0) {
      buildError = err;
      return null;
    }
    const s = toShort(long);
    if (s.exact) {
      if (findShort(d, s.raw) >= 0) {
        buildError = -EEXIST;
        return null;
      }
      if ((fs.shortname & SFN_CREATE_WIN95) != 0) {
        if (s.baseUpper && s.extUpper) long = "";
      } else if ((s.baseUpper || s.baseLower) && (s.extUpper || s.extLower)) {
        if (!s.baseUpper) lcase |= CASE_LOWER_BASE;
        if (!s.extUpper) lcase |= CASE_LOWER_EXT;
        long = "";
      }
      raw = s.raw;
    } else {
      raw = uniqueShort(d, s);
      if (raw.length == 0) {
        buildError = -EEXIST;
        return null;
      }
    }
  }
  const slots = long.length > 0 ? lfnSlots(long, checksum(raw)) : new Uint8Array(0);
  const out = new Uint8Array(slots.length + 32);
  out.set(slots);
  const at = slots.length;
  out.set(raw, at);
  out[at + 11] = attr;
  out[at + 12] = lcase;
  setEntryStart(fs, out, at, start);
  stampEntry(out, at, t, true);
  return out;
}

/**
 * vfat_create_shortname()'s tails: ~1 to ~9 in turn, then four hex digits from jiffies, stepping down by 11
 * until the name is free (Windows too tries a few numbers, then part random). Empty if all 65,536 are taken,
 * which a directory (at most 65,536 entries) cannot hold besides this one.
 */
function uniqueShort(d: DirData, s: ShortName): Uint8Array {
  for (let n = 1; n < 10; n++) {
    const raw = withTail(s, n);
    if (findShort(d, raw) < 0) return raw;
  }
  const j = get_jiffies();
  let i = j;
  for (let tries = 0; tries < 0x10000; tries++, i -= 11) {
    const raw = withHashTail(s, i & 0xffff, (j >> 16) & 7);
    if (findShort(d, raw) < 0) return raw;
  }
  return new Uint8Array(0);
}

/** The directory changed: its mtime, and its own entry, follow. */
function touchDir(dir: FatInode): void {
  inode_touch(dir.handle, true);
  writeInode(dir);
}

/** Add a name for a new entry to dir; the new inode, or -errno. */
function addName(dir: FatInode, name: usize, len: i32, attr: u8, start: u32): i32 {
  const fs = dir.fs;
  if (fs.readOnly) return -EROFS;
  const d = dirOf(dir);
  if (d == null) return -EIO;
  const entries = buildEntries(fs, d, nameOf(name, len), attr, start, now());
  if (entries == null) return buildError;
  const first = addEntries(fs, d, entries);
  if (first < 0) return first;
  const inode = iget(dir, first + entries.length / 32 - 1, first);
  if (inode == 0) return -EIO;
  touchDir(dir);
  return <i32>inode;
}

export function fat_create(dir: u32, name: usize, len: i32, mode: u32): i32 {
  return addName(inodes.get(dir), name, len, ATTR_ARCH, 0);
}

/** fat_alloc_new_dir(): a cluster holding "." and ".."; the cluster, or -errno. */
function newDirCluster(dir: FatInode): i64 {
  const fs = dir.fs;
  const c = allocCluster(fs, 0);
  if (c < 0) return c;
  const cluster = <u32>c;
  const block = new Uint8Array(fs.secSize);
  const t = now();
  for (let i = 0; i < 2; i++) {
    const at = i * 32;
    block.fill(0x20, at, at + 11);
    block[at] = 0x2e;
    if (i == 1) block[at + 1] = 0x2e;
    block[at + 11] = ATTR_DIR;
    setEntryStart(fs, block, at, i == 0 ? cluster : dir.isRoot ? 0 : dir.start);
    stampEntry(block, at, t, true);
  }
  for (let s = 0; s < fs.secPerClus; s++) {
    const err = writeSector(fs, fs.clusterSector(cluster) + <u32>s, 0, block.dataStart, fs.secSize);
    if (err < 0) return err;
    if (s == 0) block.fill(0);
  }
  return c;
}

export function fat_mkdir(dir: u32, name: usize, len: i32, mode: u32): i32 {
  const fi = inodes.get(dir);
  if (fi.fs.readOnly) return -EROFS;
  const c = newDirCluster(fi);
  if (c < 0) return <i32>c;
  const inode = addName(fi, name, len, ATTR_DIR, <u32>c);
  if (inode < 0) {
    const chain = new Array<u32>(1);
    chain[0] = <u32>c;
    freeChain(fi.fs, chain, 0);
    return inode;
  }
  inc_nlink(dir);
  return inode;
}

/** The name's entries go; the inode is no longer found there (its clusters go when it is evicted). */
function detach(fi: FatInode): i32 {
  const parent = inodes.get(fi.parent);
  const err = removeEntries(fi.fs, parent.dir!, fi.first, fi.slot);
  if (err < 0) return err;
  byPlace.delete(placeKey(fi.parent, fi.slot));
  fi.linked = false;
  return 0;
}

export function fat_unlink(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const fi = inodes.get(inode);
  if (fi.fs.readOnly) return -EROFS;
  const err = detach(fi);
  if (err < 0) return err;
  drop_nlink(inode);
  inode_touch(inode, false);
  touchDir(inodes.get(dir));
  return 0;
}

export function fat_rmdir(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const fi = inodes.get(inode);
  if (fi.fs.readOnly) return -EROFS;
  const d = dirOf(fi);
  if (d == null) return -EIO;
  if (!isEmpty(fi.fs, d)) return -ENOTEMPTY;
  const err = detach(fi);
  if (err < 0) return err;
  set_nlink(inode, 0);
  drop_nlink(dir);
  touchDir(inodes.get(dir));
  return 0;
}

/** A moved directory's ".." names its new parent (0 for the root). */
function reparent(fi: FatInode, parent: FatInode): i32 {
  const d = dirOf(fi);
  if (d == null) return -EIO;
  for (let i = 0; i < min(d.slots, 2); i++) {
    if (d.data[i * 32] == 0x2e && d.data[i * 32 + 1] == 0x2e) {
      setEntryStart(fi.fs, d.data, i * 32, parent.isRoot ? 0 : parent.start);
      return writeSlots(fi.fs, d, i, 1);
    }
  }
  return 0;
}

/**
 * vfat_rename()/msdos_rename(): a name that exists already gives its entry to the inode moved (and its
 * inode its link); otherwise the new name gets new entries. Then the old entries go, and a directory
 * moved to another parent has its ".." changed.
 */
export function fat_rename(olddir: u32, oldname: usize, oldlen: i32, newdir: u32, newname: usize, newlen: i32): i32 {
  const from = inodes.get(olddir);
  const to = inodes.get(newdir);
  const fs = from.fs;
  if (fs.readOnly) return -EROFS;
  const od = dirOf(from);
  const nd = dirOf(to);
  if (od == null || nd == null) return -EIO;
  const oslot = find(fs, od, nameOf(oldname, oldlen));
  if (oslot < 0) return -EIO;
  const moved = inodes.get(iget(from, oslot, entry.first));
  const vslot = find(fs, nd, nameOf(newname, newlen));
  let slot = 0;
  let first = 0;
  if (vslot >= 0) {
    const victimHandle = iget(to, vslot, entry.first);
    if (victimHandle == 0) return -EIO;
    const victim = inodes.get(victimHandle);
    if (victim == moved) return 0;
    if (victim.isDir) {
      const vd = dirOf(victim);
      if (vd == null) return -EIO;
      if (!isEmpty(fs, vd)) return -ENOTEMPTY;
    }
    slot = victim.slot;
    first = victim.first;
    byPlace.delete(placeKey(newdir, slot));
    victim.linked = false;
    if (victim.isDir) {
      set_nlink(victimHandle, 0);
      drop_nlink(newdir);
    } else drop_nlink(victimHandle);
  } else {
    const entries = buildEntries(fs, nd, nameOf(newname, newlen), moved.attr, moved.start, now());
    if (entries == null) return buildError;
    first = addEntries(fs, nd, entries);
    if (first < 0) return first;
    slot = first + entries.length / 32 - 1;
  }
  const err = removeEntries(fs, od, moved.first, moved.slot);
  if (err < 0) return err;
  byPlace.delete(placeKey(olddir, moved.slot));
  moved.parent = newdir;
  moved.slot = slot;
  moved.first = first;
  byPlace.set(placeKey(newdir, slot), moved.handle);
  if (moved.isDir && olddir != newdir) {
    const e = reparent(moved, to);
    if (e < 0) return e;
    drop_nlink(olddir);
    inc_nlink(newdir);
  }
  inode_touch(moved.handle, false);
  writeInode(moved);
  touchDir(from);
  if (to != from) touchDir(to);
  return 0;
}

/** d_ino of a name no inode has been made for: unique per entry place, above the inode numbers in use. */
function placeIno(fs: FatSb, d: DirData, slot: i32): i32 {
  return 0x40000000 | <i32>(slotPos(fs, d, slot) & 0x3fffffff);
}

/** readdir: "." and "..", then each name at position 2 + its first slot; resumed from any position. */
export function fat_iterate(file: u32, ctx: u32, pos: i32): i32 {
  const dir = file_inode(file);
  const fi = inodes.get(dir);
  const d = dirOf(fi);
  if (d == null) return -EIO;
  if (pos == 0) {
    if (!emit(ctx, ".", inode_get_ino(dir), true)) return 0;
    dir_ctx_set_pos(ctx, (pos = 1));
  }
  if (pos == 1) {
    if (!emit(ctx, "..", inode_get_ino(fi.parent), true)) return 0;
    dir_ctx_set_pos(ctx, (pos = 2));
  }
  for (let i = pos - 2; nextEntry(fi.fs, d, i, entry); i = entry.slot + 1) {
    const key = placeKey(dir, entry.slot);
    const ino = byPlace.has(key) ? inode_get_ino(byPlace.get(key)) : placeIno(fi.fs, d, entry.slot);
    if (!emit(ctx, entry.name, ino, (d.data[entry.slot * 32 + 11] & ATTR_DIR) != 0)) return 0;
    dir_ctx_set_pos(ctx, entry.slot + 3);
  }
  return 0;
}

const nameBuf = new Uint8Array(1024);

function emit(ctx: u32, name: string, ino: i32, isDir: bool): bool {
  const len = <i32>String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, nameBuf.dataStart);
  return dir_emit(ctx, nameBuf.dataStart, len, ino, isDir ? 4 : 8);
}

/** evict_inode: an inode whose last link went gives its clusters back (fat_evict_inode). */
export function fat_evict_inode(inode: u32): void {
  if (!inodes.has(inode)) return;
  const fi = inodes.get(inode);
  if (!fi.linked && !fi.fs.readOnly && fi.start != 0) {
    const chain = readChain(fi.fs, fi.start, <i32>fi.fs.maxCluster, fi.ipos, false);
    if (chain != null) freeChain(fi.fs, chain, 0);
  }
  inodes.delete(inode);
}
