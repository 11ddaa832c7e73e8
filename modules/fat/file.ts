// fat files (fs/fat/file.c, fs/fat/inode.c's block mapping): bytes read through the buffer cache an extent
// of clusters at a time and written a block at a time, clusters allocated as a file grows and freed as it
// shrinks. FAT has no holes: a write past the end, or a truncate up, fills the gap with zeros first
// (cont_write_begin).

import { copy_from_user, EFAULT, EFBIG, EIO, ENOSPC, EROFS, file_inode, inode_touch, sb_bread_to_user, sync_blockdev } from "../../abi/include/kernel";
import { allocClusters, freeChain, setEnt } from "./fatent";
import { chainOf, FatInode, inodes, setSize, writeInode } from "./inode";
import { writeAt } from "./super";

/** Bytes staged between the user and the buffer cache per step. */
const STAGE: i32 = 65536;
const stage = new Uint8Array(STAGE);
const zeros = new Uint8Array(STAGE);

/** The device byte holding byte `off` of the file (whose chain covers it), and how many follow it in its cluster. */
function devicePos(fi: FatInode, chain: u32[], off: i32): u64 {
  const fs = fi.fs;
  return <u64>fs.clusterSector(chain[off / fs.clusSize]) * fs.secSize + <u64>(off % fs.clusSize);
}

/** Copy n bytes from buf to file offset off; 0 or -errno. */
function putBytes(fi: FatInode, chain: u32[], off: i32, buf: usize, n: i32): i32 {
  for (let done = 0; done < n; ) {
    const at = off + done;
    const len = min(fi.fs.clusSize - at % fi.fs.clusSize, n - done);
    const err = writeAt(fi.fs, devicePos(fi, chain, at), buf + <usize>done, len);
    if (err < 0) return err;
    done += len;
  }
  return 0;
}

/** Clusters that follow each other on the disk as in the chain are read as one extent, straight into the user's buffer. */
export function fat_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const fi = inodes.get(file_inode(file));
  if (pos >= fi.size) return 0;
  const chain = chainOf(fi);
  if (chain == null) return -EIO;
  const fs = fi.fs;
  const n = min(count, fi.size - pos);
  for (let done = 0; done < n; ) {
    const at = pos + done;
    let len = min(fs.clusSize - at % fs.clusSize, n - done);
    for (let c = at / fs.clusSize; done + len < n && chain[c + 1] == chain[c] + 1; c++) len += min(fs.clusSize, n - done - len);
    const dev = devicePos(fi, chain, at);
    const err = sb_bread_to_user(fs.sb, <u32>(dev / <u64>fs.blockSize), <u32>(dev % <u64>fs.blockSize), ubuf + <usize>done, <u32>len);
    if (err != 0) return done > 0 ? done : err;
    done += len;
  }
  return n;
}

/**
 * Clusters for the file's first `end` bytes, allocated and linked as needed; the byte count they cover
 * (less than `end` when the volume is full), or -errno.
 */
function reserve(fi: FatInode, chain: u32[], end: i32): i32 {
  const fs = fi.fs;
  const need = <i32>((<i64>end + fs.clusSize - 1) / fs.clusSize);
  if (chain.length >= need) return end;
  const got = allocClusters(fs, chain.length > 0 ? chain[chain.length - 1] : 0, need - chain.length);
  if (got == null) return -EIO;
  if (got.length > 0 && chain.length == 0) fi.start = got[0];
  for (let i = 0; i < got.length; i++) chain.push(got[i]);
  if (chain.length >= need) return end;
  return chain.length * fs.clusSize > fi.size ? chain.length * fs.clusSize : -ENOSPC;
}

/** Zeros from the file's end to `to` (cont_expand_zero); 0 or -errno (ENOSPC when they do not fit). */
function fillTo(fi: FatInode, chain: u32[], to: i32): i32 {
  const room = reserve(fi, chain, to);
  if (room < 0) return room;
  if (room < to) return -ENOSPC;
  while (fi.size < to) {
    const len = min(STAGE, to - fi.size);
    const err = putBytes(fi, chain, fi.size, zeros.dataStart, len);
    if (err < 0) return err;
    setSize(fi, fi.size + len);
  }
  return 0;
}

/** The entry follows a change of size or data: size, start cluster and mtime. */
function changed(fi: FatInode): void {
  inode_touch(fi.handle, true);
  writeInode(fi);
}

export function fat_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const fi = inodes.get(file_inode(file));
  if (fi.fs.readOnly) return -EROFS;
  if (<i64>pos + <i64>count > 0x7fffffff) return -EFBIG;
  const chain = chainOf(fi);
  if (chain == null) return -EIO;
  if (pos > fi.size) {
    const err = fillTo(fi, chain, pos);
    if (err < 0) {
      changed(fi);
      return err;
    }
  }
  const room = reserve(fi, chain, pos + count);
  if (room <= pos) {
    changed(fi);
    return room < 0 ? room : -ENOSPC;
  }
  const n = min(count, room - pos);
  let done = 0;
  let err = 0;
  while (done < n) {
    const len = min(STAGE, n - done);
    if (copy_from_user(stage.dataStart, ubuf + <usize>done, <usize>len) != 0) {
      err = -EFAULT;
      break;
    }
    err = putBytes(fi, chain, pos + done, stage.dataStart, len);
    if (err < 0) break;
    done += len;
  }
  if (pos + done > fi.size) setSize(fi, pos + done);
  changed(fi);
  return done > 0 ? done : err;
}

/** truncate: clusters past the new end go back (fat_truncate_blocks); growing fills with zeros. */
export function fat_setattr(inode: u32, size: i32): i32 {
  const fi = inodes.get(inode);
  const fs = fi.fs;
  if (fs.readOnly) return -EROFS;
  const chain = chainOf(fi);
  if (chain == null) return -EIO;
  if (size > fi.size) {
    const err = fillTo(fi, chain, size);
    changed(fi);
    return err;
  }
  const keep = <i32>((<i64>size + fs.clusSize - 1) / fs.clusSize);
  if (keep < chain.length) {
    const err = keep > 0 ? setEnt(fs, chain[keep - 1], fs.eof) : 0;
    if (err < 0) return err;
    freeChain(fs, chain, keep);
    chain.length = keep;
    if (keep == 0) fi.start = 0;
  }
  setSize(fi, size);
  changed(fi);
  return 0;
}

/** fat_file_fsync(): the file's data and its entry, and the FAT, are in the device's buffers: write them back. */
export function fat_fsync(file: u32): i32 {
  return sync_blockdev(inodes.get(file_inode(file)).fs.sb);
}
