// hostfs: a host directory as a filesystem (User-Mode Linux's fs/hostfs/hostfs_kern.c):
// `mount -t hostfs none /host -o /some/host/dir`, read-write.
//
// The module keeps each inode's place (its parent and name) and asks the kernel's host side for the rest
// (hostfs_stat, hostfs_read...), naming paths relative to the mount's host directory. The host side
// confines them there: no path, '..' or symlink leaves it, whatever this module asks.
//
// Attributes live on the host, as in Linux's hostfs: setattr applies chmod, chown, truncate and utimes to
// the host file (hostfs_set_attr), and an inode's mode, owner, size, blocks, links and times are what the
// host's lstat says, read again at each walk through its name (d_revalidate, where Linux's hostfs, whose
// dentries are not cached, looks the name up again), so changes made on the host behind the kernel's back show.

import {
  ATTR_ATIME, ATTR_CTIME, ATTR_GID, ATTR_MODE, ATTR_MTIME, ATTR_UID, copy_from_user, copy_to_user, dir_ctx_set_pos, dir_emit,
  drop_nlink, EFAULT, EINVAL, ENOENT, EPERM, file_inode, file_operations, file_system_type, hostfs_create, hostfs_mkdir, hostfs_read,
  hostfs_readdir, hostfs_readlink, hostfs_rename, hostfs_rmdir, hostfs_set_attr, hostfs_set_root, hostfs_stat, hostfs_statfs,
  hostfs_symlink, hostfs_unlink, hostfs_write, host_stat, iattr, inc_nlink, inode_get_ino, inode_get_mode, inode_get_size,
  inode_operations, inode_set_blocks, inode_set_ino, inode_set_link, inode_set_ops, inode_set_size, inode_touch, kstatfs, NAME_MAX,
  new_inode, pr_info, register_filesystem, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, sb_mount_data, sb_set_ops, set_nlink, setattr_copy,
  super_operations, unregister_filesystem, HOSTFS_SUPER_MAGIC,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("A host directory as a filesystem, as User-Mode Linux's hostfs");
MODULE_ALIAS("fs-hostfs");

/** Bytes moved through the module per host read or write. */
const CHUNK: i32 = 65536;
const PATH_MAX: i32 = 4096;

/** Each inode's parent and name (the root's parent is itself, its name ""), and its superblock. */
const parentOf = new Map<u32, u32>();
const nameOf = new Map<u32, string>();
const superOf = new Map<u32, u32>();
/**
 * Each inode's number and birth time on the host (hostfs_inode_test's): a name found holding another is a
 * different file, even one the host gave the number of a file it freed.
 */
const hostIno = new Map<u32, i64>();
const hostBtime = new Map<u32, i64>();
/**
 * Inodes whose host file is gone or replaced, and those found below them, kept while a file or cwd holds
 * them: their place names nothing of theirs on the host any more (an ancestor may even be evicted), so
 * every host call on them is ENOENT.
 */
const stale = new Set<u32>();
const chunk = new Uint8Array(CHUNK);
const nameBuf = new Uint8Array(4 * NAME_MAX);
const pathBuf = new Uint8Array(PATH_MAX);
const st = new host_stat();
const fromHost = new iattr();

const dirIops = new inode_operations();
const dirFops = new file_operations();
const fileIops = new inode_operations();
const linkIops = new inode_operations();
const fileFops = new file_operations();
const sops = new super_operations();
const fsType = new file_system_type();

/** The inode's path below the host directory: its ancestors' names joined by '/'. */
function pathOf(inode: u32): string {
  let path = "";
  for (let at = inode; parentOf.has(at) && parentOf.get(at) != at; at = parentOf.get(at)) {
    path = path.length > 0 ? nameOf.get(at) + "/" + path : nameOf.get(at);
  }
  return path;
}

function childPath(dir: u32, name: string): string {
  const base = pathOf(dir);
  return base.length > 0 ? base + "/" + name : name;
}

/** Call fn with a path's UTF-8 bytes (ptr, len). */
function withPath(path: string, fn: (ptr: usize, len: i32) => i32): i32 {
  const len = String.UTF8.encodeUnsafe(changetype<usize>(path), path.length, pathBuf.dataStart);
  return fn(pathBuf.dataStart, <i32>len);
}

/** hostfs_stat of a path on the superblock of the call in progress, into st. */
function stat(path: string): i32 {
  return withPath(path, (p, l) => hostfs_stat(superOfPath, p, l, st));
}

/** withPath's closures cannot capture: the superblock of the call in progress. */
let superOfPath: u32 = 0;

function onHost(inode: u32, path: string, fn: (ptr: usize, len: i32) => i32): i32 {
  if (stale.has(inode)) return -ENOENT;
  superOfPath = superOf.get(inode);
  return withPath(path, fn);
}

/** The birth time hostfs_stat left in st, in nanoseconds. */
function btime(): i64 {
  return st.btime_sec * 1_000_000_000 + st.btime_nsec;
}

/** hostfs_inode_update(): the inode's links, mode, owner, times, size and blocks as hostfs_stat left them in st. */
function refresh(inode: u32): void {
  set_nlink(inode, st.nlink);
  fromHost.ia_valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME | ATTR_CTIME;
  fromHost.ia_mode = st.mode;
  fromHost.ia_uid = st.uid;
  fromHost.ia_gid = st.gid;
  fromHost.ia_atime_sec = st.atime_sec;
  fromHost.ia_atime_nsec = st.atime_nsec;
  fromHost.ia_mtime_sec = st.mtime_sec;
  fromHost.ia_mtime_nsec = st.mtime_nsec;
  fromHost.ia_ctime_sec = st.ctime_sec;
  fromHost.ia_ctime_nsec = st.ctime_nsec;
  setattr_copy(inode, fromHost);
  inode_set_blocks(inode, <u32>min<i64>(st.blocks, 0xffffffff));
  inode_set_size(inode, <i32>min<i64>(st.size, 0x7fffffff));
}

/** A new inode for what hostfs_stat found at path, placed under parent as name, numbered as on the host. */
function makeInode(sb: u32, parent: u32, name: string): u32 {
  superOfPath = sb;
  const inode = new_inode(sb, st.mode);
  if (inode == 0) return 0;
  parentOf.set(inode, parent == 0 ? inode : parent);
  nameOf.set(inode, name);
  superOf.set(inode, sb);
  hostIno.set(inode, st.ino);
  hostBtime.set(inode, btime());
  inode_set_ino(inode, <u32>st.ino);
  const type = st.mode & S_IFMT;
  if (type == S_IFDIR) inode_set_ops(inode, dirIops, dirFops);
  else if (type == S_IFREG) inode_set_ops(inode, fileIops, fileFops);
  else if (type == S_IFLNK) {
    // A symlink's target never changes in place (a new one is a new host file), so it is read once; reading it
    // moves the host's atime, so the attributes are taken after.
    inode_set_ops(inode, linkIops, changetype<file_operations>(0));
    const path = pathOf(inode);
    const len = onHost(inode, path, (p, l) => hostfs_readlink(superOfPath, p, l, chunk.dataStart, CHUNK));
    if (len >= 0) inode_set_link(inode, chunk.dataStart, len);
    stat(path);
  }
  refresh(inode);
  return inode;
}

function hostfs_mount(sb: u32, flags: i32): i32 {
  const len = sb_mount_data(sb, pathBuf.dataStart, PATH_MAX);
  if (len <= 0) return len < 0 ? len : -EINVAL;
  const err = hostfs_set_root(sb, pathBuf.dataStart, len);
  if (err < 0) return err;
  superOfPath = sb;
  const e = stat("");
  if (e < 0) return e;
  const root = makeInode(sb, 0, "");
  sb_set_ops(sb, sops);
  pr_info("hostfs: mounted %s\n", String.UTF8.decodeUnsafe(pathBuf.dataStart, <usize>len));
  return <i32>root;
}

function forget(inode: u32): void {
  parentOf.delete(inode);
  nameOf.delete(inode);
  superOf.delete(inode);
  hostIno.delete(inode);
  hostBtime.delete(inode);
  stale.delete(inode);
}

function hostfs_kill_sb(sb: u32): void {
  const inodes = superOf.keys();
  for (let i = 0; i < inodes.length; i++) if (superOf.get(inodes[i]) == sb) forget(inodes[i]);
}

function hostfs_evict_inode(inode: u32): void {
  forget(inode);
}

function hostfs_lookup(dir: u32, name: usize, len: i32): i32 {
  if (stale.has(dir)) return 0;
  const key = String.UTF8.decodeUnsafe(name, <usize>len);
  superOfPath = superOf.get(dir);
  const err = stat(childPath(dir, key));
  if (err == -ENOENT) return 0;
  if (err < 0) return err;
  return <i32>makeInode(superOf.get(dir), dir, key);
}

/** An inode whose host file is gone, and every inode found below it: stale, and unlinked, to be evicted once unused. */
function gone(inode: u32): void {
  const inodes = parentOf.keys();
  for (let i = 0; i < inodes.length; i++) {
    let at = inodes[i];
    while (at != inode && parentOf.has(at) && parentOf.get(at) != at) at = parentOf.get(at);
    if (at != inode) continue;
    stale.add(inodes[i]);
    set_nlink(inodes[i], 0);
  }
}

/**
 * d_revalidate: the name still holds the same host file (its number, birth time and type), whose attributes the inode
 * then takes; a file gone or replaced on the host is to the kernel as if unlinked, and the name is looked up again.
 */
function hostfs_revalidate(dir: u32, name: usize, len: i32, inode: u32): i32 {
  if (stale.has(inode)) return 0;
  superOfPath = superOf.get(inode);
  const err = stat(pathOf(inode));
  if (err < 0 && err != -ENOENT) return err;
  const same = err == 0 && st.ino == hostIno.get(inode) && btime() == hostBtime.get(inode)
    && (st.mode & S_IFMT) == (inode_get_mode(inode) & S_IFMT);
  if (!same) {
    gone(inode);
    return 0;
  }
  refresh(inode);
  return 1;
}

/** An operation that makes name in dir on the host, then the inode for it. */
function made(dir: u32, name: usize, len: i32, fn: (ptr: usize, l: i32) => i32): i32 {
  const key = String.UTF8.decodeUnsafe(name, <usize>len);
  const path = childPath(dir, key);
  const err = onHost(dir, path, fn);
  if (err < 0) return err;
  const e = stat(path);
  if (e < 0) return e;
  inode_touch(dir, true);
  return <i32>makeInode(superOf.get(dir), dir, key);
}

let modeArg: u32 = 0;
let targetPtr: usize = 0;
let targetLen: i32 = 0;

function hostfs_create_op(dir: u32, name: usize, len: i32, mode: u32): i32 {
  modeArg = mode;
  return made(dir, name, len, (p, l) => hostfs_create(superOfPath, p, l, modeArg));
}

function hostfs_mkdir_op(dir: u32, name: usize, len: i32, mode: u32): i32 {
  modeArg = mode;
  const inode = made(dir, name, len, (p, l) => hostfs_mkdir(superOfPath, p, l, modeArg));
  if (inode > 0) inc_nlink(dir);
  return inode;
}

function hostfs_mknod_op(dir: u32, name: usize, len: i32, mode: u32, rdev: u32): i32 {
  return -EPERM;
}

function hostfs_symlink_op(dir: u32, name: usize, len: i32, target: usize, tlen: i32): i32 {
  targetPtr = target;
  targetLen = tlen;
  return made(dir, name, len, (p, l) => hostfs_symlink(superOfPath, p, l, targetPtr, targetLen));
}

function hostfs_unlink_op(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const err = onHost(dir, pathOf(inode), (p, l) => hostfs_unlink(superOfPath, p, l));
  if (err < 0) return err;
  drop_nlink(inode);
  inode_touch(dir, true);
  return 0;
}

function hostfs_rmdir_op(dir: u32, name: usize, len: i32, inode: u32): i32 {
  const err = onHost(dir, pathOf(inode), (p, l) => hostfs_rmdir(superOfPath, p, l));
  if (err < 0) return err;
  set_nlink(inode, 0);
  drop_nlink(dir);
  inode_touch(dir, true);
  return 0;
}

let renameTo: ArrayBuffer = new ArrayBuffer(0);

function hostfs_rename_op(olddir: u32, oldname: usize, oldlen: i32, newdir: u32, newname: usize, newlen: i32): i32 {
  const from = String.UTF8.decodeUnsafe(oldname, <usize>oldlen);
  const to = String.UTF8.decodeUnsafe(newname, <usize>newlen);
  if (stale.has(newdir)) return -ENOENT;
  renameTo = String.UTF8.encode(childPath(newdir, to));
  const err = onHost(olddir, childPath(olddir, from), (p, l) => hostfs_rename(superOfPath, p, l, changetype<usize>(renameTo), renameTo.byteLength));
  if (err < 0) return err;
  // The inode moved keeps its handle: find it by its old place and give it the new one.
  const inodes = parentOf.keys();
  for (let i = 0; i < inodes.length; i++) {
    const inode = inodes[i];
    if (parentOf.get(inode) == olddir && nameOf.get(inode) == from && inode != olddir) {
      parentOf.set(inode, newdir);
      nameOf.set(inode, to);
      if ((inode_get_mode(inode) & S_IFMT) == S_IFDIR && olddir != newdir) {
        drop_nlink(olddir);
        inc_nlink(newdir);
      }
    }
  }
  inode_touch(olddir, true);
  inode_touch(newdir, true);
  return 0;
}

let attrArg: iattr = fromHost;

/**
 * hostfs_setattr(): the change goes to the host file (set_attr), refused there with the host's errno and nothing
 * changed in the inode; then the inode is what the host says (its ctime and time precision are the host's).
 */
function hostfs_setattr(inode: u32, attr: iattr): i32 {
  attrArg = attr;
  const path = pathOf(inode);
  const err = onHost(inode, path, (p, l) => hostfs_set_attr(superOfPath, p, l, attrArg));
  if (err < 0) return err;
  if (stat(path) == 0) refresh(inode);
  else setattr_copy(inode, attr);
  return 0;
}

let ioLen: i32 = 0;
let ioPos: i64 = 0;

function hostfs_read_op(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const inode = file_inode(file);
  const path = pathOf(inode);
  let done = 0;
  while (done < count) {
    ioLen = min(CHUNK, count - done);
    ioPos = <i64>pos + done;
    const n = onHost(inode, path, (p, l) => hostfs_read(superOfPath, p, l, chunk.dataStart, ioLen, ioPos));
    if (n < 0) return done > 0 ? done : n;
    if (n == 0) break;
    if (copy_to_user(ubuf + <usize>done, chunk.dataStart, <usize>n) != 0) return done > 0 ? done : -EFAULT;
    done += n;
  }
  return done;
}

function hostfs_write_op(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const inode = file_inode(file);
  const path = pathOf(inode);
  let done = 0;
  while (done < count) {
    ioLen = min(CHUNK, count - done);
    ioPos = <i64>pos + done;
    if (copy_from_user(chunk.dataStart, ubuf + <usize>done, <usize>ioLen) != 0) return done > 0 ? done : -EFAULT;
    const n = onHost(inode, path, (p, l) => hostfs_write(superOfPath, p, l, chunk.dataStart, ioLen, ioPos));
    if (n < 0) return done > 0 ? done : n;
    done += n;
  }
  if (pos + done > inode_get_size(inode)) inode_set_size(inode, pos + done);
  inode_touch(inode, true);
  return done;
}

function emit(ctx: u32, name: string, ino: i32, type: u32): bool {
  const len = <i32>String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, nameBuf.dataStart);
  return dir_emit(ctx, nameBuf.dataStart, len, ino, type);
}

