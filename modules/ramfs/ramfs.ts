// ramfs: a filesystem kept entirely in the module's memory (fs/ramfs, as a module).
//
// The VFS owns inodes and dentries and checks the POSIX rules; ramfs keeps what only it knows: each
// directory's entries, each file's data in 4 KiB pages (a page never written is a hole and reads as
// zeros), and which superblock each inode belongs to, so an unmount frees exactly that mount's data.
// Each entry keeps the readdir position it was made at, so a reader that unlinks as it lists (rm -r)
// misses nothing.
//
// Running out of memory is an errno, never a trap: the allocator traps when the heap cannot grow, which
// would kill the module and every mount with it. So each operation first asks for room for what it may
// allocate (room()); a full ramfs refuses new files with ENOSPC and new pages with ENOMEM, as Linux's
// ramfs does, and keeps every file it holds. Growing operations leave RESERVE free besides, so lookups,
// reads, truncation and removal still work on a full ramfs.

import {
  __GFP_NOWARN, ATTR_SIZE, copy_from_user, copy_to_user, dir_ctx_set_pos, dir_emit, drop_nlink, EFAULT, EFBIG, ENOMEM, ENOSPC, ENOTEMPTY,
  file_inode, file_operations, file_system_type, GFP_KERNEL, iattr, inc_nlink, inode_get_ino, inode_get_mode, inode_get_size,
  inode_operations, inode_set_link, inode_set_blocks, inode_set_ops, inode_set_size, inode_touch, kfree, kmalloc, kstatfs, NAME_MAX,
  new_inode, pr_info, RAMFS_MAGIC, register_filesystem, S_IFDIR, S_IFLNK, S_IFMT, sb_set_ops, set_nlink, setattr_copy, super_operations,
  unregister_filesystem,
} from "../../abi/include/kernel";
import { Dir } from "./ramfs_dir";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("A filesystem in the module's own memory");
MODULE_ALIAS("fs-ramfs");

const PAGE: i32 = 4096;
/** Files stop where i32 offsets do. */
const MAX_SIZE: i64 = 0x7fffffff;
/** What a growing operation leaves free for the operations that must work on a full ramfs. */
const RESERVE: i32 = 64 * 1024;
/** A name as a string, a directory entry and the objects around them, generously. */
const NAME_ROOM: i32 = 4 * NAME_MAX + 256;
/** What one more (or one fewer) key may cost a map: the map rehashes into arrays twice its size. */
const PER_KEY: i32 = 128;

const dirs = new Map<u32, Dir>();
const parents = new Map<u32, u32>();
const pages = new Map<u32, Map<i32, Uint8Array>>();
const superOf = new Map<u32, u32>();
const zeroPage = new Uint8Array(PAGE);
/** dir_emit's copy of a name, reused so that listing a directory allocates nothing per entry. */
const nameBuf = new Uint8Array(4 * NAME_MAX);

const dirIops = new inode_operations();
const dirFops = new file_operations();
const fileIops = new inode_operations();
const fileFops = new file_operations();
const sops = new super_operations();
const fsType = new file_system_type();

/**
 * Whether the heap can take `bytes` more without trapping. The allocator itself would trap, so the kernel's
 * kmalloc (which says NULL instead) is asked for a block that size, freed at once; if it has none, a full
 * collection frees the garbage and it is asked again.
 */
function room(bytes: i32): bool {
  if (probe(bytes)) return true;
  __collect();
  return probe(bytes);
}

function probe(bytes: i32): bool {
  const block = kmalloc(<usize>bytes, GFP_KERNEL | __GFP_NOWARN);
  if (block == 0) return false;
  kfree(block);
  return true;
}

/** Room to link a new inode into dir: its name, its entry, and the maps that key every inode and dir's names. */
function roomToMake(dir: u32): bool {
  return room(RESERVE + NAME_ROOM + PER_KEY * (superOf.size + dirs.get(dir).size));
}

/** Room for an operation on a name in dir that adds no inode (the maps may still shrink into new arrays). */
function roomInDir(dir: u32, names: i32): bool {
  return room(names * NAME_ROOM + PER_KEY * dirs.get(dir).size);
}

/** Room for evict_inode and kill_sb, which cannot fail: asked for so that the garbage is collected if need be. */
function roomToForget(): void {
  room(NAME_ROOM + PER_KEY * superOf.size);
}

