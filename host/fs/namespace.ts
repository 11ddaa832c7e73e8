// Mounts (fs/namespace.c): the mount tree, mount(2), umount2(2) and /proc/mounts.

import { CAP_SYS_ADMIN } from "../../abi/capability.js";
import { capable } from "../kernel/cred.js";
import { AT_FDCWD, MNT_DETACH, MNT_FORCE, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, UMOUNT_NOFOLLOW } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { getname } from "../mm/uaccess.js";
import { Dentry } from "./dcache.js";
import { dPath } from "./d_path.js";
import type { FileSystemType, Path, SuperBlock } from "./fs.js";
import { walk } from "./namei.js";
import type { Vfs } from "./vfs.js";

export class Mount {
  /** Open files, cwds and walks in progress that hold it (mnt_count). */
  count = 0;

  constructor(
    readonly id: number,
    readonly sb: SuperBlock,
    readonly root: Dentry,
    readonly parent: Mount | null,
    readonly mountpoint: Dentry | null,
    readonly devName: string,
  ) {}
}

/** What mounting needs from the rest of the kernel: a superblock, and a hold on the filesystem's module. */
export interface MountContext {
  makeSuper(type: FileSystemType, devName: string, flags: number, data: string): SuperBlock & { root: Dentry };
  /** Pin the module that provides the filesystem; false when it is going away. */
  getOwner(type: FileSystemType): boolean;
  putOwner(type: FileSystemType): void;
  killSuper(sb: SuperBlock): void;
}

export class MountNamespace {
  private readonly mounts: Mount[] = [];
  private nextId = 1;

  constructor(private readonly ctx: MountContext) {}

  get root(): Mount {
    return this.mounts[0]!;
  }

  /** The mount on top of (mnt, dentry), if any (lookup_mnt, following stacked mounts). */
  mountedOn(mnt: Mount, dentry: Dentry): Mount | undefined {
    if (dentry.mounted === 0) return undefined;
    let top: Mount | undefined;
    for (const m of this.mounts) if (m.parent === mnt && m.mountpoint === dentry) top = m;
    return top;
  }

  /** do_new_mount(): mount a new superblock of `type` on `at` (or as the root when `at` is null). */
  mount(type: FileSystemType, devName: string, at: Path | null, flags: number, data: string): Mount {
    if (at && !(at.dentry.inode.mode & 0o040000)) throw new KernelError("ENOTDIR", `${devName}: mount point is not a directory`);
    if (at?.dentry.unhashed) throw new KernelError("ENOENT", `${devName}: mount point was removed`);
    if (!this.ctx.getOwner(type)) throw new KernelError("ENODEV", `${type.name}: filesystem is going away`);
    let sb: SuperBlock & { root: Dentry };
    try {
      sb = this.ctx.makeSuper(type, devName, flags, data);
    } catch (e) {
      this.ctx.putOwner(type);
      throw e;
    }
    const mnt = new Mount(this.nextId++, sb, sb.root, at?.mnt ?? null, at?.dentry ?? null, devName);
    if (at) at.dentry.mounted++;
    this.mounts.push(mnt);
    return mnt;
  }

  /**
   * do_umount(): EINVAL for a path that is not a mount's root, EBUSY while files, cwds or other mounts use it.
   * MNT_FORCE is accepted and, as for most Linux filesystems, changes nothing; lazy MNT_DETACH is not offered.
   */
  umount(path: Path, flags: number): void {
    const mnt = path.mnt;
    if (flags & MNT_DETACH) throw new KernelError("EINVAL", "umount: lazy unmount (MNT_DETACH) is not supported");
    if (path.dentry !== mnt.root) throw new KernelError("EINVAL", "umount: not a mount point");
    if (!mnt.parent) throw new KernelError("EBUSY", "umount: the root filesystem stays mounted");
    if (this.mounts.some((m) => m.parent === mnt)) throw new KernelError("EBUSY", `umount: ${this.pathOf(mnt)}: target is busy`);
    if (mnt.count > 0) throw new KernelError("EBUSY", `umount: ${this.pathOf(mnt)}: target is busy`);
    this.mounts.splice(this.mounts.indexOf(mnt), 1);
    mnt.mountpoint!.mounted--;
    this.ctx.killSuper(mnt.sb);
    this.ctx.putOwner(mnt.sb.type);
  }