let readdirIndex: i32 = 0;

/** "." and "..", then the host directory's entries in name order, position 2 + their index. */
function hostfs_iterate(file: u32, ctx: u32, pos: i32): i32 {
  const dir = file_inode(file);
  if (pos == 0) {
    if (!emit(ctx, ".", inode_get_ino(dir), S_IFDIR >> 12)) return 0;
    dir_ctx_set_pos(ctx, (pos = 1));
  }
  if (pos == 1) {
    if (!emit(ctx, "..", inode_get_ino(parentOf.get(dir)), S_IFDIR >> 12)) return 0;
    dir_ctx_set_pos(ctx, (pos = 2));
  }
  const path = pathOf(dir);
  for (readdirIndex = pos - 2; readdirIndex < 0x7fffffff; readdirIndex++) {
    const len = onHost(dir, path, (p, l) => hostfs_readdir(superOfPath, p, l, readdirIndex, nameBuf.dataStart, nameBuf.length));
    if (len <= 0) return len;
    const name = String.UTF8.decodeUnsafe(nameBuf.dataStart, <usize>len);
    const err = stat(childPath(dir, name));
    const type = err < 0 ? 0 : (st.mode & S_IFMT) >> 12;
    if (!emit(ctx, name, err < 0 ? 0 : <i32>st.ino, type)) return 0;
    dir_ctx_set_pos(ctx, readdirIndex + 3);
  }
  return 0;
}

