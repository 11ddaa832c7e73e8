// fat tables (fs/fat/fatent.c, fs/fat/cache.c): entries of 12, 16 and 28 bits, chains followed with
// their loops and dangling links caught, clusters allocated and freed in every copy of the FAT.

import { ENOSPC, EIO } from "../../abi/include/kernel";
import { FatSb, fsError, readSector, writeSector } from "./super";

/** The FAT sector last read (of the first FAT of `cachedFs`), kept in step with writes to it. */
const sector = new Uint8Array(4096);
let cachedFs: FatSb | null = null;
let cachedSector: u32 = 0xffffffff;
const bytes = new Uint8Array(4);

function loadFatSector(fs: FatSb, nr: u32): bool {
  if (cachedFs == fs && cachedSector == nr) return true;
  cachedFs = null;
  if (!readSector(fs, nr, sector)) return false;
  cachedFs = fs;
  cachedSector = nr;
  return true;
}

/** Read `n` bytes of the first FAT at byte offset `off` into `bytes`; false on an I/O error. */
function fatRead(fs: FatSb, off: u32, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const at = off + <u32>i;
    if (!loadFatSector(fs, fs.fatStart + at / <u32>fs.secSize)) return false;
    bytes[i] = sector[at % <u32>fs.secSize];
  }
  return true;
}

/** A superblock going away takes the cached sector with it (another mount may reuse its handle). */
export function forgetFatCache(): void {
  cachedFs = null;
}

/** Write `n` bytes from `bytes` at byte offset `off` of every copy of the FAT (fat_mirror_bhs). */
function fatWrite(fs: FatSb, off: u32, n: i32): i32 {
  for (let copy = 0; copy < fs.numFats; copy++) {
    const base = fs.fatStart + <u32>copy * fs.fatLength;
    for (let i = 0; i < n; ) {
      const at = off + <u32>i;
      const inSector = <i32>(at % <u32>fs.secSize);
      const len = min(n - i, fs.secSize - inSector);
      const nr = base + at / <u32>fs.secSize;
      const err = writeSector(fs, nr, inSector, bytes.dataStart + <usize>i, len);
      if (err < 0) {
        cachedFs = null;
        return err;
      }
      if (cachedFs == fs && cachedSector == nr) memory.copy(sector.dataStart + <usize>inSector, bytes.dataStart + <usize>i, <usize>len);
      i += len;
    }
  }
  return 0;
}

/** The FAT entry of a cluster, or 0xffffffff when it cannot be read. */
export function getEnt(fs: FatSb, cluster: u32): u32 {
  if (fs.fatBits == 12) {
    if (!fatRead(fs, cluster + cluster / 2, 2)) return 0xffffffff;
    const w = <u32>bytes[0] | (<u32>bytes[1] << 8);
    return (cluster & 1) != 0 ? w >> 4 : w & 0xfff;
  }
  if (fs.fatBits == 16) {
    if (!fatRead(fs, cluster * 2, 2)) return 0xffffffff;
    return <u32>bytes[0] | (<u32>bytes[1] << 8);
  }
  if (!fatRead(fs, cluster * 4, 4)) return 0xffffffff;
  return (<u32>bytes[0] | (<u32>bytes[1] << 8) | (<u32>bytes[2] << 16) | (<u32>bytes[3] << 24)) & 0x0fffffff;
}

/** Set a cluster's FAT entry in every FAT copy; FAT32's top four bits are kept, as Linux keeps them. */
export function setEnt(fs: FatSb, cluster: u32, value: u32): i32 {
  if (fs.fatBits == 12) {
    const off = cluster + cluster / 2;
    if (!fatRead(fs, off, 2)) return -EIO;
    let w = <u32>bytes[0] | (<u32>bytes[1] << 8);
    w = (cluster & 1) != 0 ? (w & 0x000f) | ((value & 0xfff) << 4) : (w & 0xf000) | (value & 0xfff);
    bytes[0] = <u8>w;
    bytes[1] = <u8>(w >> 8);
    return fatWrite(fs, off, 2);
  }
  if (fs.fatBits == 16) {
    bytes[0] = <u8>value;
    bytes[1] = <u8>(value >> 8);
    return fatWrite(fs, cluster * 2, 2);
  }
  if (!fatRead(fs, cluster * 4, 4)) return -EIO;
  const v = (value & 0x0fffffff) | ((<u32>bytes[3] & 0xf0) << 24);
  for (let i = 0; i < 4; i++) bytes[i] = <u8>(v >> (8 * i));
  return fatWrite(fs, cluster * 4, 4);
}

/**
 * The clusters of the chain from `start` (fat_get_cluster), at most `limit` of them (files: what their
 * size needs). A link outside the data area, a loop, or a file's chain ending before its size does is
 * a corruption: it is reported naming the entry (i_pos) and the result is null (EIO).
 */
