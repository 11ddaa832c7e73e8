// Library filesystem operations (fs/libfs.c, fs/ramfs): directories, files, symlinks and device nodes kept
// in host memory. The built-in rootfs and devtmpfs are made of these.
//
// File data lives in 4 KiB pages allocated on first write, so a hole (from truncate or a write past the end)
// takes no memory and reads as zeros, as a page-cache filesystem's does.
//
// Each directory entry keeps the readdir position it was given when linked (the stable offsets of
// fs/libfs.c's simple_offset_*, as tmpfs has them), so removing entries while a reader is part way through
// a listing neither skips nor repeats the others.

import { S_IFDIR, S_IFLNK, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { current } from "../kernel/sched.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import { NAME_MAX } from "../../abi/fcntl.js";
import type { DirContext, File, FileOperations, FileSystemType, Iattr, Inode, InodeOperations, Kstatfs, SuperBlock } from "./fs.js";
import { dtType } from "../../abi/stat.js";

export const PAGE_SIZE = 4096;
/** st_blocks counts the pages that exist, as simple_getattr() does (nrpages << (PAGE_SHIFT - 9)). */
const SECTORS_PER_PAGE = PAGE_SIZE / 512;

/** The first readdir position after "." (0) and ".." (1). */
const DIR_OFFSET_MIN = 2;

interface DirEntry {
  readonly inode: Inode;
  /** Its readdir position; entries iterate in insertion order, which is offset order. */
  readonly offset: number;
}

interface DirData {
  readonly entries: Map<string, DirEntry>;
  nextOffset: number;
}

interface FileData {
  readonly pages: Map<number, Uint8Array>;
}

function dirData(inode: Inode): DirData {
  return inode.private as DirData;
}

function fileData(inode: Inode): FileData {
  return inode.private as FileData;
}

/** Link a name at a new offset past every other (a replaced name goes to the end, as a new one does). */
function addEntry(dir: Inode, name: string, inode: Inode): void {
  const data = dirData(dir);
  data.entries.delete(name);
  data.entries.set(name, { inode, offset: data.nextOffset++ });
}

/** dir_emit_dots(): "." and ".." at positions 0 and 1. */
export function dirEmitDots(file: File, ctx: DirContext): boolean {
  const dentry = file.path.dentry;
  if (ctx.pos === 0) {
    if (!ctx.emit(".", dentry.inode.ino, dtType(S_IFDIR))) return false;
    ctx.pos = 1;
  }
  if (ctx.pos === 1) {
    if (!ctx.emit("..", (dentry.parent ?? dentry).inode.ino, dtType(S_IFDIR))) return false;
    ctx.pos = 2;
  }
  return true;
}

/** Read [pos, pos + count) of a page-backed file into one buffer, holes as zeros. */
function readPages(inode: Inode, pos: number, count: number): Uint8Array {
  const end = Math.min(inode.size, pos + count);
  const out = new Uint8Array(Math.max(0, end - pos));
  for (let at = pos; at < end; ) {
    const index = Math.floor(at / PAGE_SIZE);
    const offset = at % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - offset, end - at);
    const page = fileData(inode).pages.get(index);
    if (page) out.set(page.subarray(offset, offset + n), at - pos);
    at += n;
  }
  return out;
}

function writePages(inode: Inode, pos: number, data: Uint8Array): void {
  const { pages } = fileData(inode);
  for (let done = 0; done < data.length; ) {
    const at = pos + done;
    const index = Math.floor(at / PAGE_SIZE);
    const offset = at % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - offset, data.length - done);
    let page = pages.get(index);
    if (!page) pages.set(index, (page = new Uint8Array(PAGE_SIZE)));
    page.set(data.subarray(done, done + n), offset);
    done += n;
  }
  inode.size = Math.max(inode.size, pos + data.length);
  inode.blocks = pages.size * SECTORS_PER_PAGE;
}

/** truncate_pagecache(): drop whole pages past the new end and zero the tail of the last one. */
function truncatePages(inode: Inode, size: number): void {
  const { pages } = fileData(inode);
  for (const index of [...pages.keys()]) if (index * PAGE_SIZE >= size) pages.delete(index);
  const tail = pages.get(Math.floor(size / PAGE_SIZE));
  tail?.fill(0, size % PAGE_SIZE);
  inode.size = size;
  inode.blocks = pages.size * SECTORS_PER_PAGE;
}

/** The largest file the page-backed files take (MAX_LFS_FILESIZE would be 8 EiB; JS numbers stop earlier). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

/** simple_statfs(): the filesystem's magic, a page as the block size, NAME_MAX, and nothing counted. */
export function simpleStatfs(magic: number): (sb: SuperBlock) => Kstatfs {
  return () => ({ type: magic, bsize: PAGE_SIZE, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0n, namelen: NAME_MAX });
}

/** A filesystem type whose mounts are each a new tree of these directories, with simple_statfs and `magic`. */
export function libfsType(name: string, magic: number, special: (inode: Inode) => FileOperations): FileSystemType {
  const ops = new SimpleDirOps(special);
  return {
    name,
    requiresDev: false,
    owner: null,
    mount: (sb) => {
      sb.op.statfs = simpleStatfs(magic);
      return ops.root(sb);
    },
  };
}