  /** Whether any mount uses a superblock of this type (rmmod of its module is then refused). */
  uses(type: FileSystemType): boolean {
    return this.mounts.some((m) => m.sb.type === type);
  }

  /** The absolute path of a mount's root (d_path of its mountpoint). */
  pathOf(mnt: Mount): string {
    return dPath({ mnt, dentry: mnt.root });
  }

  /** /proc/mounts: "DEV DIR TYPE OPTS 0 0" per mount, in mount order; OPTS ends with the filesystem's own. */
  show(): string {
    return this.mounts
      .map((m) => `${escapeMountPath(m.devName)} ${escapeMountPath(this.pathOf(m))} ${m.sb.type.name} ${mountOptions(m.sb.flags)}${m.sb.op.showOptions?.(m.sb) ?? ""} 0 0\n`)
      .join("");
  }

  list(): readonly Mount[] {
    return this.mounts;
  }
}

/** show_vfsmnt()'s options: ro or rw, then show_mnt_opts()'s flags in its table's order, then relatime. */
function mountOptions(flags: number): string {
  const opts = [flags & MS_RDONLY ? "ro" : "rw"];
  for (const [flag, name] of [[MS_NOSUID, "nosuid"], [MS_NODEV, "nodev"], [MS_NOEXEC, "noexec"]] as const) if (flags & flag) opts.push(name);
  return [...opts, "relatime"].join(",");
}

/** mangle(): /proc/mounts escapes space, tab, newline and backslash as octal, in the device name and the path. */
function escapeMountPath(p: string): string {
  return p.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}
/** MS_REMOUNT, MS_BIND, MS_MOVE and the propagation flags: kinds of mount(2) the VFS does not offer. */
const MS_UNSUPPORTED = 32 | 4096 | 8192 | (1 << 15) | (1 << 17) | (1 << 18) | (1 << 19) | (1 << 20);
const MS_KEPT = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;

/** mount(2) of a new filesystem: ENODEV for an unknown type, EINVAL for the kinds of mount not offered. */
/** may_mount(): EPERM without CAP_SYS_ADMIN, once the mount point is found (path_mount, can_umount). */
function mayMount(what: string, task: Task): void {
  if (!capable(CAP_SYS_ADMIN, task.cred)) throw new KernelError("EPERM", `${what}: Operation not permitted`);
}

export function sys_mount(vfs: Vfs, task: Task, devName: number, dirName: number, type: number, flags: number, data: number): number {
  if (flags & MS_UNSUPPORTED) throw new KernelError("EINVAL", "mount: remount, bind, move and propagation are not supported");
  const fstype = getname(task.mm, type);
  const dev = devName === 0 ? "none" : getname(task.mm, devName);
  const options = data === 0 ? "" : getname(task.mm, data);
  const dir = getname(task.mm, dirName);
  const at = walk(vfs.at(task, AT_FDCWD, dir), dir);
  mayMount("mount", task);
  const fs = vfs.getFsType(fstype);
  vfs.ns.mount(fs, dev, at, flags & MS_KEPT, options);
  return 0;
}

/** umount2(2): MNT_FORCE and UMOUNT_NOFOLLOW accepted; any other flag is EINVAL. */
export function sys_umount2(vfs: Vfs, task: Task, name: number, flags: number): number {
  if (flags & ~(MNT_FORCE | MNT_DETACH | UMOUNT_NOFOLLOW)) throw new KernelError("EINVAL", "umount: Invalid argument");
  const dir = getname(task.mm, name);
  const path = walk(vfs.at(task, AT_FDCWD, dir), dir, !(flags & UMOUNT_NOFOLLOW));
  mayMount("umount", task);
  vfs.ns.umount(path, flags);
  return 0;
}
