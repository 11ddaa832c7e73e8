// A small C library for tasks driven from TypeScript (the spirit of tools/include/nolibc): each call
// marshals its strings and buffers into the task's own memory and enters the kernel by syscall number,
// exactly as a task running wasm code would. A negative return becomes a KernelError naming the call.

import { ERESTARTSYS, ERRNO, strerror } from "../../abi/errno.js";
import { AT_FDCWD, AT_REMOVEDIR, O_DIRECTORY, O_RDONLY } from "../../abi/fcntl.js";
import { DIRENT64_NAME_OFFSET, STAT_LAYOUT, STATFS_LAYOUT } from "../../abi/stat.js";
import { SYSCALLS, type SyscallName } from "../../abi/syscalls.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { signalPending } from "../kernel/signal.js";
import type { SyscallArgs, SyscallTable } from "../kernel/syscalls.js";

export interface Stat {
  dev: number;
  ino: number;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: number;
  atimeNsec: number;
  mtime: number;
  mtimeNsec: number;
  ctime: number;
  ctimeNsec: number;
}

/** struct statfs, its fields by name (f_fsid as f_fsid0 and f_fsid1). */
export type Statfs = Readonly<Record<string, number>>;

export interface Dirent {
  readonly ino: number;
  readonly type: number;
  readonly name: string;
}

const encoder = new TextEncoder();

/** A task's ids, as getresuid(2), getresgid(2) and getgroups(2) read them. */
export interface Ids {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  groups: number[];
}

/** What a driven task's step yields while its system call waits to be woken. */
export const WAIT = "wait";
export type Wait = typeof WAIT;

export class Libc {
  constructor(
    private readonly table: SyscallTable,
    readonly task: Task,
    /** Let time run until the task is woken; false if nothing can wake it. */
    private readonly idle: (task: Task) => boolean = () => false,
  ) {}

  private once(nr: number, args: readonly number[]): number {
    const regs = [0, 0, 0, 0, 0, 0].map((z, i) => args[i] ?? z) as unknown as SyscallArgs;
    return this.table.call(this.task, nr, regs);
  }

  /** The call did not finish and will not: off the wait queues, and EINTR as for a signal. */
  private interrupted(): number {
    this.task.finishWait();
    this.task.restart = null;
    return -ERRNO.EINTR[0];
  }

  /**
   * One system call as a step of a task that others drive: it yields WAIT each time the call has to
   * wait (see host/kernel/wait.ts), and whoever drives it lets time run until the task is woken. It is
   * restarted then; EINTR when it was not woken, or a signal is pending (signal_pending() in the
   * restart path of a call that returned -ERESTARTSYS).
   */
  *call(nr: number, args: readonly number[]): Generator<Wait, number, void> {
    for (;;) {
      const ret = this.once(nr, args);
      if (ret !== -ERESTARTSYS) return ret;
      if (!this.task.sleeping || signalPending(this.task)) return this.interrupted();
      yield WAIT;
      if (this.task.sleeping || signalPending(this.task)) return this.interrupted();
    }
  }

  /**
   * call() with buffers: each Uint8Array argument is copied into the task's memory and passed as its
   * address; `after` sees those addresses once the call is done (to read what it wrote), before the
   * memory is given back.
   */
  *callBuffers(nr: number, args: readonly (number | Uint8Array)[], after?: (ptrs: number[]) => void): Generator<Wait, number, void> {
    const mm = this.task.mm;
    const mark = mm.mark;
    try {
      const ptrs = args.map((a) => {
        if (typeof a === "number") return a;
        const p = mm.sbrk(Math.max(a.length, 1));
        mm.bytes(p, a.length).set(a);
        return p;
      });
      const ret = yield* this.call(nr, ptrs);
      after?.(ptrs);
      return ret;
    } finally {
      mm.release(mark);
    }
  }