/** hostfs_statfs(): the host directory's figures, with hostfs's magic. */
function hostfs_statfs_op(sb: u32, buf: usize): i32 {
  const err = hostfs_statfs(sb, changetype<kstatfs>(buf));
  if (err < 0) return err;
  changetype<kstatfs>(buf).f_type = HOSTFS_SUPER_MAGIC;
  return 0;
}

function hostfs_fsync(file: u32): i32 {
  return 0;
}

export function init_module(): i32 {
  dirIops.lookup = hostfs_lookup.index;
  dirIops.create = hostfs_create_op.index;
  dirIops.mkdir = hostfs_mkdir_op.index;
  dirIops.mknod = hostfs_mknod_op.index;
  dirIops.symlink = hostfs_symlink_op.index;
  dirIops.unlink = hostfs_unlink_op.index;
  dirIops.rmdir = hostfs_rmdir_op.index;
  dirIops.rename = hostfs_rename_op.index;
  dirIops.setattr = hostfs_setattr.index;
  dirIops.revalidate = hostfs_revalidate.index;
  dirFops.iterate = hostfs_iterate.index;
  dirFops.fsync = hostfs_fsync.index;
  fileIops.setattr = hostfs_setattr.index;
  linkIops.setattr = hostfs_setattr.index;
  fileFops.read = hostfs_read_op.index;
  fileFops.write = hostfs_write_op.index;
  fileFops.fsync = hostfs_fsync.index;
  sops.evict_inode = hostfs_evict_inode.index;
  sops.statfs = hostfs_statfs_op.index;
  fsType.name = "hostfs";
  fsType.mount = hostfs_mount.index;
  fsType.kill_sb = hostfs_kill_sb.index;
  return register_filesystem(fsType);
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