function nameOf(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

function isDir(inode: u32): bool {
  return (inode_get_mode(inode) & S_IFMT) == S_IFDIR;
}

/** A new inode on dir's superblock, linked into dir under name. */
function make(dir: u32, name: string, mode: u32): u32 {
  const sb = superOf.get(dir);
  const inode = new_inode(sb, mode);
  if (inode == 0) return 0;
  superOf.set(inode, sb);
  dirs.get(dir).link(name, inode);
  inode_touch(dir, true);
  return inode;
}

function newDirectory(inode: u32, parent: u32): void {
  inode_set_ops(inode, dirIops, dirFops);
  dirs.set(inode, new Dir());
  parents.set(inode, parent);
}

function ramfs_mount(sb: u32, flags: i32): i32 {
  if (!room(RESERVE + NAME_ROOM + PER_KEY * superOf.size)) return -ENOMEM;
  const root = new_inode(sb, S_IFDIR | 0o755);
  if (root == 0) return -ENOMEM;
  superOf.set(root, sb);
  newDirectory(root, root);
  sb_set_ops(sb, sops);
  return <i32>root;
}

function forget(inode: u32): void {
  dirs.delete(inode);
  parents.delete(inode);
  pages.delete(inode);
  superOf.delete(inode);
}

function ramfs_kill_sb(sb: u32): void {
  roomToForget();
  const inodes = superOf.keys();
  for (let i = 0; i < inodes.length; i++) if (superOf.get(inodes[i]) == sb) forget(inodes[i]);
}

function ramfs_evict_inode(inode: u32): void {
  roomToForget();
  forget(inode);
}

function ramfs_lookup(dir: u32, name: usize, len: i32): i32 {
  if (!room(NAME_ROOM)) return -ENOMEM;
  const entries = dirs.get(dir);
  const key = nameOf(name, len);
  return entries.has(key) ? <i32>entries.get(key) : 0;
}

function ramfs_create(dir: u32, name: usize, len: i32, mode: u32): i32 {
  if (!roomToMake(dir)) return -ENOSPC;
  const inode = make(dir, nameOf(name, len), mode);
  if (inode == 0) return -ENOMEM;
  inode_set_ops(inode, fileIops, fileFops);
  pages.set(inode, new Map<i32, Uint8Array>());
  return <i32>inode;
}

function ramfs_mkdir(dir: u32, name: usize, len: i32, mode: u32): i32 {
  if (!roomToMake(dir)) return -ENOSPC;
  const inode = make(dir, nameOf(name, len), S_IFDIR | (mode & 0o7777));
  if (inode == 0) return -ENOMEM;
  newDirectory(inode, dir);
  inc_nlink(dir);
  return <i32>inode;
}

function ramfs_mknod(dir: u32, name: usize, len: i32, mode: u32, rdev: u32): i32 {
  if (!roomToMake(dir)) return -ENOSPC;
  const inode = make(dir, nameOf(name, len), mode);
  return inode == 0 ? -ENOMEM : <i32>inode;
}

function ramfs_symlink(dir: u32, name: usize, len: i32, target: usize, tlen: i32): i32 {
  if (!roomToMake(dir)) return -ENOSPC;
  const inode = make(dir, nameOf(name, len), S_IFLNK | 0o777);
  if (inode == 0) return -ENOMEM;
  inode_set_link(inode, target, tlen);
  return <i32>inode;
}

function ramfs_unlink(dir: u32, name: usize, len: i32, inode: u32): i32 {
  if (!roomInDir(dir, 1)) return -ENOMEM;
  dirs.get(dir).delete(nameOf(name, len));
  drop_nlink(inode);
  inode_touch(inode, false);
  inode_touch(dir, true);
  return 0;
}

function ramfs_rmdir(dir: u32, name: usize, len: i32, inode: u32): i32 {
  if (dirs.get(inode).size > 0) return -ENOTEMPTY;
  if (!roomInDir(dir, 1)) return -ENOMEM;
  dirs.get(dir).delete(nameOf(name, len));
  set_nlink(inode, 0);
  drop_nlink(dir);
  inode_touch(dir, true);
  return 0;
}

/** simple_rename(): over a file drops its link; over an empty directory removes it; a moved directory's .. follows. */
function ramfs_rename(olddir: u32, oldname: usize, oldlen: i32, newdir: u32, newname: usize, newlen: i32): i32 {
  if (!roomInDir(olddir, 2) || !roomInDir(newdir, 2)) return -ENOMEM;
  const from = nameOf(oldname, oldlen);
  const to = nameOf(newname, newlen);
  const inode = dirs.get(olddir).get(from);
  const target = dirs.get(newdir);
  if (target.has(to)) {
    const victim = target.get(to);
    if (isDir(victim)) {
      if (dirs.get(victim).size > 0) return -ENOTEMPTY;
      set_nlink(victim, 0);
      drop_nlink(newdir);
    } else drop_nlink(victim);
  }
  if (isDir(inode) && olddir != newdir) {
    drop_nlink(olddir);
    inc_nlink(newdir);
    parents.set(inode, newdir);
  }
  dirs.get(olddir).delete(from);
  target.link(to, inode);
  inode_touch(olddir, true);
  inode_touch(newdir, true);
  inode_touch(inode, false);
  return 0;
}

/** A new size drops the pages past the end and zeroes the tail of the last one, so a later extension reads zeros; the rest in memory. */
function ramfs_setattr(inode: u32, attr: iattr): i32 {
  if (attr.ia_valid & ATTR_SIZE) {
    const size = <i32>attr.ia_size;
    const map = pages.get(inode);
    if (!room(PER_KEY * map.size)) return -ENOMEM;
    const keys = map.keys();
    for (let i = 0; i < keys.length; i++) if (keys[i] * PAGE >= size) map.delete(keys[i]);
    const last = size / PAGE;
    if (map.has(last)) map.get(last).fill(0, size % PAGE);
    inode_set_size(inode, size);
    setBlocks(inode);
    inode_touch(inode, true);
  }
  setattr_copy(inode, attr);
  return 0;
}

function ramfs_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const inode = file_inode(file);
  const size = inode_get_size(inode);
  if (pos >= size) return 0;
  const n = min(count, size - pos);
  const map = pages.get(inode);
  for (let done = 0; done < n; ) {
    const at = pos + done;
    const off = at % PAGE;
    const len = min(PAGE - off, n - done);
    const page = map.has(at / PAGE) ? map.get(at / PAGE) : zeroPage;
    if (copy_to_user(ubuf + <usize>done, page.dataStart + <usize>off, <usize>len) != 0) return done > 0 ? done : -EFAULT;
    done += len;
  }
  return n;
}

