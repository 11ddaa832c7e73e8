// Filesystems written as modules: file_system_type, super_operations, inode_operations and file_operations
// structs that live in the module's memory, their function pointers called through the Oops gate, and the
// accessor symbols through which module code reaches the host's superblocks, inodes and files by handle.
//
// Names cross as UTF-8 bytes copied into a kmalloc'd block of the module for the length of one call.
//
// A module changes only what is its own: superblocks and inodes of the filesystems it registered (or that a
// module stacked on it registered: fat serves vfat's), and the files opened through its file operations.
// Another's handle is to it what a bad handle is; reading is free.

import { ERRNO, strerror } from "../../abi/errno.js";
import { STRUCTS } from "../../abi/kernel.js";
import { major, minor, S_ISBLK, S_ISCHR, S_ISDIR } from "../../abi/stat.js";
import { MS_RDONLY } from "../../abi/fcntl.js";
import { layoutStruct } from "../../abi/types.js";
import { KernelError, refusal } from "../kernel/error.js";
import { Idr } from "../lib/idr.js";
import { moduleFunction, type Guard, type ModuleFn } from "../module/fnptr.js";
import type { PollTable } from "../kernel/wait.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import { actsFor, type DirContext, type File, type FileOperations, type FileSystemType, type Inode, type InodeOperations, type Kstatfs, type SuperBlock } from "./fs.js";
import { IATTR_LAYOUT, iattrBytes, iattrFrom, setattrCopy } from "./attr.js";
import type { Filesystems } from "./filesystems.js";

const LAYOUT = {
  fstype: layoutStruct("file_system_type", STRUCTS.file_system_type),
  sops: layoutStruct("super_operations", STRUCTS.super_operations),
  iops: layoutStruct("inode_operations", STRUCTS.inode_operations),
  kstatfs: layoutStruct("kstatfs", STRUCTS.kstatfs),
  fops: layoutStruct("file_operations", STRUCTS.file_operations),
};

/** FS_REQUIRES_DEV in file_system_type.fs_flags. */
const FS_REQUIRES_DEV = 1;

type Fn = ModuleFn;
type ModuleFsSymbols = Pick<
  KernelFunctions,
  | "register_filesystem" | "unregister_filesystem" | "new_inode" | "sb_set_ops" | "inode_set_ops" | "inode_set_link"
  | "inode_get_ino" | "inode_get_mode" | "inode_get_size" | "inode_set_size" | "inode_get_nlink" | "set_nlink"
  | "inc_nlink" | "drop_nlink" | "inode_touch" | "file_inode" | "file_flags" | "dir_emit" | "imajor" | "iminor"
  | "file_set_private" | "file_get_private" | "file_pos" | "inode_set_blocks" | "dir_ctx_set_pos" | "sb_mount_data"
  | "inode_set_owner" | "inode_set_times" | "inode_get_mtime" | "sb_id" | "setattr_copy"
  | "inode_get_uid" | "inode_get_gid" | "inode_get_atime" | "inode_get_ctime" | "inode_set_rdev" | "inode_set_ino" | "sb_set_rdonly"
>;

const encoder = new TextEncoder();

/** -errno from module code becomes a KernelError; anything else is the value. */
function check(ret: number, what: string): number {
  if (ret < 0) throw new KernelError(-ret, `${what}: ${strerror(-ret)}`);
  return ret;
}

export class ModuleFilesystems {
  readonly sbs = new Idr<SuperBlock>();
  readonly inodes = new Idr<Inode>();
  readonly files = new Idr<File>();
  private readonly ctxs = new Idr<DirContext>();
  private readonly links = new WeakMap<Inode, string>();
  /** The module whose file operations each file was opened through: the one that may set its private data. */
  private readonly fileOwners = new WeakMap<File, Module>();
  /** What each module registered: its struct's address → the type. */
  private readonly registered = new Map<Module, Map<number, FileSystemType>>();

  constructor(
    private readonly filesystems: Filesystems,
    private readonly guard: Guard,
    /** init_special_inode(): what a device node the module makes opens to. */
    private readonly special: (inode: Inode) => FileOperations,
    /** poll_wait() finds the poll table of a running poll by this handle. */
    private readonly pollTables: Idr<PollTable>,
    private readonly err: (message: string) => void,
  ) {}

