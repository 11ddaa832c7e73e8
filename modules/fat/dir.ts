// fat directories (fs/fat/dir.c): a directory's entries read whole into memory and written back slot by
// slot through the buffer cache; names parsed from short entries and the long-name slots before them;
// room found for new entries, growing the directory a cluster at a time.

import { ENOSPC } from "../../abi/include/kernel";
import { allocCluster, readChain } from "./fatent";
import {
  ATTR_EXT, ATTR_VOLUME, checksum, DELETED, lfnPart, MAX_LFN_SLOTS, SFN_DISPLAY_LOWER, shortDisplay,
} from "./names";
import { FatSb, readSector, writeSector } from "./super";

/** FAT_MAX_DIR_SIZE: 65536 entries. */
const MAX_DIR_BYTES: i32 = 65536 * 32;

/** A directory's entries as on disk, with the sector each piece of them lives in. */
export class DirData {
  data: Uint8Array = new Uint8Array(0);
  sectors: u32[] = new Array<u32>(0);
  /** Its clusters; empty for FAT12/16's fixed root directory. */
  chain: u32[] = new Array<u32>(0);
  fixed: bool = false;
  /**
   * Each name and each 8.3 name as shown → its first slot << 32 | its short entry's slot, made by the first
   * lookup and kept up to date by addEntries and removeEntries, so that a lookup does not parse the directory.
   */
  index: Map<string, u64> | null = null;

  get slots(): i32 {
    return this.data.length / 32;
  }
}

/** One name found in a directory: its short entry's slot, the first slot of its name, and the name shown. */
export class DirEntry {
  slot: i32 = 0;
  first: i32 = 0;
  name: string = "";
  /** The 8.3 name as shown, which lookup also matches. */
  short: string = "";
}

const sectorBuf = new Uint8Array(4096);

/** Read a directory: the fixed root (start 0 on FAT12/16) or a cluster chain. Null on a corruption or EIO. */
export function loadDir(fs: FatSb, start: u32, ipos: i64): DirData | null {
  const d = new DirData();
  if (start == 0 && fs.fatBits != 32) {
    d.fixed = true;
    const n = fs.rootEntries * 32 / fs.secSize;
    for (let i = 0; i < n; i++) d.sectors.push(fs.rootStart + <u32>i);
  } else {
    const chain = readChain(fs, start == 0 ? fs.rootCluster : start, MAX_DIR_BYTES / fs.clusSize, ipos, false);
    if (chain == null) return null;
    d.chain = chain;
    for (let c = 0; c < chain.length; c++) for (let i = 0; i < fs.secPerClus; i++) d.sectors.push(fs.clusterSector(chain[c]) + <u32>i);
  }
  d.data = new Uint8Array(d.sectors.length * fs.secSize);
  for (let i = 0; i < d.sectors.length; i++) {
    if (!readSector(fs, d.sectors[i], sectorBuf)) return null;
    memory.copy(d.data.dataStart + <usize>(i * fs.secSize), sectorBuf.dataStart, <usize>fs.secSize);
  }
  return d;
}

/** Write slots [from, from + n) back to their sectors. */
export function writeSlots(fs: FatSb, d: DirData, from: i32, n: i32): i32 {
  let at = from * 32;
  const end = (from + n) * 32;
  while (at < end) {
    const sec = at / fs.secSize;
    const off = at % fs.secSize;
    const len = min(end - at, fs.secSize - off);
    const err = writeSector(fs, d.sectors[sec], off, d.data.dataStart + <usize>at, len);
    if (err < 0) return err;
    at += len;
  }
  return 0;
}

function isFree(d: DirData, slot: i32): bool {
  const b = d.data[slot * 32];
  return b == 0 || b == DELETED;
}

const raw = new Uint8Array(11);
const lfnParts: string[] = [];
for (let i = 0; i < MAX_LFN_SLOTS; i++) lfnParts.push("");

/**
 * The next name at or after slot `from` into `out` (fat_search_long's and __fat_readdir's walk): free
 * slots, the volume label and the dot entries are passed over; long-name slots count only when they run
 * down to 1 with one checksum and that checksum is the short entry's (msdos ignores them).
 */
export function nextEntry(fs: FatSb, d: DirData, from: i32, out: DirEntry): bool {
  let want = 0;
  let sum: u8 = 0;
  let first = -1;
  let total = 0;
  for (let i = from; i < d.slots; i++) {
    const at = i * 32;
    if (isFree(d, i)) {
      want = 0;
      continue;
    }
    const attr = d.data[at + 11];
    if (attr == ATTR_EXT) {
      if (!fs.isvfat) continue;
      const ord = <i32>d.data[at];
      if ((ord & 0x40) != 0) {
        total = ord & 0x3f;
        if (total == 0 || total > MAX_LFN_SLOTS) {
          want = 0;
          continue;
        }
        first = i;
        sum = d.data[at + 13];
        want = total;
      } else if (want == 0 || ord != want || d.data[at + 13] != sum) {
        want = 0;
        continue;
      }
      lfnParts[(ord & 0x3f) - 1] = lfnPart(d.data, at);
      want--;
      if (want == 0) want = -1;
      continue;
    }
    if ((attr & ATTR_VOLUME) != 0 || d.data[at] == 0x2e) {
      want = 0;
      continue;
    }
    memory.copy(raw.dataStart, d.data.dataStart + <usize>at, 11);
    const display = fs.isvfat ? fs.shortname : fs.nocase ? 0 : SFN_DISPLAY_LOWER;
    out.short = shortDisplay(raw, d.data[at + 12], display);
    out.slot = i;
    if (want == -1 && checksum(raw) == sum) {
      let name = "";
      for (let k = 0; k < total; k++) name += lfnParts[k];
      out.name = name;
      out.first = first;
    } else {
      out.name = out.short;
      out.first = i;
    }
    return true;
  }
  return false;
}

