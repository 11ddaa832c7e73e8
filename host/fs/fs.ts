// The VFS's objects and the operations a filesystem supplies (include/linux/fs.h).
//
// Inodes, dentries, files and superblocks belong to the host. A filesystem, built in or a module, fills in
// the operations; the VFS does the path walk, the POSIX checks and the bookkeeping around them.

import type { BlockDevice } from "../block/bdev.js";
import type { PollTable } from "../kernel/wait.js";
import type { Module } from "../module/internal.js";
import type { Dentry } from "./dcache.js";
import type { Mount } from "./namespace.js";

export interface Timespec {
  sec: number;
  nsec: number;
}

/**
 * Attributes setattr may change (struct iattr); only the fields present change, as ia_valid's ATTR_* bits say
 * (abi/attr.ts) where it reaches a module. notify_change() always sets ctime.
 */
export interface Iattr {
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
}

export interface SuperOperations {
  /** Called when the last mount of the superblock goes away (kill_sb). */
  killSb?(sb: SuperBlock): void;
  /** The inode is gone: no links and no users left (evict_inode). */
  evictInode?(inode: Inode): void;
  /** statfs(2)'s filesystem figures (without f_frsize and f_flags, which the VFS adds, nor f_fsid if it leaves it 0). */
  statfs?(sb: SuperBlock): Kstatfs;
  /** The filesystem's own mount options for /proc/mounts, each with its leading comma (show_options). */
  showOptions?(sb: SuperBlock): string;
}

/** What a filesystem says of itself to statfs(2) (struct kstatfs, less what the VFS fills in). */
export interface Kstatfs {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  /** 0 for the VFS's: the device number of a filesystem on a device. */
  fsid: bigint;
  namelen: number;
}

/**
 * Directory and inode operations. `lookup` finds a name the dcache does not hold; the create-style operations
 * return the new inode, which the VFS puts in the dcache. Each throws a KernelError to refuse.
 */
export interface InodeOperations {
  lookup?(dir: Inode, name: string): Inode | null;
  /** d_revalidate: false when a cached name no longer holds this inode, so the walk looks it up again. */
  revalidate?(dir: Inode, name: string, inode: Inode): boolean;
  create?(dir: Inode, name: string, mode: number): Inode;
  mkdir?(dir: Inode, name: string, mode: number): Inode;
  mknod?(dir: Inode, name: string, mode: number, rdev: number): Inode;
  symlink?(dir: Inode, name: string, target: string): Inode;
  unlink?(dir: Inode, name: string, inode: Inode): void;
  rmdir?(dir: Inode, name: string, inode: Inode): void;
  /** Move oldName to newName, replacing what newName held (the VFS has checked the POSIX rules). */
  rename?(oldDir: Inode, oldName: string, newDir: Inode, newName: string): void;
  getLink?(inode: Inode): string;
  setattr?(inode: Inode, attr: Iattr): void;
}

/** What a directory read emits, one entry at a time (struct dir_context). */
export interface DirContext {
  /** The position to resume from; the filesystem advances it past each entry it emits. */
  pos: number;
  /** dir_emit(): false when the caller's buffer is full, and the filesystem should stop. */
  emit(name: string, ino: number, type: number): boolean;
}

/**
 * File operations. read and write move bytes to and from the current task's memory at ubuf themselves
 * (copy_to_user / copy_from_user), so a module's read can fill a user buffer as Linux's does.
 */
export interface FileOperations {
  open?(inode: Inode, file: File): void;
  release?(inode: Inode, file: File): void;
  read?(file: File, ubuf: number, count: number, pos: number): number;
  write?(file: File, ubuf: number, count: number, pos: number): number;
  llseek?(file: File, offset: number, whence: number): number;
  iterate?(file: File, ctx: DirContext): void;
  fsync?(file: File): void;
  ioctl?(file: File, cmd: number, arg: number): number;
  /** The POLL* events ready now; the queues to wait on go to pt (poll_wait). */
  poll?(file: File, pt: PollTable): number;
}