  /** The operations each module has been reported for claiming more bytes than it was given. */
  private readonly overran = new WeakMap<Module, Set<string>>();

  /**
   * A read or write that claims more bytes than it was asked to move is the driver's bug: believing it
   * would copy past the caller's buffer. -EIO, reported once per module and operation; the data is not used.
   */
  private moved(mod: Module, op: "read" | "write", n: number, count: number): number {
    if (n <= count) return n;
    const reported = this.overran.get(mod) ?? new Set<string>();
    this.overran.set(mod, reported);
    if (!reported.has(op)) this.err(`${mod.name}: file_operations.${op} returned ${n} for a ${op} of ${count} bytes`);
    reported.add(op);
    throw new KernelError("EIO", `${mod.name}: file_operations.${op}: ${strerror(ERRNO.EIO[0])}`);
  }

  /** The function a struct field points at, with the gate built in; undefined for NULL. */
  private fn(mod: Module, index: number, what: string): Fn | undefined {
    return index === 0 ? undefined : this.guard(mod, moduleFunction<Fn>(mod, index, what));
  }

  /** Run fn with a name's UTF-8 bytes in the module's memory. */
  private withName<T>(mod: Module, name: string, fn: (ptr: number, len: number) => T): T {
    const bytes = encoder.encode(name);
    const ptr = mod.slab.kmalloc(Math.max(bytes.length, 1), 0);
    if (ptr === 0) throw new KernelError("ENOMEM", `${mod.name}: no memory for a name`);
    try {
      mod.memory.bytes(ptr, bytes.length).set(bytes);
      return fn(ptr, bytes.length);
    } finally {
      mod.slab.kfree(ptr);
    }
  }

  /** i_link: a symlink's target as inode_set_link recorded it. */
  private readonly getLink = (inode: Inode): string => {
    const target = this.links.get(inode);
    if (target === undefined) throw new KernelError("EINVAL", "readlink: Invalid argument");
    return target;
  };

  /** An inode `mod` may change: one on a superblock it acts for (actsFor); EINVAL for any other. */
  private ownInode(mod: Module, handle: number): Inode {
    const inode = this.inodes.find(handle);
    if (!inode || !actsFor(mod, inode.sb.type)) throw new KernelError("EINVAL", `${mod.name}: bad inode handle ${handle}`);
    return inode;
  }

  /** A superblock `mod` may change: one of a filesystem it registered or serves for a module stacked on it. */
  private ownSb(mod: Module, handle: number): SuperBlock | undefined {
    const sb = this.sbs.find(handle);
    return sb && actsFor(mod, sb.type) ? sb : undefined;
  }

  /** An inode a module's operation returned: it must be one of that superblock's. */
  private returned(sb: SuperBlock, handle: number, what: string): Inode {
    const inode = this.inodes.find(handle);
    if (!inode || inode.sb !== sb) throw new KernelError("EIO", `${sb.type.name}: ${what} returned a bad inode ${handle}`);
    return inode;
  }

  private fstype(mod: Module, ptr: number): FileSystemType {
    const f = mod.memory.readStruct(ptr, LAYOUT.fstype);
    // register_filesystem() BUG()s on a "." in the name; here it is only refused.
    const name = mod.memory.readName(f.name!, "filesystem name", { forbidden: "./ " });
    const mount = this.fn(mod, f.mount!, `${name}.mount`);
    const killSb = this.fn(mod, f.kill_sb!, `${name}.kill_sb`);
    if (!mount) throw new KernelError("EINVAL", `${mod.name}: filesystem ${name} has no mount`);
    return {
      name,
      requiresDev: (f.fs_flags! & FS_REQUIRES_DEV) !== 0,
      owner: mod,
      mount: (sb) => {
        const handle = this.sbs.handle(sb);
        this.bySb.set(sb, new Set());
        sb.op = { killSb: () => this.killSb(sb, killSb) };
        try {
          return this.returned(sb, check(mount(handle, sb.flags), `${name}: mount`), "mount");
        } catch (e) {
          this.forget(sb);
          throw e;
        }
      },
    };
  }

