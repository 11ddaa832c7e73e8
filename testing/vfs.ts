// The VFS as a test sees it: raw system calls by name, a directory tree as lines to compare before and after,
// names in a directory, files written whole, and pointers into a task's memory (good ones and a bad one).

import { errno, type ErrnoName } from "../abi/errno.js";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../abi/fcntl.js";
import { S_ISDIR, S_ISLNK, S_ISREG } from "../abi/stat.js";
import { SYSCALLS, type SyscallName } from "../abi/syscalls.js";
import { KernelError } from "../host/kernel/error.js";
import { parseDirents, type Dirent, type Libc } from "../host/user/nolibc.js";

/** An address no task's memory reaches (the top page of the 32-bit space). */
export const BAD_PTR = 0xfffff000;

/** What a raw system call returns for that errno. */
export const neg = (code: ErrnoName): number => -errno(code);

/** A raw system call by name: its return, -errno on failure. */
export function sys(libc: Libc, name: SyscallName, ...args: number[]): number {
  return libc.syscall(SYSCALLS[name], ...args);
}

/** FNV-1a of a file's bytes: enough to see that contents changed. */
function hash(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * Everything under dir as lines "NAME mode nlink size ino mtime ctime EXTRA" in listing order (EXTRA: a
 * link's target, a file's content hash), plus dir itself. atime is left out: taking the snapshot reads.
 */
export function tree(libc: Libc, dir: string): string[] {
  const lines: string[] = [];
  const visit = (path: string, name: string) => {
    const st = libc.lstat(path);
    const extra = S_ISLNK(st.mode) ? libc.readlink(path) : S_ISREG(st.mode) ? hash(libc.readFile(path)) : "";
    lines.push(`${name} ${st.mode.toString(8)} ${st.nlink} ${st.size} ${st.ino} ${st.mtime} ${st.ctime} ${extra}`);
    if (!S_ISDIR(st.mode)) return;
    for (const e of libc.readdir(path)) if (e.name !== "." && e.name !== "..") visit(`${path}/${e.name}`, `${name}/${e.name}`);
  };
  visit(dir, ".");
  return lines;
}

/** A NUL-terminated string in the task's memory that stays there (Libc's scratch space is given back). */
export function userString(libc: Libc, s: string): number {
  const bytes = new TextEncoder().encode(`${s}\0`);
  const ptr = libc.task.mm.sbrk(bytes.length);
  libc.task.mm.bytes(ptr, bytes.length).set(bytes);
  return ptr;
}

/** n bytes of the task's memory, zeroed. */
export function userBuffer(libc: Libc, n: number): number {
  const ptr = libc.task.mm.sbrk(n);
  libc.task.mm.bytes(ptr, n).fill(0);
  return ptr;
}

/** One getdents64 call with a buffer of `size` bytes: the records it returned ([] at the end). */
export function getdentsOnce(libc: Libc, fd: number, size: number): Dirent[] {
  const buf = userBuffer(libc, size);
  const n = sys(libc, "getdents64", fd, buf, size);
  if (n < 0) throw new KernelError(-n, `getdents64: ${n}`);
  return parseDirents(libc.task.mm.bytes(buf, n));
}

/** The names of a directory's entries, without "." and "..", in listing order. */
export function names(libc: Libc, dir: string): string[] {
  return libc.readdir(dir).map((e) => e.name).filter((n) => n !== "." && n !== "..");
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Create (or replace) a file with that content. */
export function writeFile(libc: Libc, path: string, content: string | Uint8Array): void {
  const fd = libc.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
  try {
    libc.write(fd, content);
  } finally {
    libc.close(fd);
  }
}
