// Path walk and the directory-changing operations (fs/namei.c): lookup, mkdir, mknod, symlink, unlink,
// rmdir and rename, each with Linux's errno for each misuse.

import { AT_REMOVEDIR, MAXSYMLINKS, MS_RDONLY, NAME_MAX } from "../../abi/fcntl.js";
import { CAP_MKNOD } from "../../abi/capability.js";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISDIR, S_ISLNK } from "../../abi/stat.js";
import { capable } from "../kernel/cred.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { getname } from "../mm/uaccess.js";
import type { Dentry } from "./dcache.js";
import { withNewOwner, type Inode, type InodeOperations, type Path } from "./fs.js";
import type { MountNamespace } from "./namespace.js";
import { inodeInitOwner, inodePermission, MAY_WRITE, mayCreate, mayDelete, mayLookup } from "./permission.js";
import type { Vfs } from "./vfs.js";

/** Where a walk starts and where it may not climb above (the task's root). */
export interface WalkContext {
  readonly ns: MountNamespace;
  readonly root: Path;
  /** The cwd, or the directory a *at() call's dirfd names. */
  readonly start: Path;
}

/** The parent directory of a path's last component, and that component (struct nameidata's last). */
export interface ParentWalk {
  readonly parent: Path;
  readonly last: string;
  /** LAST_DOT, LAST_DOTDOT and LAST_ROOT: a last component that names no entry of its own. */
  readonly kind: "normal" | "dot" | "dotdot" | "root";
  /** The path ended in '/', so the last component must be a directory. */
  readonly trailingSlash: boolean;
}

interface Budget {
  links: number;
}

const isDir = (inode: Inode) => S_ISDIR(inode.mode);

function enoent(path: string): KernelError {
  return new KernelError("ENOENT", `${path}: No such file or directory`);
}

/** Follow mounts down from (mnt, dentry) to the topmost filesystem mounted there (follow_mount). */
function followMounts(ns: MountNamespace, path: Path): Path {
  let p = path;
  for (let m = ns.mountedOn(p.mnt, p.dentry); m; m = ns.mountedOn(p.mnt, p.dentry)) p = { mnt: m, dentry: m.root };
  return p;
}

function dotdot(ctx: WalkContext, dir: Path): Path {
  let { mnt, dentry } = dir;
  if (mnt === ctx.root.mnt && dentry === ctx.root.dentry) return dir;
  while (dentry === mnt.root && mnt.parent) {
    dentry = mnt.mountpoint!;
    mnt = mnt.parent;
  }
  return followMounts(ctx.ns, { mnt, dentry: dentry.parent ?? dentry });
}

/**
 * d_invalidate's shrink of a name found stale: each inode at and below it that the filesystem marked gone
 * (nlink 0) is evicted now, or when the last file or cwd holding it goes.
 */
function evictStale(dentry: Dentry): void {
  for (const child of dentry.children.values()) evictStale(child);
  dentry.inode.evictIfUnused();
}

/** lookup_one(): a name in a directory, from the dcache or the filesystem's lookup; null when absent. */
export function lookupChild(ctx: WalkContext, dir: Path, name: string): Path | null {
  if (name === ".") return dir;
  if (name === "..") return dotdot(ctx, dir);
  if (new TextEncoder().encode(name).length > NAME_MAX) throw new KernelError("ENAMETOOLONG", `${name.slice(0, 16)}...: File name too long`);
  let child = dir.dentry.children.get(name);
  const dirInode = dir.dentry.inode;
  if (child && dirInode.op.revalidate && child.mounted === 0 && !dirInode.op.revalidate(dirInode, name, child.inode)) {
    dir.dentry.drop(name);
    evictStale(child);
    child = undefined;
  }
  if (!child) {
    const inode = dir.dentry.inode.op.lookup?.(dir.dentry.inode, name) ?? null;
    if (!inode) return null;
    child = dir.dentry.add(name, inode);
  }
  return followMounts(ctx.ns, { mnt: dir.mnt, dentry: child });
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "");
}

/** The target of a symlink, through the filesystem's get_link. */
export function readLink(inode: Inode): string {
  if (!inode.op.getLink) throw new KernelError("EINVAL", "readlink: not a symbolic link");
  return inode.op.getLink(inode);
}

function followLink(ctx: WalkContext, dir: Path, link: Path, budget: Budget): Path {
  if (++budget.links > MAXSYMLINKS) throw new KernelError("ELOOP", "Too many levels of symbolic links");
  return resolve({ ...ctx, start: dir }, readLink(link.dentry.inode), true, budget);
}