  private killSb(sb: SuperBlock, killSb: Fn | undefined): void {
    try {
      killSb?.(this.sbs.handle(sb));
    } finally {
      this.forget(sb);
    }
  }

  /** A superblock that is gone (umount, or a mount that failed): its handle and its inodes' handles go with it. */
  private forget(sb: SuperBlock): void {
    for (const inode of this.bySb.get(sb) ?? []) this.inodes.remove(inode);
    this.bySb.delete(sb);
    this.sbs.remove(sb);
  }

  /** Each live superblock's inodes, so that umount can drop their handles. */
  private readonly bySb = new Map<SuperBlock, Set<Inode>>();

  /** How many superblocks are held (one per live mount of a module filesystem). */
  get superblocks(): number {
    return this.bySb.size;
  }

  private inodeOps(mod: Module, ptr: number): InodeOperations {
    const o = mod.memory.readStruct(ptr, LAYOUT.iops);
    const f = (field: string) => this.fn(mod, o[field]!, `inode_operations.${field}`);
    const [lookup, create, mkdir, mknod, symlink, unlink, rmdir, rename, setattr, revalidate] =
      ["lookup", "create", "mkdir", "mknod", "symlink", "unlink", "rmdir", "rename", "setattr", "revalidate"].map(f);
    const h = (inode: Inode) => this.inodes.handle(inode);
    const made = (dir: Inode, what: string, call: (p: number, l: number) => number, name: string) =>
      this.returned(dir.sb, check(this.withName(mod, name, call), `${name}: ${what}`), what);
    const ops: InodeOperations = { getLink: this.getLink };
    if (lookup) {
      ops.lookup = (dir, name) => {
        const r = check(this.withName(mod, name, (p, l) => lookup(h(dir), p, l)), `${name}: lookup`);
        return r === 0 ? null : this.returned(dir.sb, r, "lookup");
      };
    }
    if (create) ops.create = (dir, name, mode) => made(dir, "create", (p, l) => create(h(dir), p, l, mode), name);
    if (mkdir) ops.mkdir = (dir, name, mode) => made(dir, "mkdir", (p, l) => mkdir(h(dir), p, l, mode), name);
    if (mknod) {
      ops.mknod = (dir, name, mode, rdev) => {
        const inode = made(dir, "mknod", (p, l) => mknod(h(dir), p, l, mode, rdev), name);
        inode.rdev = rdev;
        inode.fop = this.special(inode);
        return inode;
      };
    }
    if (symlink) {
      ops.symlink = (dir, name, target) =>
        this.withName(mod, target, (tp, tl) => made(dir, "symlink", (p, l) => symlink(h(dir), p, l, tp, tl), name));
    }
    if (unlink) ops.unlink = (dir, name, inode) => void check(this.withName(mod, name, (p, l) => unlink(h(dir), p, l, h(inode))), `${name}: unlink`);
    if (rmdir) ops.rmdir = (dir, name, inode) => void check(this.withName(mod, name, (p, l) => rmdir(h(dir), p, l, h(inode))), `${name}: rmdir`);
    if (rename) {
      ops.rename = (od, on, nd, nn) =>
        void check(this.withName(mod, on, (op, ol) => this.withName(mod, nn, (np, nl) => rename(h(od), op, ol, h(nd), np, nl))), `${on}: rename`);
    }
    if (revalidate) {
      ops.revalidate = (dir, name, inode) =>
        check(this.withName(mod, name, (p, l) => revalidate(h(dir), p, l, h(inode))), `${name}: revalidate`) > 0;
    }
    if (setattr) {
      ops.setattr = (inode, attr) =>
        this.withBlock(mod, IATTR_LAYOUT.size, (ptr) => {
          mod.memory.bytes(ptr, IATTR_LAYOUT.size).set(iattrBytes(attr));
          check(setattr(h(inode), ptr), "setattr");
        });
    }
    return ops;
  }

