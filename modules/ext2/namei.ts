// ext2's directory operations (fs/ext2/namei.c): lookup, create, mkdir, mknod, symlink, unlink, rmdir and
// rename, each a change to directory entries and link counts that the VFS has already checked against
// the POSIX rules. Each returns -errno on failure, and a failure leaves the directory as it was.

import {
  drop_nlink, EROFS, inc_nlink, inode_set_blocks, inode_set_link, inode_set_size, inode_touch, S_IFDIR, S_IFLNK, S_IFMT, set_nlink,
} from "../../abi/include/kernel";
import { freeInode, newInode } from "./balloc";
import { addLink, deleteFound, find, isEmpty, makeEmpty, setFound } from "./dir";
import { bmap, Ext2Inode, forgetInode, iget, inodes, newInodeFor, setRdev, truncateBlocks, writeInode } from "./inode";
import { errOr, lastErr, writeBytes } from "./super";

const EIO: i32 = 5;
const ENOENT: i32 = 2;
const ENOTEMPTY: i32 = 39;
const ENAMETOOLONG: i32 = 36;
const DOTDOT: StaticArray<u8> = [0x2e, 0x2e];

function ei(handle: u32): Ext2Inode {
  return inodes.get(handle);
}

export function ext2_lookup(dir: u32, name: usize, len: i32): i32 {
  const d = ei(dir);
  const ino = find(d, name, len);
  if (ino == 0) return lastErr != 0 ? lastErr : 0;
  const handle = iget(d.s, ino);
  return handle != 0 ? <i32>handle : errOr(-EIO);
}

/** A new inode of that mode linked into dir as name; written before it is linked, so the entry never names garbage. */
function make(dir: u32, name: usize, len: i32, mode: u32, fill: (e: Ext2Inode) => i32): i32 {
  const d = ei(dir);
  if (d.s.readOnly) return -EROFS;
  const isDir = (mode & S_IFMT) == S_IFDIR;
  const ino = newInode(d.s, d.ino, isDir);
  if (ino == 0) return errOr(-EIO);
  const e = newInodeFor(d.s, ino, mode);
  if (e == null) {
    freeInode(d.s, ino, isDir);
    return errOr(-12);
  }
  let err = fill(e);
  if (err == 0 && !writeInode(e)) err = errOr(-EIO);
  if (err == 0) err = addLink(d, name, len, ino, mode);
  if (err != 0) {
    truncateBlocks(e, 0);
    freeInode(d.s, ino, isDir);
    forgetInode(e);
    set_nlink(e.handle, 0);
    return err;
  }
  if (isDir) {
    inc_nlink(dir);
    writeInode(d);
  }
  return <i32>e.handle;
}

function noFill(e: Ext2Inode): i32 {
  return 0;
}

export function ext2_create(dir: u32, name: usize, len: i32, mode: u32): i32 {
  return make(dir, name, len, mode, noFill);
}

let parentIno: u32 = 0;

export function ext2_mkdir(dir: u32, name: usize, len: i32, mode: u32): i32 {
  parentIno = ei(dir).ino;
  return make(dir, name, len, S_IFDIR | (mode & 0o7777), (e) => {
    const err = makeEmpty(e, parentIno);
    inode_set_blocks(e.handle, e.sectors);
    return err;
  });
}

let rdevArg: u32 = 0;

export function ext2_mknod(dir: u32, name: usize, len: i32, mode: u32, rdev: u32): i32 {
  rdevArg = rdev;
  return make(dir, name, len, mode, (e) => {
    // The VFS sets i_rdev after the call; the disk copy is written before, from here.
    setRdev(e, rdevArg);
    return 0;
  });
}

let targetPtr: usize = 0;
let targetLen: i32 = 0;

/** ext2_symlink(): a target under 60 bytes lives in i_block (fast); a longer one in a block of its own (slow). */
export function ext2_symlink(dir: u32, name: usize, len: i32, target: usize, tlen: i32): i32 {
  if (tlen >= ei(dir).s.blockSize) return -ENAMETOOLONG;
  targetPtr = target;
  targetLen = tlen;
  return make(dir, name, len, S_IFLNK | 0o777, (e) => {
    inode_set_link(e.handle, targetPtr, targetLen);
    inode_set_size(e.handle, targetLen);
    if (targetLen < 60) {
      memory.copy(e.raw.dataStart + 40, targetPtr, <usize>targetLen);
      return 0;
    }
    const block = bmap(e, 0, true);
    if (block == 0) return errOr(-EIO);
    inode_set_blocks(e.handle, e.sectors);
    return writeBytes(e.s, block, 0, targetPtr, targetLen) ? 0 : errOr(-EIO);
  });
}

export function ext2_unlink(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const d = ei(dir);
  if (d.s.readOnly) return -EROFS;
  if (find(d, name, len) == 0) return errOr(-ENOENT);
  const err = deleteFound(d);
  if (err != 0) return err;
  drop_nlink(inode);
  inode_touch(inode, false);
  writeInode(ei(inode));
  return 0;
}

export function ext2_rmdir(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const victim = ei(inode);
  if (!isEmpty(victim)) return lastErr != 0 ? lastErr : -ENOTEMPTY;
  const err = ext2_unlink(dir, name, len, inode);
  if (err != 0) return err;
  set_nlink(inode, 0);
  writeInode(victim);
  drop_nlink(dir);
  writeInode(ei(dir));
  return 0;
}

/** ext2_rename(): the new name takes the inode (replacing what it named), the old goes, a moved directory's ".." follows. */
export function ext2_rename(olddir: u32, oldname: usize, oldlen: i32, newdir: u32, newname: usize, newlen: i32): i32 {
  const od = ei(olddir);
  const nd = ei(newdir);
  if (od.s.readOnly) return -EROFS;
  const ino = find(od, oldname, oldlen);
  if (ino == 0) return errOr(-ENOENT);
  const handle = iget(od.s, ino);
  if (handle == 0) return errOr(-EIO);
  const moved = ei(handle);
  const movedIsDir = moved.isDir;
  const victimIno = find(nd, newname, newlen);
  if (victimIno == 0 && lastErr != 0) return lastErr;
  if (victimIno != 0) {
    const victim = iget(nd.s, victimIno);
    if (victim == 0) return errOr(-EIO);
    if (ei(victim).isDir && !isEmpty(ei(victim))) return lastErr != 0 ? lastErr : -ENOTEMPTY;
    find(nd, newname, newlen);
    const err = setFound(nd, ino, moved.mode);
    if (err != 0) return err;
    if (ei(victim).isDir) set_nlink(victim, 0);
    else drop_nlink(victim);
    inode_touch(victim, false);
    writeInode(ei(victim));
  } else {
    const err = addLink(nd, newname, newlen, ino, moved.mode);
    if (err != 0) return err;
    if (movedIsDir) inc_nlink(newdir);
  }
  if (find(od, oldname, oldlen) == ino) deleteFound(od);
  if (movedIsDir) {
    if (od != nd && find(moved, changetype<usize>(DOTDOT), 2) != 0) setFound(moved, nd.ino, S_IFDIR);
    drop_nlink(olddir);
  }
  inode_touch(handle, false);
  writeInode(moved);
  writeInode(od);
  if (nd != od) writeInode(nd);
  return 0;
}