  /**
   * syscall(2): the raw return, -errno on failure. A string argument goes in as a pointer to a C string
   * copy. A call that has to wait is restarted each time its task is woken, simulated time running
   * meanwhile (see host/kernel/wait.ts); EINTR if nothing can wake it.
   */
  syscall(nr: number, ...args: (number | string)[]): number {
    return this.scratch((alloc) => {
      const regs = args.map((arg) => (typeof arg === "string" ? this.cstr(alloc, arg) : arg));
      const steps = this.call(nr, regs);
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) return step.value;
        this.idle(this.task);
      }
    });
  }

  /** syscall() for a caller that drives time itself: resolves once the call completes. */
  async syscallAsync(nr: number, ...args: number[]): Promise<number> {
    const steps = this.call(nr, args);
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value;
      await this.task.whenWoken();
    }
  }

  /** read(2) as a step of a driven task (see call()): the bytes read, an empty array at end of file. */
  *readSteps(fd: number, count: number): Generator<Wait, Uint8Array, void> {
    const mark = this.task.mm.mark;
    try {
      const buf = this.task.mm.sbrk(count);
      const n = yield* this.call(SYSCALLS.read, [fd, buf, count]);
      if (n < 0) throw new KernelError(-n, `${fd}: ${strerror(-n)}`);
      return this.task.mm.bytes(buf, n).slice();
    } finally {
      this.task.mm.release(mark);
    }
  }

  /** Run fn with scratch memory that is given back afterwards (a stack frame's worth of alloca). */
  private scratch<T>(fn: (alloc: (n: number) => number) => T): T {
    const mark = this.task.mm.mark;
    try {
      return fn((n) => this.task.mm.sbrk(n));
    } finally {
      this.task.mm.release(mark);
    }
  }

  private cstr(alloc: (n: number) => number, s: string): number {
    const bytes = encoder.encode(`${s}\0`);
    const ptr = alloc(bytes.length);
    this.task.mm.bytes(ptr, bytes.length).set(bytes);
    return ptr;
  }

  private sys(name: SyscallName, what: string, ...args: number[]): number {
    const ret = this.syscall(SYSCALLS[name], ...args);
    if (ret < 0) throw new KernelError(-ret, `${what}: ${strerror(-ret)}`);
    return ret;
  }

  /** A call whose arguments are paths: each becomes a C string in the task's memory. */
  private pathCall(name: SyscallName, paths: readonly string[], args: (ptrs: number[]) => number[]): number {
    return this.scratch((alloc) => this.sys(name, paths[0]!, ...args(paths.map((p) => this.cstr(alloc, p)))));
  }

  open(path: string, flags: number, mode = 0o666): number {
    return this.openat(AT_FDCWD, path, flags, mode);
  }

  /** openat(2): path relative to the directory open as dirfd (AT_FDCWD: the cwd). */
  openat(dirfd: number, path: string, flags: number, mode = 0o666): number {
    return this.pathCall("openat", [path], ([p]) => [dirfd, p!, flags, mode]);
  }

  close(fd: number): void {
    this.sys("close", String(fd), fd);
  }

  read(fd: number, count: number): Uint8Array {
    return this.scratch((alloc) => {
      const buf = alloc(count);
      const n = this.sys("read", String(fd), fd, buf, count);
      return this.task.mm.bytes(buf, n).slice();
    });
  }

  write(fd: number, data: Uint8Array | string): number {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return this.scratch((alloc) => {
      const buf = alloc(bytes.length);
      if (bytes.length > 0) this.task.mm.bytes(buf, bytes.length).set(bytes);
      return this.sys("write", String(fd), fd, buf, bytes.length);
    });
  }

  pread(fd: number, count: number, pos: number): Uint8Array {
    return this.scratch((alloc) => {
      const buf = alloc(count);
      const n = this.sys("pread64", String(fd), fd, buf, count, pos);
      return this.task.mm.bytes(buf, n).slice();
    });
  }

  pwrite(fd: number, data: Uint8Array | string, pos: number): number {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return this.scratch((alloc) => {
      const buf = alloc(Math.max(bytes.length, 1));
      this.task.mm.bytes(buf, bytes.length).set(bytes);
      return this.sys("pwrite64", String(fd), fd, buf, bytes.length, pos);
    });
  }

  lseek(fd: number, offset: number, whence: number): number {
    return this.sys("lseek", String(fd), fd, offset, whence);
  }

  /** poll(2) on (fd, events) pairs: each one's revents, once one is ready or timeout ms have gone by (-1: no limit). */
  poll(fds: readonly (readonly [fd: number, events: number])[], timeout: number): number[] {
    return this.scratch((alloc) => {
      const buf = alloc(Math.max(8 * fds.length, 1));
      const bytes = this.task.mm.bytes(buf, 8 * fds.length);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      fds.forEach(([fd, events], i) => {
        view.setInt32(8 * i, fd, true);
        view.setUint16(8 * i + 4, events, true);
        view.setUint16(8 * i + 6, 0, true);
      });
      this.sys("poll", "poll", buf, fds.length, timeout);
      const out = new DataView(this.task.mm.bytes(buf, 8 * fds.length).slice().buffer);
      return fds.map((_, i) => out.getUint16(8 * i + 6, true));
    });
  }

  private statCall(name: "stat" | "lstat", path: string): Stat {
    return this.scratch((alloc) => {
      const buf = alloc(STAT_LAYOUT.size);
      this.sys(name, path, this.cstr(alloc, path), buf);
      return parseStat(this.task.mm.bytes(buf, STAT_LAYOUT.size));
    });
  }

  stat(path: string): Stat {
    return this.statCall("stat", path);
  }

  lstat(path: string): Stat {
    return this.statCall("lstat", path);
  }

  fstat(fd: number): Stat {
    return this.scratch((alloc) => {
      const buf = alloc(STAT_LAYOUT.size);
      this.sys("fstat", String(fd), fd, buf);
      return parseStat(this.task.mm.bytes(buf, STAT_LAYOUT.size));
    });
  }

  statfs(path: string): Statfs {
    return this.scratch((alloc) => {
      const buf = alloc(STATFS_LAYOUT.size);
      this.sys("statfs", path, this.cstr(alloc, path), buf);
      return parseStatfs(this.task.mm.bytes(buf, STATFS_LAYOUT.size));
    });
  }

  fstatfs(fd: number): Statfs {
    return this.scratch((alloc) => {
      const buf = alloc(STATFS_LAYOUT.size);
      this.sys("fstatfs", String(fd), fd, buf);
      return parseStatfs(this.task.mm.bytes(buf, STATFS_LAYOUT.size));
    });
  }

  /** Every entry of an open directory, by getdents64 until it returns 0. */
  getdents(fd: number, bufSize = 4096): Dirent[] {
    const out: Dirent[] = [];
    this.scratch((alloc) => {
      const buf = alloc(bufSize);
      for (let n = this.sys("getdents64", String(fd), fd, buf, bufSize); n > 0; n = this.sys("getdents64", String(fd), fd, buf, bufSize)) {
        out.push(...parseDirents(this.task.mm.bytes(buf, n)));
      }
    });
    return out;
  }

  /** opendir + readdir + closedir. */
  readdir(path: string): Dirent[] {
    const fd = this.open(path, O_RDONLY | O_DIRECTORY);
    try {
      return this.getdents(fd);
    } finally {
      this.close(fd);
    }
  }

  mkdir(path: string, mode = 0o777): void {
    this.pathCall("mkdirat", [path], ([p]) => [AT_FDCWD, p!, mode]);
  }

  rmdir(path: string): void {
    this.unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
  }

  unlink(path: string): void {
    this.unlinkat(AT_FDCWD, path, 0);
  }

  /** unlinkat(2): path relative to dirfd; a directory with AT_REMOVEDIR. */
  unlinkat(dirfd: number, path: string, flags: number): void {
    this.pathCall("unlinkat", [path], ([p]) => [dirfd, p!, flags]);
  }

  rename(from: string, to: string): void {
    this.pathCall("renameat", [from, to], ([a, b]) => [AT_FDCWD, a!, AT_FDCWD, b!]);
  }

  /** A hard link, by linkat(2). */
  link(target: string, path: string): void {
    this.pathCall("linkat", [path, target], ([p, t]) => [AT_FDCWD, t!, AT_FDCWD, p!, 0]);
  }

  symlink(target: string, path: string): void {
    this.scratch((alloc) => this.sys("symlinkat", path, this.cstr(alloc, target), AT_FDCWD, this.cstr(alloc, path)));
  }

  readlink(path: string): string {
    return this.scratch((alloc) => {
      const buf = alloc(4096);
      const n = this.sys("readlink", path, this.cstr(alloc, path), buf, 4096);
      return new TextDecoder().decode(this.task.mm.bytes(buf, n));
    });
  }

  mknod(path: string, mode: number, dev = 0): void {
    this.pathCall("mknodat", [path], ([p]) => [AT_FDCWD, p!, mode, dev]);
  }

  chmod(path: string, mode: number): void {
    this.pathCall("chmod", [path], ([p]) => [p!, mode]);
  }

  /** fchownat(2) at AT_FDCWD: -1 leaves an id as it is; AT_SYMLINK_NOFOLLOW in flags for lchown. */
  chown(path: string, uid: number, gid: number, flags = 0): void {
    this.pathCall("fchownat", [path], ([p]) => [AT_FDCWD, p!, uid, gid, flags]);
  }

  /** utimensat(2) at AT_FDCWD: times as [sec, nsec] pairs (nsec UTIME_NOW or UTIME_OMIT too), or null for now. */
  utimensat(path: string, times: readonly (readonly [number, number])[] | null, flags = 0): void {
    this.scratch((alloc) => {
      let ptr = 0;
      if (times) {
        ptr = alloc(32);
        const bytes = this.task.mm.bytes(ptr, 32);
        const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
        times.forEach(([sec, nsec], i) => (view.setBigInt64(16 * i, BigInt(sec), true), view.setBigInt64(16 * i + 8, BigInt(nsec), true)));
      }
      this.sys("utimensat", path, AT_FDCWD, this.cstr(alloc, path), ptr, flags);
    });
  }

  truncate(path: string, length: number): void {
    this.pathCall("truncate", [path], ([p]) => [p!, length]);
  }

  ftruncate(fd: number, length: number): void {
    this.sys("ftruncate", String(fd), fd, length);
  }

  /**
   * ioctl(2). arg is a number passed as it is, or the bytes of a buffer in the task's memory, returned
   * as the call left them (a command that fills a struct). Throws the errno on failure.
   */
  ioctl(fd: number, cmd: number, arg: number | Uint8Array = 0): { ret: number; data: Uint8Array } {
    if (typeof arg === "number") return { ret: this.sys("ioctl", `${fd}`, fd, cmd, arg), data: new Uint8Array() };
    return this.scratch((alloc) => {
      const ptr = alloc(Math.max(arg.length, 1));
      this.task.mm.bytes(ptr, arg.length).set(arg);
      const ret = this.sys("ioctl", `${fd}`, fd, cmd, ptr);
      return { ret, data: this.task.mm.bytes(ptr, arg.length).slice() };
    });
  }

  fsync(fd: number): void {
    this.sys("fsync", String(fd), fd);
  }

  dup(fd: number): number {
    return this.sys("dup", String(fd), fd);
  }

  dup2(oldfd: number, newfd: number): number {
    return this.sys("dup2", String(oldfd), oldfd, newfd);
  }

  getpid(): number {
    return this.sys("getpid", "getpid");
  }

  /** getresuid(2), getresgid(2) and getgroups(2): the task's real, effective and saved ids and its groups. */
  ids(): Ids {
    return this.scratch((alloc) => {
      const buf = alloc(24);
      this.sys("getresuid", "getresuid", buf, buf + 4, buf + 8);
      this.sys("getresgid", "getresgid", buf + 12, buf + 16, buf + 20);
      const [uid, euid, suid, gid, egid, sgid] = [...new Uint32Array(this.task.mm.bytes(buf, 24).slice().buffer)] as number[];
      const n = this.sys("getgroups", "getgroups", 0, 0);
      const list = alloc(4 * n || 1);
      this.sys("getgroups", "getgroups", n, list);
      const groups = [...new Uint32Array(this.task.mm.bytes(list, 4 * n).slice().buffer)];
      return { uid: uid!, euid: euid!, suid: suid!, gid: gid!, egid: egid!, sgid: sgid!, groups };
    });
  }

  setresuid(ruid: number, euid: number, suid: number): void {
    this.sys("setresuid", "setresuid", ruid, euid, suid);
  }

  setresgid(rgid: number, egid: number, sgid: number): void {
    this.sys("setresgid", "setresgid", rgid, egid, sgid);
  }

  setgroups(groups: readonly number[]): void {
    this.scratch((alloc) => {
      const list = alloc(4 * groups.length || 1);
      this.task.mm.bytes(list, 4 * groups.length).set(new Uint8Array(Uint32Array.from(groups).buffer));
      this.sys("setgroups", "setgroups", groups.length, list);
    });
  }

  getcwd(): string {
    return this.scratch((alloc) => {
      const buf = alloc(4096);
      const n = this.sys("getcwd", "getcwd", buf, 4096);
      return new TextDecoder().decode(this.task.mm.bytes(buf, n - 1));
    });
  }

  chdir(path: string): void {
    this.pathCall("chdir", [path], ([p]) => [p!]);
  }

  mount(source: string, target: string, type: string, flags = 0, data = ""): void {
    this.scratch((alloc) =>
      this.sys("mount", target, this.cstr(alloc, source), this.cstr(alloc, target), this.cstr(alloc, type), flags, this.cstr(alloc, data)),
    );
  }

  umount(target: string, flags = 0): void {
    this.pathCall("umount2", [target], ([p]) => [p!, flags]);
  }

  /**
   * execve(2). The kernel is single-threaded, so a program the exec starts runs to its end before this
   * returns (Linux's execve does not return at all): what comes back is the task's wait status
   * (abi/signal.ts's WIFEXITED, WEXITSTATUS, WTERMSIG), and the task has ended. A refused exec throws and
   * leaves the task as it was; one that failed past the point of no return has killed it (SIGSEGV).
   */
  execve(path: string, argv: readonly string[], envp: readonly string[] = []): number {
    const ret = this.scratch((alloc) =>
      this.syscall(SYSCALLS.execve, this.cstr(alloc, path), this.vector(alloc, argv), this.vector(alloc, envp)),
    );
    if (this.task.exitCode !== null) return this.task.exitCode;
    throw new KernelError(-ret, `${path}: ${strerror(-ret)}`);
  }

  /** exit(2): the task ends with that status. */
  exit(code: number): void {
    this.syscall(SYSCALLS.exit, code);
  }

  /** A NULL-terminated array of pointers to C string copies of strs. */
  private vector(alloc: (n: number) => number, strs: readonly string[]): number {
    const ptrs = strs.map((s) => this.cstr(alloc, s));
    const vec = alloc(4 * (ptrs.length + 1));
    const view = new DataView(this.task.mm.memory.buffer, vec, 4 * (ptrs.length + 1));
    ptrs.forEach((p, i) => view.setUint32(4 * i, p, true));
    view.setUint32(4 * ptrs.length, 0, true);
    return vec;
  }

  /** open + read to the end + close. */
  readFile(path: string): Uint8Array {
    const fd = this.open(path, O_RDONLY);
    try {
      const chunks: Uint8Array[] = [];
      for (let chunk = this.read(fd, 65536); chunk.length > 0; chunk = this.read(fd, 65536)) chunks.push(chunk);
      return concat(chunks);
    } finally {
      this.close(fd);
    }
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function parseStat(bytes: Uint8Array): Stat {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get = (field: string): number => {
    const f = STAT_LAYOUT.fields.find((x) => x.name === field)!;
    return f.size === 8 ? Number(view.getBigInt64(f.offset, true)) : view.getUint32(f.offset, true);
  };
  return {
    dev: get("st_dev"), ino: get("st_ino"), nlink: get("st_nlink"), mode: get("st_mode"), uid: get("st_uid"),
    gid: get("st_gid"), rdev: get("st_rdev"), size: get("st_size"), blksize: get("st_blksize"),
    blocks: get("st_blocks"), atime: get("st_atime"), atimeNsec: get("st_atime_nsec"), mtime: get("st_mtime"),
    mtimeNsec: get("st_mtime_nsec"), ctime: get("st_ctime"), ctimeNsec: get("st_ctime_nsec"),
  };
}

export function parseStatfs(bytes: Uint8Array): Statfs {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Object.fromEntries(STATFS_LAYOUT.fields.map((f) => [f.name, f.size === 8 ? Number(view.getBigInt64(f.offset, true)) : view.getInt32(f.offset, true)]));
}

export function parseDirents(bytes: Uint8Array): Dirent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Dirent[] = [];
  for (let at = 0; at < bytes.length; ) {
    const reclen = view.getUint16(at + 16, true);
    const nameBytes = bytes.subarray(at + DIRENT64_NAME_OFFSET, at + reclen);
    const name = new TextDecoder().decode(nameBytes.subarray(0, nameBytes.indexOf(0)));
    out.push({ ino: Number(view.getBigUint64(at, true)), type: view.getUint8(at + 18), name });
    at += reclen;
  }
  return out;
}