  /** A file_operations struct in the module's memory, as host file operations. */
  fileOperations(mod: Module, ptr: number): FileOperations {
    const o = mod.memory.readStruct(ptr, LAYOUT.fops);
    const f = (field: string) => this.fn(mod, o[field]!, `file_operations.${field}`);
    const [llseek, read, write, iterate, ioctl, open, release, fsync, poll] =
      ["llseek", "read", "write", "iterate", "unlocked_ioctl", "open", "release", "fsync", "poll"].map(f);
    const fh = (file: File) => this.files.handle(file);
    const ih = (inode: Inode) => this.inodes.handle(inode);
    const ops: FileOperations = {
      open: (inode, file) => {
        this.fileOwners.set(file, mod);
        if (open) check(open(ih(inode), fh(file)), "open");
      },
      release: (inode, file) => {
        try {
          if (release) check(release(ih(inode), fh(file)), "release");
        } finally {
          this.files.remove(file);
        }
      },
    };
    if (read) ops.read = (file, ubuf, count, pos) => this.moved(mod, "read", check(read(fh(file), ubuf, count, pos), "read"), count);
    if (write) ops.write = (file, ubuf, count, pos) => this.moved(mod, "write", check(write(fh(file), ubuf, count, pos), "write"), count);
    if (llseek) ops.llseek = (file, offset, whence) => check(llseek(fh(file), offset, whence), "llseek");
    if (fsync) ops.fsync = (file) => void check(fsync(fh(file)), "fsync");
    if (ioctl) ops.ioctl = (file, cmd, arg) => check(ioctl(fh(file), cmd, arg), "ioctl");
    if (poll) {
      ops.poll = (file, pt) => {
        const handle = this.pollTables.handle(pt);
        try {
          return check(poll(fh(file), handle), "poll");
        } finally {
          this.pollTables.remove(pt);
        }
      };
    }
    if (iterate) {
      ops.iterate = (file, ctx) => {
        const handle = this.ctxs.handle(ctx);
        try {
          check(iterate(fh(file), handle, ctx.pos), "iterate");
        } finally {
          this.ctxs.remove(ctx);
        }
      };
    }
    return ops;
  }

  /** evict_inode: the module frees its side, then the handle goes. */
  private evict(evictFn: Fn | undefined, inode: Inode): void {
    try {
      evictFn?.(this.inodes.handle(inode));
    } finally {
      this.inodes.remove(inode);
      this.bySb.get(inode.sb)?.delete(inode);
    }
  }

  /** The filesystem types a module left registered, withdrawn at rmmod. */
  reclaim(mod: Module): string[] {
    const types = [...(this.registered.get(mod)?.values() ?? [])];
    this.registered.delete(mod);
    for (const t of types) this.filesystems.unregister(t);
    return types.map((t) => `filesystem ${t.name} still registered at unload; unregistered`);
  }

  /** Run fn with a zeroed block of `size` bytes of the module's memory, freed after. */
  private withBlock<T>(mod: Module, size: number, fn: (ptr: number) => T): T {
    const ptr = mod.slab.kmalloc(size, 0);
    if (ptr === 0) throw new KernelError("ENOMEM", `${mod.name}: no memory for a call`);
    try {
      mod.memory.bytes(ptr, size).fill(0);
      return fn(ptr);
    } finally {
      mod.slab.kfree(ptr);
    }
  }

  /** super_operations.statfs into a kstatfs in the module's memory, read back. */
  private statfs(mod: Module, sb: SuperBlock, fn: Fn): Kstatfs {
    return this.withBlock(mod, LAYOUT.kstatfs.size, (ptr) => {
      check(fn(this.sbs.handle(sb), ptr), `${sb.type.name}: statfs`);
      const f = mod.memory.readStruct(ptr, LAYOUT.kstatfs);
      // All 64 bits of f_fsid, which readStruct's numbers would round.
      const fsidAt = LAYOUT.kstatfs.fields.find((x) => x.name === "f_fsid")!.offset;
      const fsid = mod.memory.view(ptr + fsidAt, 8).getBigUint64(0, true);
      return {
        type: f.f_type!, bsize: f.f_bsize!, blocks: f.f_blocks!, bfree: f.f_bfree!, bavail: f.f_bavail!, files: f.f_files!,
        ffree: f.f_ffree!, fsid, namelen: f.f_namelen!,
      };
    });
  }

