// hostfs's host side (UML's fs/hostfs/hostfs_user.c): the host file operations the hostfs module asks for,
// each on a path inside the host directory its superblock is confined to.
//
// Confinement is the host's, not the module's: a path is taken relative to the directory's real path,
// refused with EACCES if it names '.' or '..', with ELOOP if any directory on the way is a symlink, and
// its last component is never followed (lstat, O_NOFOLLOW, lchown, lutimes; chmod, which has no such form,
// only once lstat has shown no symlink). So no path, '..' or symlink leads outside, whatever the module
// asks; symlinks are shown to the kernel, whose VFS follows them in its own tree.

import {
  chmodSync, closeSync, constants, fstatSync, ftruncateSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readlinkSync, readSync, realpathSync, renameSync, rmdirSync, statfsSync, statSync, symlinkSync, unlinkSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { ERRNO, errno, type ErrnoName } from "../../../abi/errno.js";
import { STRUCTS } from "../../../abi/kernel.js";
import { NAME_MAX } from "../../../abi/fcntl.js";
import { layoutStruct, structWriter } from "../../../abi/types.js";
import { KernelError } from "../../kernel/error.js";
import type { Idr } from "../../lib/idr.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { IATTR_LAYOUT, iattrFrom } from "../attr.js";
import type { Iattr, SuperBlock } from "../fs.js";

const STAT = layoutStruct("host_stat", STRUCTS.host_stat);
const KSTATFS = layoutStruct("kstatfs", STRUCTS.kstatfs);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

type HostfsSymbols = Pick<
  KernelFunctions,
  | "hostfs_set_root" | "hostfs_stat" | "hostfs_read" | "hostfs_write" | "hostfs_readdir" | "hostfs_create" | "hostfs_mkdir"
  | "hostfs_unlink" | "hostfs_rmdir" | "hostfs_rename" | "hostfs_truncate" | "hostfs_set_attr" | "hostfs_readlink" | "hostfs_symlink"
  | "hostfs_statfs"
>;

const NS = 1_000_000_000n;

/** A host error as -errno: its code when Linux has it, else EIO. */
function hostErrno(e: unknown): number {
  if (e instanceof KernelError) return -e.errno;
  const code = (e as NodeJS.ErrnoException).code;
  if (code && code in ERRNO) return -errno(code as ErrnoName);
  if (e instanceof Error && "code" in e) return -ERRNO.EIO[0];
  throw e;
}

/** stat_file(): a host file's lstat as struct host_stat, times to the nanosecond. */
function hostStat(host: string): Uint8Array {
  const st = lstatSync(host, { bigint: true });
  const { set, done } = structWriter(STAT);
  for (const [field, value] of [
    ["mode", st.mode], ["nlink", st.nlink], ["uid", st.uid], ["gid", st.gid], ["size", st.size], ["ino", st.ino], ["blocks", st.blocks],
  ] as const) set(field, Number(value));
  for (const [name, ns] of [["atime", st.atimeNs], ["mtime", st.mtimeNs], ["ctime", st.ctimeNs], ["btime", st.birthtimeNs]] as const) {
    const sec = ns >= 0n ? ns / NS : (ns + 1n) / NS - 1n;
    set(`${name}_sec`, Number(sec));
    set(`${name}_nsec`, Number(ns - sec * NS));
  }
  return done();
}

/**
 * A time as the seconds lutimes takes: libuv keeps whole microseconds of them, truncating, as UML's
 * set_attr keeps a struct timeval's; half a microsecond more makes the float land inside the intended one.
 * (Node 24's libuv keeps the double's nanoseconds, a quarter microsecond's worth: the half lands there too.)
 */
function utimesSeconds(sec: number, nsec: number): number {
  return sec + (Math.floor(nsec / 1000) + 0.5) / 1e6;
}

/** ftruncate of a regular host file, opened without following a symlink. */
function truncateFile(host: string, size: number): void {
  if (size < 0) throw new KernelError("EINVAL", "hostfs: bad size");
  const fd = openSync(host, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) throw new KernelError("EINVAL", "hostfs: truncate of a file that is not regular");
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * set_attr() (hostfs_user.c): owner, mode, size, then times, each stopping at the host's refusal. The owner
 * comes first, where UML's takes the mode first, so that the chown a non-root host refuses changes nothing.
 * A symlink is changed itself (lchown, lutimes; no mode, as Linux has no lchmod), never its target.
 */
function setAttr(host: string, attr: Iattr): void {
  const st = lstatSync(host, { bigint: true });
  if (attr.uid !== undefined || attr.gid !== undefined) lchownSync(host, attr.uid ?? -1, attr.gid ?? -1);
  if (attr.mode !== undefined) {
    if (st.isSymbolicLink()) throw new KernelError("EOPNOTSUPP", "hostfs: a symlink has no mode of its own");
    chmodSync(host, attr.mode & 0o7777);
  }
  if (attr.size !== undefined) truncateFile(host, attr.size);
  if (attr.atime || attr.mtime) {
    const kept = (ns: bigint): number => utimesSeconds(Number(ns / NS), Number(ns % NS));
    const atime = attr.atime ? utimesSeconds(attr.atime.sec, attr.atime.nsec) : kept(st.atimeNs);
    const mtime = attr.mtime ? utimesSeconds(attr.mtime.sec, attr.mtime.nsec) : kept(st.mtimeNs);
    lutimesSync(host, atime, mtime);
  }
}

export class HostfsUser {
  /** Each confined superblock's host directory, as its real path. */
  private readonly roots = new WeakMap<SuperBlock, string>();

  constructor(private readonly sbs: Idr<SuperBlock>) {}

  /** The host directory a superblock is confined to: ENOENT for a missing one, ENOTDIR, EBUSY once set. */
  setRoot(sb: SuperBlock, dir: string): void {
    if (this.roots.has(sb)) throw new KernelError("EBUSY", `hostfs: ${dir}: root already set`);
    if (!dir.startsWith("/")) throw new KernelError("EINVAL", `hostfs: ${dir}: not an absolute path`);
    const real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw new KernelError("ENOTDIR", `hostfs: ${dir}: Not a directory`);
    this.roots.set(sb, real);
  }

  /** The host path of rel under the superblock's root; no '.', '..' or symlinked directory on the way. */
  resolve(sb: SuperBlock, rel: string): string {
    const root = this.roots.get(sb);
    if (root === undefined) throw new KernelError("EINVAL", "hostfs: no host directory set");
    const parts = rel.split("/").filter((p) => p !== "");
    if (parts.some((p) => p === "." || p === "..")) throw new KernelError("EACCES", `hostfs: ${rel}: leaves the host directory`);
    let at = root;
    for (const part of parts.slice(0, -1)) {
      at = join(at, part);
      const st = lstatSync(at);
      if (st.isSymbolicLink()) throw new KernelError("ELOOP", `hostfs: ${rel}: a directory on the way is a symlink`);
      if (!st.isDirectory()) throw new KernelError("ENOTDIR", `hostfs: ${rel}: Not a directory`);
    }
    return parts.length === 0 ? root : join(at, parts[parts.length - 1]!);
  }

  /** Run fn on an open descriptor of the host file (never following a symlink), closed afterwards. */
  private withFile<T>(path: string, flags: number, fn: (fd: number) => T, mode?: number): T {
    const fd = openSync(path, flags | constants.O_NOFOLLOW, mode);
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  }

  symbols(mod: Module): HostfsSymbols {
    const str = (ptr: number, len: number) => decoder.decode(mod.memory.bytes(ptr >>> 0, len));
    /** fn on the host path of (path, len) under the caller's own superblock; its result or -errno. */
    const on = (sbHandle: number, ptr: number, len: number, fn: (host: string, sb: SuperBlock) => number): number =>
      onRel(sbHandle, () => str(ptr, len), fn);
    /** fn on the host path of rel() under the caller's own superblock; its result or -errno. */
    const onRel = (sbHandle: number, rel: () => string, fn: (host: string, sb: SuperBlock) => number): number => {
      const sb = this.sbs.find(sbHandle);
      if (!sb || sb.type.owner !== mod) return -ERRNO.EINVAL[0];
      try {
        return fn(this.resolve(sb, rel()), sb);
      } catch (e) {
        return hostErrno(e);
      }
    };
    const out = (buf: number, bytes: Uint8Array, size: number): number => {
      if (bytes.length > size) return -ERRNO.ERANGE[0];
      mod.memory.bytes(buf >>> 0, bytes.length).set(bytes);
      return bytes.length;
    };
    return {
      hostfs_set_root: (sbHandle, ptr, len) => {
        const sb = this.sbs.find(sbHandle);
        if (!sb || sb.type.owner !== mod) return -ERRNO.EINVAL[0];
        try {
          this.setRoot(sb, str(ptr, len));
          return 0;
        } catch (e) {
          return hostErrno(e);
        }
      },
      hostfs_stat: (sb, ptr, len, stPtr) => on(sb, ptr, len, (host) => (mod.memory.bytes(stPtr >>> 0, STAT.size).set(hostStat(host)), 0)),
      hostfs_read: (sb, ptr, len, buf, n, pos) =>
        on(sb, ptr, len, (host) => this.withFile(host, constants.O_RDONLY, (fd) => readSync(fd, mod.memory.bytes(buf >>> 0, n), 0, n, Number(pos)))),
      hostfs_write: (sb, ptr, len, buf, n, pos) =>
        on(sb, ptr, len, (host) => this.withFile(host, constants.O_WRONLY, (fd) => writeSync(fd, mod.memory.bytes(buf >>> 0, n), 0, n, Number(pos)))),
      hostfs_readdir: (sb, ptr, len, index, buf, size) =>
        on(sb, ptr, len, (host) => {
          if (lstatSync(host).isSymbolicLink()) throw new KernelError("ELOOP", "hostfs: a symlink is not a directory to read");
          const name = readdirSync(host).sort()[index];
          return name === undefined ? 0 : out(buf, encoder.encode(name), size);
        }),
      hostfs_create: (sb, ptr, len, mode) =>
        on(sb, ptr, len, (host) => this.withFile(host, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, () => 0, mode & 0o7777)),
      hostfs_mkdir: (sb, ptr, len, mode) => on(sb, ptr, len, (host) => (mkdirSync(host, mode & 0o7777), 0)),
      hostfs_unlink: (sb, ptr, len) => on(sb, ptr, len, (host) => (unlinkSync(host), 0)),
      hostfs_rmdir: (sb, ptr, len) => on(sb, ptr, len, (host) => (rmdirSync(host), 0)),
      hostfs_rename: (sb, from, flen, to, tlen) =>
        on(sb, from, flen, (hostFrom, s) => (renameSync(hostFrom, this.resolve(s, str(to, tlen))), 0)),
      hostfs_truncate: (sb, ptr, len, size) => on(sb, ptr, len, (host) => (truncateFile(host, Number(size)), 0)),
      hostfs_set_attr: (sb, ptr, len, attr) =>
        on(sb, ptr, len, (host) => (setAttr(host, iattrFrom(mod.memory.readStruct(attr >>> 0, IATTR_LAYOUT))), 0)),
      hostfs_readlink: (sb, ptr, len, buf, size) => on(sb, ptr, len, (host) => out(buf, encoder.encode(readlinkSync(host)), size)),
      hostfs_symlink: (sb, ptr, len, target, tlen) => on(sb, ptr, len, (host) => (symlinkSync(str(target, tlen), host), 0)),
      // hostfs_user.c's do_statfs() of the host directory; Node does not give the host's f_namelen, so NAME_MAX.
      hostfs_statfs: (sb, stPtr) =>
        onRel(sb, () => "", (host) => {
          const st = statfsSync(host);
          const { set, done } = structWriter(KSTATFS);
          for (const [field, value] of [
            ["f_bsize", st.bsize], ["f_blocks", st.blocks], ["f_bfree", st.bfree], ["f_bavail", st.bavail], ["f_files", st.files],
            ["f_ffree", st.ffree], ["f_namelen", NAME_MAX],
          ] as const) set(field, value);
          mod.memory.bytes(stPtr >>> 0, KSTATFS.size).set(done());
          return 0;
        }),
    };
  }
}