export const simpleFileOperations: FileOperations = {
  read(file, ubuf, count, pos) {
    const data = readPages(file.inode, pos, count);
    copyToUser(current().mm, ubuf, data);
    file.inode.atime = file.inode.sb.now();
    return data.length;
  },
  write(file, ubuf, count, pos) {
    if (pos + count > MAX_FILE_SIZE) throw new KernelError("EFBIG", "File too large");
    writePages(file.inode, pos, copyFromUser(current().mm, ubuf, count));
    file.inode.touch("mc");
    return count;
  },
  fsync() {},
};

export const simpleDirOperations: FileOperations = {
  iterate(file, ctx) {
    if (!dirEmitDots(file, ctx)) return;
    for (const [name, { inode, offset }] of dirData(file.inode).entries) {
      if (offset < ctx.pos) continue;
      if (!ctx.emit(name, inode.ino, dtType(inode.mode))) return;
      ctx.pos = offset + 1;
    }
  },
  fsync() {},
};

/** The inode operations of a libfs directory tree; `special` gives device nodes their file operations. */
export class SimpleDirOps implements InodeOperations {
  constructor(private readonly special: (inode: Inode) => FileOperations) {}

  /** The root directory of a new superblock. */
  root(sb: SuperBlock, mode = 0o755): Inode {
    return this.newDir(sb, mode);
  }

  private newDir(sb: SuperBlock, mode: number): Inode {
    const inode = sb.newInode(S_IFDIR | (mode & 0o7777), this, simpleDirOperations);
    inode.private = { entries: new Map(), nextOffset: DIR_OFFSET_MIN } satisfies DirData;
    inode.nlink = 2;
    return inode;
  }

  private link(dir: Inode, name: string, inode: Inode): Inode {
    addEntry(dir, name, inode);
    dir.touch("mc");
    return inode;
  }

  lookup(dir: Inode, name: string): Inode | null {
    return dirData(dir).entries.get(name)?.inode ?? null;
  }

  create(dir: Inode, name: string, mode: number): Inode {
    const inode = dir.sb.newInode(mode, simpleFileInodeOperations, simpleFileOperations);
    inode.private = { pages: new Map() } satisfies FileData;
    return this.link(dir, name, inode);
  }

  mkdir(dir: Inode, name: string, mode: number): Inode {
    dir.nlink++;
    return this.link(dir, name, this.newDir(dir.sb, mode));
  }

  mknod(dir: Inode, name: string, mode: number, rdev: number): Inode {
    const inode = dir.sb.newInode(mode, {}, {});
    inode.rdev = rdev;
    inode.fop = this.special(inode);
    return this.link(dir, name, inode);
  }

  symlink(dir: Inode, name: string, target: string): Inode {
    const inode = dir.sb.newInode(S_IFLNK | 0o777, symlinkInodeOperations, {});
    inode.private = target;
    inode.size = new TextEncoder().encode(target).length;
    return this.link(dir, name, inode);
  }

  unlink(dir: Inode, name: string, inode: Inode): void {
    dirData(dir).entries.delete(name);
    inode.nlink--;
    inode.touch("c");
    dir.touch("mc");
  }

  rmdir(dir: Inode, name: string, inode: Inode): void {
    if (dirData(inode).entries.size > 0) throw new KernelError("ENOTEMPTY", `${name}: Directory not empty`);
    dirData(dir).entries.delete(name);
    inode.nlink = 0;
    dir.nlink--;
    dir.touch("mc");
  }

  /** simple_rename(): ENOTEMPTY over a non-empty directory; link counts follow the moved directory. */
  rename(oldDir: Inode, oldName: string, newDir: Inode, newName: string): void {
    const inode = dirData(oldDir).entries.get(oldName)!.inode;
    const victim = dirData(newDir).entries.get(newName)?.inode;
    if (victim && S_ISDIR(victim.mode)) {
      if (dirData(victim).entries.size > 0) throw new KernelError("ENOTEMPTY", `${newName}: Directory not empty`);
      victim.nlink = 0;
      newDir.nlink--;
    } else if (victim) victim.nlink--;
    if (S_ISDIR(inode.mode) && oldDir !== newDir) {
      oldDir.nlink--;
      newDir.nlink++;
    }
    dirData(oldDir).entries.delete(oldName);
    addEntry(newDir, newName, inode);
    oldDir.touch("mc");
    newDir.touch("mc");
    inode.touch("c");
  }
}

/** simple_setattr(): truncate a page-backed file up (a hole) or down. */
export const simpleFileInodeOperations: InodeOperations = {
  setattr(inode: Inode, attr: Iattr) {
    if (attr.size !== undefined) {
      truncatePages(inode, attr.size);
      inode.touch("mc");
    }
  },
};

export const symlinkInodeOperations: InodeOperations = {
  getLink: (inode) => inode.private as string,
};