export interface FileSystemType {
  readonly name: string;
  /** FS_REQUIRES_DEV: /proc/filesystems lists the others as "nodev". */
  readonly requiresDev: boolean;
  /** The module that registered it, which each superblock pins; null when built in. */
  readonly owner: Module | null;
  /** Make a superblock and return its root inode. */
  mount(sb: SuperBlock, devName: string, data: string): Inode;
}

/**
 * Whether module `mod` may act on a superblock of `type`: the module that registered it, or a library module
 * it stacks on (vfat's superblocks are filled in and served by fat, whose symbols vfat uses, as in Linux).
 */
export function actsFor(mod: Module, type: FileSystemType): boolean {
  return type.owner === mod || (type.owner?.uses.has(mod) ?? false);
}

export class SuperBlock {
  private nextIno = 1;
  /** The mount(2) flags it was mounted with. */
  flags = 0;
  /** The data string mount(2) was given (-o's options for the filesystem). */
  options = "";
  op: SuperOperations = {};
  /** The filesystem's own state. */
  fsInfo: unknown = null;
  /** s_bdev: the block device it is mounted from (FS_REQUIRES_DEV), claimed for its type; null for others. */
  bdev: BlockDevice | null = null;

  constructor(
    readonly type: FileSystemType,
    readonly dev: number,
    readonly now: () => Timespec,
  ) {}

  /** new_inode(): a fresh inode number on this superblock, unless the filesystem keeps its own (iget). */
  newInode(mode: number, iop: InodeOperations, fop: FileOperations, ino = this.nextIno++): Inode {
    const inode = new Inode(this, ino, mode, iop, fop);
    if (newOwner) [inode.uid, inode.gid] = [newOwner.uid, newOwner.gid];
    return inode;
  }
}

/** The owner of what a create-style operation makes now (inode_init_owner, from the VFS: see withNewOwner). */
let newOwner: { readonly uid: number; readonly gid: number } | null = null;

/**
 * Run a filesystem's create, mkdir, mknod or symlink with the inodes it makes owned by `owner`, the caller's
 * (inode_init_owner, which Linux's filesystems call themselves): a module's filesystem then writes that owner.
 */
export function withNewOwner<T>(owner: { readonly uid: number; readonly gid: number }, create: () => T): T {
  const saved = newOwner;
  newOwner = owner;
  try {
    return create();
  } finally {
    newOwner = saved;
  }
}

export class Inode {
  nlink = 1;
  size = 0;
  /** i_blocks: 512-byte sectors the data takes (a hole takes none); stat's st_blocks. */
  blocks = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Open files and cwds that use it: an unlinked inode lives until the last goes. */
  users = 0;
  /** The filesystem's own state for this inode. */
  private: unknown = null;

  constructor(
    readonly sb: SuperBlock,
    /** Set once by a filesystem that keeps its own inode numbers, before the inode is seen (iget). */
    public ino: number,
    public mode: number,
    public op: InodeOperations,
    public fop: FileOperations,
  ) {
    this.atime = this.mtime = this.ctime = sb.now();
  }

  /** iput()'s end: with no links and no users left, the filesystem frees the inode. */
  evictIfUnused(): void {
    if (this.nlink === 0 && this.users === 0) this.sb.op.evictInode?.(this);
  }

  touch(what: "m" | "c" | "mc"): void {
    const now = this.sb.now();
    if (what.includes("m")) this.mtime = now;
    this.ctime = now;
  }
}

/** A position in the tree: a dentry as seen through a mount (struct path). */
export interface Path {
  readonly mnt: Mount;
  readonly dentry: Dentry;
}

/** An open file description (struct file): shared by dup'd descriptors. */
export class File {
  pos = 0;
  /** Descriptors referring to it (fget/fput). */
  count = 1;
  /** The filesystem's own per-open state. */
  private: unknown = null;

  constructor(
    readonly path: Path,
    readonly inode: Inode,
    public flags: number,
    /** Replaceable, as chrdev_open() swaps in the driver's operations. */
    public fop: FileOperations,
  ) {}
}
