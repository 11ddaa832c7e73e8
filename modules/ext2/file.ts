// ext2's file operations (fs/ext2/file.c and the data half of inode.c): read and write through the block
// map and the buffer cache, truncation by setattr, fsync, and the directory reader.

import {
  copy_from_user, copy_to_user, EFAULT, EFBIG, EROFS, file_inode, inode_get_size, inode_set_blocks, inode_set_size, inode_touch,
  NAME_MAX, sb_bread_to_user,
} from "../../abi/include/kernel";
import { readdir } from "./dir";
import { bmap, Ext2Inode, freshBlock, inodes, truncateBlocks, writeInode } from "./inode";
import { errOr, lastErr, MAX_BLOCK, writeBytes } from "./super";

const EIO: i32 = 5;
const data = new Uint8Array(MAX_BLOCK);
const zeros = new Uint8Array(MAX_BLOCK);
const nameBuf = new Uint8Array(NAME_MAX + 1);

function inodeOf(file: u32): Ext2Inode {
  return inodes.get(file_inode(file));
}

/**
 * Holes read as zeros; the blocks that follow each other on the disk as in the file are read as one extent,
 * straight into the user's buffer (mpage_readahead). A block that cannot be mapped or read ends the read
 * (EIO if nothing was read).
 */
export function ext2_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const ei = inodeOf(file);
  const bs = ei.s.blockSize;
  const size = inode_get_size(ei.handle);
  if (pos >= size) return 0;
  const n = min(count, size - pos);
  let done = 0;
  while (done < n) {
    const at = pos + done;
    const off = at % bs;
    let len = min(bs - off, n - done);
    const block = bmap(ei, <u32>(at / bs), false);
    let err: i32 = 0;
    if (block != 0) {
      for (let next = block + 1; done + len < n && bmap(ei, <u32>((at + len) / bs), false) == next; next++) len += min(bs, n - done - len);
      err = sb_bread_to_user(ei.s.sb, block, <u32>off, ubuf + <usize>done, <u32>len);
    } else if (lastErr != 0) {
      err = -EIO;
    } else if (copy_to_user(ubuf + <usize>done, zeros.dataStart, <usize>len) != 0) {
      err = -EFAULT;
    }
    if (err != 0) return done > 0 ? done : err;
    done += len;
  }
  return done;
}

/** Blocks are allocated as they are first written; a full disk gives a short write, or ENOSPC for none. */
export function ext2_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const ei = inodeOf(file);
  if (ei.s.readOnly) return -EROFS;
  if (<i64>pos + <i64>count > 0x7fffffff) return -EFBIG;
  const bs = ei.s.blockSize;
  let done = 0;
  let err = 0;
  while (done < count) {
    const at = pos + done;
    const off = at % bs;
    const len = min(bs - off, count - done);
    const block = bmap(ei, <u32>(at / bs), true);
    if (block == 0) {
      err = errOr(-EIO);
      break;
    }
    const whole = len == bs || freshBlock;
    if (whole && len < bs) data.fill(0, 0, bs);
    if (copy_from_user(data.dataStart + <usize>(whole ? off : <i32>0), ubuf + <usize>done, <usize>len) != 0) {
      err = -EFAULT;
      break;
    }
    if (!(whole ? writeBytes(ei.s, block, 0, data.dataStart, bs) : writeBytes(ei.s, block, off, data.dataStart, len))) {
      err = errOr(-EIO);
      break;
    }
    done += len;
  }
  if (pos + done > inode_get_size(ei.handle)) inode_set_size(ei.handle, pos + done);
  inode_set_blocks(ei.handle, ei.sectors);
  inode_touch(ei.handle, true);
  writeInode(ei);
  return done > 0 ? done : err;
}

/** ext2_setattr() of the size: blocks past the new end are freed, and the rest of the last one zeroed. */
export function ext2_setattr(inode: u32, size: i32): i32 {
  const ei = inodes.get(inode);
  if (ei.s.readOnly) return -EROFS;
  const bs = ei.s.blockSize;
  if (size < inode_get_size(inode)) {
    truncateBlocks(ei, <u32>((size + bs - 1) / bs));
    const tail = size % bs;
    if (tail != 0) {
      const block = bmap(ei, <u32>(size / bs), false);
      if (block != 0) writeBytes(ei.s, block, tail, zeros.dataStart, bs - tail);
    }
  }
  inode_set_size(inode, size);
  inode_set_blocks(inode, ei.sectors);
  inode_touch(inode, true);
  return writeInode(ei) ? 0 : errOr(-EIO);
}

export function ext2_iterate(file: u32, ctx: u32, pos: i32): i32 {
  return readdir(inodeOf(file), ctx, pos, nameBuf.dataStart);
}