/** A short count when a page cannot be had or the user buffer faults part way; the errno when nothing was written. */
function ramfs_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  if (<i64>pos + <i64>count > MAX_SIZE) return -EFBIG;
  const inode = file_inode(file);
  const map = pages.get(inode);
  let done = 0;
  let err = 0;
  while (done < count && err == 0) {
    const at = pos + done;
    const off = at % PAGE;
    const len = min(PAGE - off, count - done);
    if (!map.has(at / PAGE)) {
      if (!room(RESERVE + PAGE + PER_KEY * (map.size + 1))) {
        err = -ENOMEM;
        break;
      }
      map.set(at / PAGE, new Uint8Array(PAGE));
    }
    if (copy_from_user(map.get(at / PAGE).dataStart + <usize>off, ubuf + <usize>done, <usize>len) != 0) err = -EFAULT;
    else done += len;
  }
  if (done == 0 && err != 0) return err;
  if (pos + done > inode_get_size(inode)) inode_set_size(inode, pos + done);
  setBlocks(inode);
  inode_touch(inode, true);
  return done;
}

/** st_blocks: the pages that hold data, in 512-byte sectors (a hole takes none). */
function setBlocks(inode: u32): void {
  inode_set_blocks(inode, <u32>pages.get(inode).size * <u32>(PAGE / 512));
}

function emit(ctx: u32, name: string, inode: u32): bool {
  const buf = nameBuf.dataStart;
  const len = <i32>String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, buf);
  return dir_emit(ctx, buf, len, inode_get_ino(inode), (inode_get_mode(inode) & S_IFMT) >> 12);
}

/** dcache_readdir's order: "." at 0, ".." at 1, then the entries by the positions they were made at. */
function ramfs_iterate(file: u32, ctx: u32, pos: i32): i32 {
  const dir = file_inode(file);
  if (!roomInDir(dir, 1)) return -ENOMEM;
  if (pos == 0) {
    if (!emit(ctx, ".", dir)) return 0;
    dir_ctx_set_pos(ctx, (pos = 1));
  }
  if (pos == 1) {
    if (!emit(ctx, "..", parents.get(dir))) return 0;
    dir_ctx_set_pos(ctx, (pos = 2));
  }
  const entries = dirs.get(dir).entries;
  const names = entries.keys();
  for (let i = 0; i < names.length; i++) {
    const e = entries.get(names[i]);
    if (e.offset < pos) continue;
    if (!emit(ctx, names[i], e.inode)) return 0;
    dir_ctx_set_pos(ctx, e.offset + 1);
  }
  return 0;
}

function ramfs_fsync(file: u32): i32 {
  return 0;
}

/** simple_statfs(), which Linux's ramfs uses: the magic, a page as the block size, NAME_MAX, no counts. */
function ramfs_statfs(sb: u32, buf: usize): i32 {
  const st = changetype<kstatfs>(buf);
  st.f_type = RAMFS_MAGIC;
  st.f_bsize = PAGE;
  st.f_namelen = NAME_MAX;
  return 0;
}

export function init_module(): i32 {
  dirIops.lookup = ramfs_lookup.index;
  dirIops.create = ramfs_create.index;
  dirIops.mkdir = ramfs_mkdir.index;
  dirIops.mknod = ramfs_mknod.index;
  dirIops.symlink = ramfs_symlink.index;
  dirIops.unlink = ramfs_unlink.index;
  dirIops.rmdir = ramfs_rmdir.index;
  dirIops.rename = ramfs_rename.index;
  dirFops.iterate = ramfs_iterate.index;
  dirFops.fsync = ramfs_fsync.index;
  fileIops.setattr = ramfs_setattr.index;
  fileFops.read = ramfs_read.index;
  fileFops.write = ramfs_write.index;
  fileFops.fsync = ramfs_fsync.index;
  sops.evict_inode = ramfs_evict_inode.index;
  sops.statfs = ramfs_statfs.index;
  fsType.name = "ramfs";
  fsType.mount = ramfs_mount.index;
  fsType.kill_sb = ramfs_kill_sb.index;
  const err = register_filesystem(fsType);
  if (err < 0) return err;
  pr_info("ramfs: registered\n");
  return 0;
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