function resolve(ctx: WalkContext, path: string, followLast: boolean, budget: Budget): Path {
  const parent = resolveParent(ctx, path, budget);
  if (parent.kind !== "normal") return parent.kind === "dotdot" ? dotdot(ctx, parent.parent) : parent.parent;
  const found = lookupChild(ctx, parent.parent, parent.last);
  if (!found) throw enoent(path);
  const target = S_ISLNK(found.dentry.inode.mode) && (followLast || parent.trailingSlash)
    ? followLink(ctx, parent.parent, found, budget)
    : found;
  if (parent.trailingSlash && !isDir(target.dentry.inode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  return target;
}

function resolveParent(ctx: WalkContext, path: string, budget: Budget): ParentWalk {
  if (path === "") throw enoent(path);
  const comps = components(path);
  let cur = path.startsWith("/") ? ctx.root : ctx.start;
  const trailingSlash = path.endsWith("/");
  if (comps.length === 0) return { parent: cur, last: "/", kind: "root", trailingSlash };
  for (const name of comps.slice(0, -1)) {
    if (!isDir(cur.dentry.inode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
    mayLookup(cur.dentry.inode, path);
    const next = lookupChild(ctx, cur, name);
    if (!next) throw enoent(path);
    cur = S_ISLNK(next.dentry.inode.mode) ? followLink(ctx, cur, next, budget) : next;
  }
  if (!isDir(cur.dentry.inode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  mayLookup(cur.dentry.inode, path);
  const last = comps[comps.length - 1]!;
  const kind = last === "." ? "dot" : last === ".." ? "dotdot" : "normal";
  return { parent: cur, last, kind, trailingSlash };
}

/** filename_lookup(): the path's target; a final symlink is followed when `follow`. */
export function walk(ctx: WalkContext, path: string, follow = true): Path {
  return resolve(ctx, path, follow, { links: 0 });
}

/** filename_parentat(): the last component's directory, walked with symlinks followed. */
export function walkParent(ctx: WalkContext, path: string): ParentWalk {
  return resolveParent(ctx, path, { links: 0 });
}

/** The last component's entry, if it exists (not following a final symlink). */
export function lookupLast(ctx: WalkContext, p: ParentWalk): Path | null {
  if (p.kind === "root") return p.parent;
  if (p.kind === "dot") return p.parent;
  if (p.kind === "dotdot") return dotdot(ctx, p.parent);
  return lookupChild(ctx, p.parent, p.last);
}

/** A directory's operation; a filesystem without it refuses as Linux does: EACCES to create a file
 *  (vfs_create, lookup_open), EPERM for the others (vfs_mkdir, vfs_mknod, vfs_unlink...). */
function dirOp<K extends keyof InodeOperations>(dir: Inode, op: K): NonNullable<InodeOperations[K]> {
  const fn = dir.op[op];
  if (!fn && op === "create") throw new KernelError("EACCES", `${op}: Permission denied`);
  if (!fn) throw new KernelError("EPERM", `${op}: Operation not permitted`);
  return fn.bind(dir.op) as NonNullable<InodeOperations[K]>;
}

/** IS_DEADDIR: a directory that was removed (its dentry unhashed) takes no new entries; ENOENT. */
function checkAlive(p: ParentWalk, path: string): void {
  if (p.parent.dentry.unhashed) throw enoent(path);
}

function mustCreate(ctx: WalkContext, path: string): ParentWalk {
  const p = walkParent(ctx, path);
  if (p.kind !== "normal") throw new KernelError("EEXIST", `${path}: File exists`);
  checkAlive(p, path);
  if (lookupLast(ctx, p)) throw new KernelError("EEXIST", `${path}: File exists`);
  return p;
}

function checkWritable(p: Path): void {
  if (p.mnt.sb.flags & MS_RDONLY) throw new KernelError("EROFS", "Read-only file system");
}

/** vfs_mkdir (do_mkdirat): the permission bits and the sticky bit of mode, less the umask; never set-id bits. */
export function mkdir(ctx: WalkContext, path: string, mode: number): void {
  const p = mustCreate(ctx, path);
  checkWritable(p.parent);
  const dir = p.parent.dentry.inode;
  mayCreate(dir, path);
  const owner = inodeInitOwner(dir, S_IFDIR | ((mode & 0o1777) & ~0o022));
  const inode = withNewOwner(owner, () => dirOp(dir, "mkdir")(dir, p.last, owner.mode & ~S_IFMT));
  p.parent.dentry.add(p.last, inode);
}

/** vfs_create / vfs_mknod (do_mknodat): regular files, device nodes, FIFOs and sockets; EPERM for directories. */
export function mknod(ctx: WalkContext, path: string, mode: number, dev: number): Inode {
  const type = mode & S_IFMT || S_IFREG;
  if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) {
    throw new KernelError(S_ISDIR(type) ? "EPERM" : "EINVAL", `${path}: Invalid argument`);
  }
  const p = mustCreate(ctx, path);
  if (p.trailingSlash) throw new KernelError("ENOENT", `${path}: No such file or directory`);
  checkWritable(p.parent);
  const dir = p.parent.dentry.inode;
  mayCreate(dir, path);
  if ((type === S_IFCHR || type === S_IFBLK) && !capable(CAP_MKNOD)) throw new KernelError("EPERM", `${path}: Operation not permitted`);
  const owner = inodeInitOwner(dir, type | ((mode & 0o7777) & ~0o022));
  const inode = withNewOwner(owner, () =>
    type === S_IFREG ? dirOp(dir, "create")(dir, p.last, owner.mode) : dirOp(dir, "mknod")(dir, p.last, owner.mode, dev));
  p.parent.dentry.add(p.last, inode);
  return inode;
}

/** Create the last component as a regular file for open(O_CREAT); ENOENT in a removed directory. */
export function create(p: ParentWalk, mode: number): Path {
  checkAlive(p, p.last);
  checkWritable(p.parent);
  const dir = p.parent.dentry.inode;
  mayCreate(dir, p.last);
  const owner = inodeInitOwner(dir, S_IFREG | ((mode & 0o7777) & ~0o022));
  const inode = withNewOwner(owner, () => dirOp(dir, "create")(dir, p.last, owner.mode));
  return { mnt: p.parent.mnt, dentry: p.parent.dentry.add(p.last, inode) };
}

/** vfs_symlink (do_symlinkat): ENOENT for an empty target, and for a new name with a trailing slash. */
export function symlink(ctx: WalkContext, target: string, path: string): void {
  if (target === "") throw new KernelError("ENOENT", `${path}: No such file or directory`);
  const p = mustCreate(ctx, path);
  if (p.trailingSlash) throw enoent(path);
  checkWritable(p.parent);
  const dir = p.parent.dentry.inode;
  mayCreate(dir, path);
  const owner = inodeInitOwner(dir, S_IFLNK | 0o777);
  p.parent.dentry.add(p.last, withNewOwner(owner, () => dirOp(dir, "symlink")(dir, p.last, target)));
}

function busy(ctx: WalkContext, victim: Path): boolean {
  return victim.dentry.mounted > 0 || victim.dentry === victim.mnt.root || ctx.ns.mountedOn(victim.mnt, victim.dentry) !== undefined;
}

function existing(ctx: WalkContext, p: ParentWalk, path: string): Path {
  const victim = lookupChild(ctx, p.parent, p.last);
  if (!victim) throw enoent(path);
  return victim;
}

/** The dentry as its parent directory holds it, under any mount stacked on it. */
function underMounts(p: ParentWalk): Dentry {
  return p.parent.dentry.children.get(p.last)!;
}

/** vfs_unlink (do_unlinkat): EISDIR for directories, EBUSY for mount points, EROFS before the name is looked up. */
export function unlink(ctx: WalkContext, path: string): void {
  const p = walkParent(ctx, path);
  if (p.kind !== "normal") throw new KernelError("EISDIR", `${path}: Is a directory`);
  checkWritable(p.parent);
  const victim = existing(ctx, p, path);
  const dentry = underMounts(p);
  mayDelete(p.parent.dentry.inode, dentry.inode, path);
  if (isDir(dentry.inode)) throw new KernelError("EISDIR", `${path}: Is a directory`);
  if (p.trailingSlash) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  if (busy(ctx, victim)) throw new KernelError("EBUSY", `${path}: Device or resource busy`);
  const dir = p.parent.dentry.inode;
  dirOp(dir, "unlink")(dir, p.last, dentry.inode);
  p.parent.dentry.drop(p.last);
  dentry.inode.evictIfUnused();
}

/** vfs_rmdir (do_rmdir): EINVAL for ".", ENOTEMPTY for "..", EROFS, then ENOTDIR and EBUSY for mount points. */
export function rmdir(ctx: WalkContext, path: string): void {
  const p = walkParent(ctx, path);
  if (p.kind === "dot") throw new KernelError("EINVAL", `${path}: Invalid argument`);
  if (p.kind === "dotdot") throw new KernelError("ENOTEMPTY", `${path}: Directory not empty`);
  if (p.kind === "root") throw new KernelError("EBUSY", `${path}: Device or resource busy`);
  checkWritable(p.parent);
  const victim = existing(ctx, p, path);
  const dentry = underMounts(p);
  mayDelete(p.parent.dentry.inode, dentry.inode, path);
  if (!isDir(dentry.inode)) throw new KernelError("ENOTDIR", `${path}: Not a directory`);
  if (busy(ctx, victim)) throw new KernelError("EBUSY", `${path}: Device or resource busy`);
  const dir = p.parent.dentry.inode;
  dirOp(dir, "rmdir")(dir, p.last, dentry.inode);
  p.parent.dentry.drop(p.last);
  dentry.inode.evictIfUnused();
}

/**
 * vfs_rename (do_renameat2), with the POSIX rules checked before the filesystem sees it: EXDEV across mounts,
 * EINVAL to move a directory below itself, ENOTEMPTY onto an ancestor, ENOTDIR and EISDIR for a type
 * mismatch, EBUSY for mount points and "." or "..". Renaming a name onto itself, or onto another link of the
 * same inode, does nothing.
 */
export function rename(ctx: WalkContext, from: string, to: string, toCtx: WalkContext = ctx): void {
  const op = walkParent(ctx, from);
  const np = walkParent(toCtx, to);
  if (op.parent.mnt !== np.parent.mnt) throw new KernelError("EXDEV", `${from}: Invalid cross-device link`);
  if (op.kind !== "normal" || np.kind !== "normal") throw new KernelError("EBUSY", `${from}: Device or resource busy`);
  checkWritable(op.parent);
  const oldPath = existing(ctx, op, from);
  const old = underMounts(op);
  const target = lookupChild(ctx, np.parent, np.last);
  const victim = target ? underMounts(np) : null;
  const oldIsDir = isDir(old.inode);
  if (!oldIsDir && (op.trailingSlash || np.trailingSlash)) throw new KernelError("ENOTDIR", `${from}: Not a directory`);
  if (victim === old || victim?.inode === old.inode) return;
  if (oldIsDir && np.parent.dentry.isBelow(old)) throw new KernelError("EINVAL", `${from}: Invalid argument`);
  if (victim && op.parent.dentry.isBelow(victim)) throw new KernelError("ENOTEMPTY", `${to}: Directory not empty`);
  mayRename(op, np, old, victim, from, to);
  if (victim && oldIsDir && !isDir(victim.inode)) throw new KernelError("ENOTDIR", `${to}: Not a directory`);
  if (victim && !oldIsDir && isDir(victim.inode)) throw new KernelError("EISDIR", `${to}: Is a directory`);
  if (busy(ctx, oldPath) || (target && busy(ctx, target))) throw new KernelError("EBUSY", `${from}: Device or resource busy`);
  const oldDir = op.parent.dentry.inode;
  dirOp(oldDir, "rename")(oldDir, op.last, np.parent.dentry.inode, np.last);
  old.move(np.parent.dentry, np.last);
  victim?.inode.evictIfUnused();
}

/**
 * vfs_rename()'s permission checks: the old entry may be deleted, the new one deleted or created, and a
 * directory that changes parent must be writable itself (its ".." changes).
 */
function mayRename(op: ParentWalk, np: ParentWalk, old: Dentry, victim: Dentry | null, from: string, to: string): void {
  mayDelete(op.parent.dentry.inode, old.inode, from);
  if (victim) mayDelete(np.parent.dentry.inode, victim.inode, to);
  else mayCreate(np.parent.dentry.inode, to);
  if (isDir(old.inode) && op.parent.dentry !== np.parent.dentry) inodePermission(old.inode, MAY_WRITE, from);
}

/** The system calls of this file: each reads its paths from the task's memory and walks from its dirfd. */
export const namei = {
  mkdirat(vfs: Vfs, task: Task, dirfd: number, pathname: number, mode: number): number {
    const path = getname(task.mm, pathname);
    mkdir(vfs.at(task, dirfd, path), path, mode);
    return 0;
  },
  mknodat(vfs: Vfs, task: Task, dirfd: number, pathname: number, mode: number, dev: number): number {
    const path = getname(task.mm, pathname);
    mknod(vfs.at(task, dirfd, path), path, mode, dev);
    return 0;
  },
  symlinkat(vfs: Vfs, task: Task, oldname: number, newdirfd: number, newname: number): number {
    const target = getname(task.mm, oldname);
    const path = getname(task.mm, newname);
    symlink(vfs.at(task, newdirfd, path), target, path);
    return 0;
  },
  /** unlinkat(2): AT_REMOVEDIR makes it rmdir; any other flag is EINVAL. */
  unlinkat(vfs: Vfs, task: Task, dirfd: number, pathname: number, flags: number): number {
    if (flags & ~AT_REMOVEDIR) throw new KernelError("EINVAL", "unlinkat: Invalid argument");
    const path = getname(task.mm, pathname);
    (flags & AT_REMOVEDIR ? rmdir : unlink)(vfs.at(task, dirfd, path), path);
    return 0;
  },
  renameat(vfs: Vfs, task: Task, olddirfd: number, oldname: number, newdirfd: number, newname: number): number {
    const from = getname(task.mm, oldname);
    const to = getname(task.mm, newname);
    const fromCtx = vfs.at(task, olddirfd, from);
    rename(fromCtx, from, to, vfs.at(task, newdirfd, to));
    return 0;
  },
};