export function readChain(fs: FatSb, start: u32, limit: i32, ipos: i64, exact: bool): u32[] | null {
  const chain = new Array<u32>(0);
  if (start == 0 && !(exact && limit > 0)) return chain;
  const seen = new Set<u32>();
  let c = start;
  while (chain.length < limit) {
    if (c < 2 || c >= fs.maxCluster) {
      fsError(fs, "fat_get_cluster", "invalid cluster chain (i_pos " + ipos.toString() + ")");
      return null;
    }
    if (seen.has(c)) {
      fsError(fs, "fat_get_cluster", "detected the cluster chain loop (i_pos " + ipos.toString() + ")");
      return null;
    }
    seen.add(c);
    chain.push(c);
    if (chain.length == limit) break;
    const next = getEnt(fs, c);
    if (next == 0xffffffff) return null;
    if (fs.isEof(next)) break;
    c = next;
  }
  if (exact && chain.length < limit) {
    fsError(fs, "fat_get_cluster", "invalid cluster chain (i_pos " + ipos.toString() + ")");
    return null;
  }
  return chain;
}

/** fat_count_free_clusters(): counted once, then kept up to date by allocation and freeing. */
export function countFree(fs: FatSb): i64 {
  if (fs.freeClusters >= 0) return fs.freeClusters;
  let free: i64 = 0;
  for (let c: u32 = 2; c < fs.maxCluster; c++) {
    const v = getEnt(fs, c);
    if (v == 0xffffffff) return 0;
    if (v == 0) free++;
  }
  fs.freeClusters = free;
  return free;
}

/** One free cluster linked after `prev` (0: a new chain) and marked the end: the cluster, -ENOSPC or -EIO. */
export function allocCluster(fs: FatSb, prev: u32): i64 {
  const got = allocClusters(fs, prev, 1);
  if (got == null) return -EIO;
  return got.length == 0 ? -ENOSPC : <i64>got[0];
}

/**
 * fat_alloc_clusters() for a run: `count` free clusters chained after `prev` (0: a new chain), the last
 * marked the end. The FAT12/32 entries go one by one; FAT16's are patched a FAT sector at a time and each
 * sector written once per copy. The clusters (fewer when the volume fills up), or null on an I/O error.
 */
export function allocClusters(fs: FatSb, prev: u32, count: i32): u32[] | null {
  const got = new Array<u32>(0);
  const total = fs.maxCluster - 2;
  let c = fs.prevFree;
  for (let n: u32 = 0; n < total && got.length < count && fs.freeClusters != 0; n++) {
    c = c + 1 >= fs.maxCluster ? 2 : c + 1;
    const v = getEnt(fs, c);
    if (v == 0xffffffff) return null;
    if (v == 0) got.push(c);
  }
  if (got.length == 0) {
    fs.freeClusters = 0;
    return got;
  }
  const links = new Array<u32>(0);
  const values = new Array<u32>(0);
  if (prev != 0) {
    links.push(prev);
    values.push(got[0]);
  }
  for (let i = 0; i < got.length; i++) {
    links.push(got[i]);
    values.push(i + 1 < got.length ? got[i + 1] : fs.eof);
  }
  if (setEnts(fs, links, values) < 0) return null;
  fs.prevFree = got[got.length - 1];
  if (fs.freeClusters > 0) fs.freeClusters -= got.length;
  return got;
}

/** Set many FAT entries: FAT16's a FAT sector at a time, in every copy; the others one by one. */
function setEnts(fs: FatSb, clusters: u32[], values: u32[]): i32 {
  if (fs.fatBits != 16) {
    for (let i = 0; i < clusters.length; i++) {
      const err = setEnt(fs, clusters[i], values[i]);
      if (err < 0) return err;
    }
    return 0;
  }
  const per = <u32>fs.secSize / 2;
  for (let i = 0; i < clusters.length; ) {
    const nr = clusters[i] / per;
    if (!loadFatSector(fs, fs.fatStart + nr)) return -EIO;
    let lo = fs.secSize;
    let hi = 0;
    for (; i < clusters.length && clusters[i] / per == nr; i++) {
      const at = <i32>(clusters[i] % per) * 2;
      sector[at] = <u8>values[i];
      sector[at + 1] = <u8>(values[i] >> 8);
      lo = min(lo, at);
      hi = max(hi, at + 2);
    }
    for (let copy = 0; copy < fs.numFats; copy++) {
      const err = writeSector(fs, fs.fatStart + <u32>copy * fs.fatLength + nr, lo, sector.dataStart + <usize>lo, hi - lo);
      if (err < 0) {
        cachedFs = null;
        return err;
      }
    }
  }
  return 0;
}

/** fat_free_clusters(): every cluster of a chain back to free. */
export function freeChain(fs: FatSb, chain: u32[], from: i32): i32 {
  for (let i = from; i < chain.length; i++) {
    const err = setEnt(fs, chain[i], 0);
    if (err < 0) return err;
    if (fs.freeClusters >= 0) fs.freeClusters++;
  }
  return 0;
}