const found = new DirEntry();

function indexEntry(d: DirData, e: DirEntry): void {
  const place = (<u64>e.first << 32) | <u64>e.slot;
  const index = d.index!;
  if (!index.has(e.name)) index.set(e.name, place);
  if (!index.has(e.short)) index.set(e.short, place);
}

/** The directory's name index (DirData.index), built on first use. */
export function nameIndex(fs: FatSb, d: DirData): Map<string, u64> {
  if (d.index == null) {
    d.index = new Map<string, u64>();
    for (let i = 0; nextEntry(fs, d, i, found); i = found.slot + 1) indexEntry(d, found);
  }
  return d.index!;
}

/** Whether a short name's 11 bytes are taken in the directory (vfat_find_form, msdos_find). */
export function findShort(d: DirData, name: Uint8Array): i32 {
  for (let i = 0; i < d.slots; i++) {
    const at = i * 32;
    if (isFree(d, i) || d.data[at + 11] == ATTR_EXT || (d.data[at + 11] & ATTR_VOLUME) != 0) continue;
    let same = true;
    for (let k = 0; k < 11 && same; k++) same = d.data[at + k] == name[k];
    if (same) return i;
  }
  return -1;
}

/** Whether the directory holds nothing but its dot entries (fat_dir_empty). */
export function isEmpty(fs: FatSb, d: DirData): bool {
  for (let i = 0; i < d.slots; i++) {
    const at = i * 32;
    if (isFree(d, i) || d.data[at + 11] == ATTR_EXT || d.data[at] == 0x2e) continue;
    if ((d.data[at + 11] & ATTR_VOLUME) != 0) continue;
    return false;
  }
  return true;
}

/** Subdirectories, for a directory's link count (fat_subdirs). */
export function subdirs(d: DirData): i32 {
  let n = 0;
  for (let i = 0; i < d.slots; i++) {
    const at = i * 32;
    const attr = d.data[at + 11];
    if (!isFree(d, i) && attr != ATTR_EXT && (attr & 0x10) != 0 && (attr & ATTR_VOLUME) == 0 && d.data[at] != 0x2e) n++;
  }
  return n;
}

/** A new cluster of zeros at the end of the directory (fat_add_new_entries); 0 or -errno. */
function grow(fs: FatSb, d: DirData): i32 {
  if (d.fixed || d.data.length + fs.clusSize > MAX_DIR_BYTES) return -ENOSPC;
  const c = allocCluster(fs, d.chain.length > 0 ? d.chain[d.chain.length - 1] : 0);
  if (c < 0) return <i32>c;
  const cluster = <u32>c;
  const zeros = new Uint8Array(fs.secSize);
  for (let i = 0; i < fs.secPerClus; i++) {
    const err = writeSector(fs, fs.clusterSector(cluster) + <u32>i, 0, zeros.dataStart, fs.secSize);
    if (err < 0) return err;
    d.sectors.push(fs.clusterSector(cluster) + <u32>i);
  }
  d.chain.push(cluster);
  const bigger = new Uint8Array(d.data.length + fs.clusSize);
  bigger.set(d.data);
  d.data = bigger;
  return 0;
}

/**
 * Put `entries` (n × 32 bytes, the short entry last) in the first run of free slots that holds them,
 * growing the directory when none does (ENOSPC for the fixed root or a full volume). The slot of the
 * first entry, or -errno.
 */
export function addEntries(fs: FatSb, d: DirData, entries: Uint8Array): i32 {
  const n = entries.length / 32;
  let at = freeRun(d, n);
  while (at < 0) {
    const err = grow(fs, d);
    if (err < 0) return err;
    at = freeRun(d, n);
  }
  memory.copy(d.data.dataStart + <usize>(at * 32), entries.dataStart, <usize>entries.length);
  const err = writeSlots(fs, d, at, n);
  if (err < 0) return err;
  if (d.index != null && nextEntry(fs, d, at, found)) indexEntry(d, found);
  return at;
}

/** The first slot of the first run of n free slots, or -1. */
function freeRun(d: DirData, n: i32): i32 {
  let run = 0;
  for (let i = 0; i < d.slots; i++) {
    run = isFree(d, i) ? run + 1 : 0;
    if (run == n) return i - n + 1;
  }
  return -1;
}

/** Mark slots [first, last] deleted (fat_remove_entries). */
export function removeEntries(fs: FatSb, d: DirData, first: i32, last: i32): i32 {
  if (d.index != null && nextEntry(fs, d, first, found)) {
    const place = (<u64>found.first << 32) | <u64>found.slot;
    const index = d.index!;
    if (index.has(found.name) && index.get(found.name) == place) index.delete(found.name);
    if (index.has(found.short) && index.get(found.short) == place) index.delete(found.short);
  }
  for (let i = first; i <= last; i++) d.data[i * 32] = DELETED;
  return writeSlots(fs, d, first, last - first + 1);
}

/** i_pos, as Linux numbers a directory entry: its sector × entries per sector + its index in the sector. */
export function slotPos(fs: FatSb, d: DirData, slot: i32): i64 {
  const perSector = fs.secSize / 32;
  return <i64>d.sectors[slot / perSector] * perSector + slot % perSector;
}