  /** super_operations.show_options: the module's text, or none when it fails. */
  private showOptions(mod: Module, sb: SuperBlock, fn: Fn): string {
    const SIZE = 4096;
    try {
      return this.withBlock(mod, SIZE, (ptr) => {
        const len = fn(this.sbs.handle(sb), ptr, SIZE);
        return len > 0 && len <= SIZE ? new TextDecoder().decode(mod.memory.bytes(ptr, len)) : "";
      });
    } catch {
      return "";
    }
  }

  /** A string of a superblock `mod` acts for, as UTF-8 into its buffer: the length, -ERANGE, or -EINVAL. */
  private sbString(mod: Module, sbHandle: number, buf: number, size: number, what: (sb: SuperBlock) => string): number {
    const sb = this.ownSb(mod, sbHandle);
    if (!sb) return -ERRNO.EINVAL[0];
    const bytes = encoder.encode(what(sb));
    if (bytes.length > size) return -ERRNO.ERANGE[0];
    try {
      mod.memory.bytes(buf >>> 0, bytes.length).set(bytes);
    } catch (e) {
      return refusal(e);
    }
    return bytes.length;
  }

  /** The accessor and registration symbols as module `mod` imports them. */
  symbols(mod: Module): ModuleFsSymbols {
    const inodeOr = <T>(handle: number, fallback: T, fn: (inode: Inode) => T): T => {
      const inode = this.inodes.find(handle);
      return inode ? fn(inode) : fallback;
    };
    const change = (handle: number, fn: (inode: Inode) => void): void => {
      const inode = this.inodes.find(handle);
      if (inode && actsFor(mod, inode.sb.type)) fn(inode);
    };
    const ownFile = (handle: number): File | undefined => {
      const file = this.files.find(handle);
      return file && this.fileOwners.get(file) === mod ? file : undefined;
    };
    const EINVAL = -ERRNO.EINVAL[0];
    return {
      register_filesystem: (ptr) =>
        guarded(() => {
          const type = this.fstype(mod, ptr);
          this.filesystems.register(type);
          const mine = this.registered.get(mod) ?? new Map<number, FileSystemType>();
          mine.set(ptr, type);
          this.registered.set(mod, mine);
          return 0;
        }),
      unregister_filesystem: (ptr) =>
        guarded(() => {
          const type = this.registered.get(mod)?.get(ptr);
          if (!type) return EINVAL;
          this.filesystems.unregister(type);
          this.registered.get(mod)!.delete(ptr);
          return 0;
        }),
      new_inode: (sbHandle, mode) => {
        const sb = this.ownSb(mod, sbHandle);
        if (!sb) return 0;
        const inode = sb.newInode(mode >>> 0, { getLink: this.getLink }, {});
        if (S_ISDIR(inode.mode)) inode.nlink = 2;
        this.bySb.get(sb)!.add(inode);
        return this.inodes.handle(inode);
      },
      sb_set_ops: (sbHandle, ptr) =>
        guarded(() => {
          const sb = this.ownSb(mod, sbHandle);
          if (!sb) return EINVAL;
          const o = mod.memory.readStruct(ptr, LAYOUT.sops);
          const evict = this.fn(mod, o.evict_inode!, "super_operations.evict_inode");
          const statfs = this.fn(mod, o.statfs!, "super_operations.statfs");
          const show = this.fn(mod, o.show_options!, "super_operations.show_options");
          sb.op = { ...sb.op, evictInode: (inode) => this.evict(evict, inode) };
          if (statfs) sb.op.statfs = (s) => this.statfs(mod, s, statfs);
          if (show) sb.op.showOptions = (s) => this.showOptions(mod, s, show);
          return 0;
        }),
      inode_set_ops: (handle, iops, fops) =>
        guarded(() => {
          const inode = this.ownInode(mod, handle);
          if (iops !== 0) inode.op = this.inodeOps(mod, iops);
          if (fops !== 0) inode.fop = this.fileOperations(mod, fops);
          return 0;
        }),
      inode_set_link: (handle, target, len) =>
        guarded(() => {
          const inode = this.ownInode(mod, handle);
          const text = new TextDecoder().decode(mod.memory.bytes(target, len));
          this.links.set(inode, text);
          inode.size = len;
          return 0;
        }),
      inode_get_ino: (h) => inodeOr(h, EINVAL, (i) => i.ino),
      inode_get_mode: (h) => inodeOr(h, EINVAL, (i) => i.mode),
      inode_get_size: (h) => inodeOr(h, EINVAL, (i) => i.size),
      inode_set_size: (h, size) => change(h, (i) => void (i.size = Math.max(0, size))),
      inode_get_nlink: (h) => inodeOr(h, EINVAL, (i) => i.nlink),
      set_nlink: (h, n) => change(h, (i) => void (i.nlink = n >>> 0)),
      inc_nlink: (h) => change(h, (i) => void i.nlink++),
      drop_nlink: (h) => change(h, (i) => void (i.nlink = Math.max(0, i.nlink - 1))),
      inode_touch: (h, mtime) => change(h, (i) => i.touch(mtime ? "mc" : "c")),
      file_inode: (h) => {
        const file = this.files.find(h);
        return file ? this.inodes.handle(file.inode) : 0;
      },
      file_flags: (h) => this.files.find(h)?.flags ?? EINVAL,
      file_pos: (h) => this.files.find(h)?.pos ?? EINVAL,
      imajor: (h) => inodeOr(h, EINVAL, (i) => major(i.rdev)),
      iminor: (h) => inodeOr(h, EINVAL, (i) => minor(i.rdev)),
      file_set_private: (h, data) => {
        const file = ownFile(h);
        if (file) file.private = data >>> 0;
      },
      file_get_private: (h) => {
        const data = this.files.find(h)?.private;
        return typeof data === "number" ? data : 0;
      },
      dir_emit: (ctxHandle, name, len, ino, type) => {
        const ctx = this.ctxs.find(ctxHandle);
        if (!ctx) return false;
        return ctx.emit(new TextDecoder().decode(mod.memory.bytes(name, len)), ino >>> 0, type);
      },
      dir_ctx_set_pos: (ctxHandle, pos) => {
        const ctx = this.ctxs.find(ctxHandle);
        if (ctx && pos >= 0) ctx.pos = pos;
      },
      inode_set_blocks: (h, blocks) => change(h, (i) => void (i.blocks = blocks >>> 0)),
      sb_mount_data: (sbHandle, buf, size) => this.sbString(mod, sbHandle, buf, size, (sb) => sb.options),
      sb_id: (sbHandle, buf, size) => this.sbString(mod, sbHandle, buf, size, (sb) => sb.bdev?.name ?? sb.type.name),
      inode_set_owner: (h, uid, gid) => change(h, (i) => void ((i.uid = uid >>> 0), (i.gid = gid >>> 0))),
      setattr_copy: (h, attr) => change(h, (i) => setattrCopy(i, iattrFrom(mod.memory.readStruct(attr, IATTR_LAYOUT)))),
      inode_set_times: (h, atime, mtime, ctime) =>
        change(h, (i) => {
          i.atime = { sec: Number(atime), nsec: 0 };
          i.mtime = { sec: Number(mtime), nsec: 0 };
          i.ctime = { sec: Number(ctime), nsec: 0 };
        }),
      inode_get_mtime: (h) => BigInt(inodeOr(h, 0, (i) => i.mtime.sec)),
      inode_get_atime: (h) => BigInt(inodeOr(h, 0, (i) => i.atime.sec)),
      inode_get_ctime: (h) => BigInt(inodeOr(h, 0, (i) => i.ctime.sec)),
      inode_get_uid: (h) => inodeOr(h, 0, (i) => i.uid),
      inode_get_gid: (h) => inodeOr(h, 0, (i) => i.gid),
      inode_set_rdev: (h, rdev) =>
        change(h, (i) => {
          i.rdev = rdev >>> 0;
          if (S_ISCHR(i.mode) || S_ISBLK(i.mode)) i.fop = this.special(i);
        }),
      inode_set_ino: (h, ino) => change(h, (i) => void (i.ino = ino >>> 0)),
      sb_set_rdonly: (h) => {
        const sb = this.ownSb(mod, h);
        if (!sb) return EINVAL;
        sb.flags |= MS_RDONLY;
        return 0;
      },
    };
  }
}

/** A host refusal (a bad address, say) as -errno, for symbols that return one. */
function guarded(fn: () => number): number {
  try {
    return fn();
  } catch (e) {
    return refusal(e);
  }
}
