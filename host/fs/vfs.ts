// One kernel's VFS state: its filesystem types, its mount tree, and the life of open files
// (fs/super.c's sget and deactivate_super, fs/file_table.c's alloc_file and fput).

import { AT_FDCWD } from "../../abi/fcntl.js";
import type { BlockDevice } from "../block/bdev.js";
import { S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { Dentry } from "./dcache.js";
import { Filesystems } from "./filesystems.js";
import { File, SuperBlock, type FileSystemType, type Inode, type Path, type Timespec } from "./fs.js";
import { MountNamespace } from "./namespace.js";
import type { WalkContext } from "./namei.js";

/** What the VFS needs from the rest of the kernel. */
export interface VfsContext {
  now(): Timespec;
  /** try_module_get on the module behind a filesystem type; false while it unloads. */
  getOwner(owner: FileSystemType["owner"]): boolean;
  putOwner(owner: FileSystemType["owner"]): void;
  /** request_module(): modprobe's exit status, or -errno (host/kernel/kmod.ts). */
  requestModule(name: string): number;
  warn(message: string): void;
  /**
   * get_tree_bdev(): the block device devName names, opened (for writing unless MS_RDONLY) and claimed by
   * holder; ENOTBLK, ENXIO, EROFS, EBUSY as opening it says.
   */
  openBdev(devName: string, flags: number, holder: object): BlockDevice;
  /** kill_block_super(): the claim released and the device closed, its dirty buffers written. */
  closeBdev(bdev: BlockDevice, holder: object): void;
}

export class Vfs {
  readonly filesystems = new Filesystems();
  readonly ns: MountNamespace;
  /** Anonymous device numbers (get_anon_bdev): major 0, minors from 1. */
  private nextAnonDev = 1;
  private warnedStillNoFs = false;

  constructor(private readonly ctx: VfsContext) {
    this.ns = new MountNamespace({
      makeSuper: (type, devName, flags, data) => this.makeSuper(type, devName, flags, data),
      getOwner: (type) => ctx.getOwner(type.owner),
      putOwner: (type) => ctx.putOwner(type.owner),
      killSuper: (sb) => this.killSuper(sb),
    });
  }

  /**
   * mount_nodev() or, for a filesystem that requires a device, mount_bdev(): a new superblock (on the
   * device devName names, claimed for this mount alone) and its root dentry.
   */
  private makeSuper(type: FileSystemType, devName: string, flags: number, data: string): SuperBlock & { root: Dentry } {
    const holder = {};
    const bdev = type.requiresDev ? this.ctx.openBdev(devName, flags, holder) : null;
    try {
      const sb = new SuperBlock(type, bdev?.dev ?? this.nextAnonDev++, () => this.ctx.now()) as SuperBlock & { root: Dentry };
      sb.flags = flags;
      sb.options = data;
      sb.bdev = bdev;
      if (bdev) this.holders.set(sb, holder);
      const root = type.mount(sb, devName, data);
      if (!S_ISDIR(root.mode)) throw new KernelError("ENOTDIR", `${type.name}: root inode is not a directory`);
      sb.root = new Dentry("/", null, root);
      return sb;
    } catch (e) {
      if (bdev) this.ctx.closeBdev(bdev, holder);
      throw e;
    }
  }

  /** The claim each superblock on a block device holds it by. */
  private readonly holders = new WeakMap<SuperBlock, object>();

  /** deactivate_super(): the filesystem's kill_sb, then its device written back and released. */
  private killSuper(sb: SuperBlock): void {
    try {
      sb.op.killSb?.(sb);
    } finally {
      if (sb.bdev) this.ctx.closeBdev(sb.bdev, this.holders.get(sb)!);
    }
  }

  /**
   * get_fs_type(): a type nobody registered is asked for as "fs-TYPE" (the name cut at a '.'), then looked
   * up again; ENODEV if it is still missing. A "TYPE.SUBTYPE" name is ENODEV: no filesystem here has
   * subtypes (FS_HAS_SUBTYPE).
   */
  getFsType(name: string): FileSystemType {
    const base = name.split(".")[0]!;
    let type = this.filesystems.find(base);
    if (!type && this.ctx.requestModule(`fs-${base}`) === 0) {
      type = this.filesystems.find(base);
      if (!type && !this.warnedStillNoFs) {
        this.warnedStillNoFs = true;
        this.ctx.warn(`request_module fs-${base} succeeded, but still no fs?`);
      }
    }
    if (!type || base !== name) throw new KernelError("ENODEV", `${name}: No such device`);
    return type;
  }

  /** The walk context for a *at() call: paths relative to dirfd (AT_FDCWD: the cwd); absolute ones ignore it. */
  at(task: Task, dirfd: number, path: string): WalkContext {
    const root = task.fs.root;
    if (path.startsWith("/") || dirfd === AT_FDCWD) return { ns: this.ns, root, start: task.fs.pwd };
    const dir = task.files.get(dirfd);
    if (!S_ISDIR(dir.inode.mode)) throw new KernelError("ENOTDIR", `${dirfd}: Not a directory`);
    return { ns: this.ns, root, start: dir.path };
  }

  /** Take a hold on a path (path_get): its mount stays busy and its inode alive. */
  pathGet(path: Path): void {
    path.mnt.count++;
    path.dentry.inode.users++;
  }

  pathPut(path: Path): void {
    path.mnt.count--;
    this.iput(path.dentry.inode);
  }

  /** The inode's last user went: evict it if it has no links left either. */
  private iput(inode: Inode): void {
    inode.users--;
    inode.evictIfUnused();
  }

  /** do_dentry_open(): a file description on a path, opened by its file operations. */
  openFile(path: Path, flags: number): File {
    const inode = path.dentry.inode;
    const file = new File(path, inode, flags, inode.fop);
    this.pathGet(path);
    try {
      inode.fop.open?.(inode, file);
    } catch (e) {
      this.pathPut(path);
      throw e;
    }
    return file;
  }

  /** fput(): the last descriptor closed releases the file. */
  fput(file: File): void {
    if (--file.count > 0) return;
    try {
      file.fop.release?.(file.inode, file);
    } finally {
      this.pathPut(file.path);
    }
  }
}
