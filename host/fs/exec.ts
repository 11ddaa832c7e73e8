// execve(2) and execveat(2) (fs/exec.c): open the program, copy its arguments and environment into the
// kernel, and ask the registered binary formats in turn to load it.
//
// A format's load_binary either sets up the new image (binfmt_wasm: the new address space and the entry
// to run) or names an interpreter to run instead (binfmt_script, module formats): execve then asks the
// formats again, for the interpreter, at most five rewrites deep (ELOOP past that). When no format takes
// a file one of whose first four bytes is unprintable, the kernel asks for a module "binfmt-XXXX" (XXXX:
// the little-endian u16 at bytes 2-3, in hex) and searches once more.
//
// The kernel is single-threaded, so a successful execve runs the new program to completion before the
// system call returns, to whoever drives the task; the task has ended by then (its wait status is in
// task.exitCode). Linux's execve does not return on success.

import { BINPRM_BUF_SIZE, MAX_ARG_STRINGS, MAX_ARG_STRLEN } from "../../abi/binfmts.js";
import { errno } from "../../abi/errno.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, MS_NOEXEC, O_RDONLY } from "../../abi/fcntl.js";
import { signo } from "../../abi/signal.js";
import { S_ISLNK, S_ISREG } from "../../abi/stat.js";
import { genericPermission, MAY_EXEC } from "./permission.js";
import { KernelError } from "../kernel/error.js";
import type { Tasks } from "../kernel/fork.js";
import type { Task } from "../kernel/sched.js";
import { getname, MmStruct } from "../mm/uaccess.js";
import type { Module } from "../module/internal.js";
import type { File, Path } from "./fs.js";
import { walk } from "./namei.js";
import { kernelRead, kernelReadFile } from "./read_write.js";
import type { Vfs } from "./vfs.js";

/**
 * What the argument and environment strings may take, with their pointers: a quarter of the usual 8 MiB
 * stack limit (bprm_stack_limits). Pointers are 4 bytes: wasm32 is ILP32.
 */
export const ARG_SPACE = 2 << 20;
const POINTER_SIZE = 4;
/** exec_binprm(): a search may be restarted for an interpreter this many times; once more is ELOOP. */
const MAX_REWRITES = 5;
const TASK_COMM_LEN = 16;

/** A binary format (struct linux_binfmt). */
export interface LinuxBinfmt {
  /** The module that registered it, pinned while loadBinary runs; null for a built-in format. */
  readonly owner: Module | null;
  /** Take the file: set bprm.start (a loaded image) or bprm.interpreter. ENOEXEC: not this format. */
  loadBinary(bprm: LinuxBinprm): void;
}

/** The list execve searches (fs/exec.c's `formats`), in registration order. */
export class Formats {
  private readonly formats: LinuxBinfmt[] = [];

  /** register_binfmt (at the end), or insert_binfmt (at the front); EBUSY if it is on the list already. */
  register(fmt: LinuxBinfmt, insert = false): void {
    if (this.formats.includes(fmt)) throw new KernelError("EBUSY", "binary format already registered");
    if (insert) this.formats.unshift(fmt);
    else this.formats.push(fmt);
  }

  unregister(fmt: LinuxBinfmt): void {
    const at = this.formats.indexOf(fmt);
    if (at >= 0) this.formats.splice(at, 1);
  }

  list(): readonly LinuxBinfmt[] {
    return [...this.formats];
  }
}

function e2big(what: string): KernelError {
  return new KernelError("E2BIG", `${what}: Argument list too long`);
}

/** struct linux_binprm: the exec in progress. Strings are bytes without their NUL; argv[0] first. */
export class LinuxBinprm {
  /** The file's first BINPRM_BUF_SIZE bytes, zero-padded (prepare_binprm). */
  readonly buf = new Uint8Array(BINPRM_BUF_SIZE);
  /** The file the next search is for, when a format named one (bprm->interpreter). */
  interpreter: File | null = null;
  /** The name of the file being loaded: the filename, until a format names an interpreter. */
  interp: string;
  argv: Uint8Array[] = [];
  envp: Uint8Array[] = [];
  /** execveat() on a close-on-exec descriptor: the name will not open once the exec is done. */
  pathInaccessible = false;
  /** begin_new_exec() has run: the old image is gone, and a failure now kills the task. */
  pointOfNoReturn = false;
  /** The loaded image's entry (start_thread): runs the program to its end. */
  start: (() => void) | null = null;
  /** String space left (bprm->p - bprm->argmin). */
  private room = ARG_SPACE;

  constructor(
    readonly task: Task,
    public file: File,
    /** The name execve was given (or /dev/fd/N/NAME for execveat on a descriptor). */
    readonly filename: string,
  ) {
    this.interp = filename;
  }

  /** bprm_stack_limits(): the pointers argc and envc strings will need come off the space first. */
  stackLimits(argc: number, envc: number): void {
    const pointers = (Math.max(argc, 1) + envc) * POINTER_SIZE;
    if (ARG_SPACE <= pointers) throw e2big(this.filename);
    this.room = ARG_SPACE - pointers;
  }

  /** Account for one string and its NUL: E2BIG past MAX_ARG_STRLEN or the space left. */
  take(len: number): void {
    if (len + 1 > MAX_ARG_STRLEN || len + 1 > this.room) throw e2big(this.filename);
    this.room -= len + 1;
  }

  /** copy_string_kernel() with the argc++ its callers do: a new argv[0]. */
  pushArg(arg: Uint8Array): void {
    this.take(arg.length);
    this.argv.unshift(arg);
  }

  /** remove_arg_zero(): drop argv[0], giving its space back; nothing when argv is empty. */
  removeArgZero(): void {
    const arg = this.argv.shift();
    if (arg) this.room += arg.length + 1;
  }
}

/** What exec needs from the rest of the kernel. */
export interface ExecContext {
  readonly vfs: Vfs;
  readonly tasks: Tasks;
  /** try_module_get / module_put on a format's owner. */
  getOwner(owner: Module | null): boolean;
  putOwner(owner: Module | null): void;
  /** request_module(): modprobe's exit status, or -errno (host/kernel/kmod.ts). */
  requestModule(name: string): number;
  warn(message: string): void;
  /** Run a new image's user code from inside the system call, as the return to user mode would. */
  userMode(fn: () => void): void;
}

/** printable() of search_binary_handler: tab, newline and 0x20..0x7e. */
const printable = (c: number): boolean => c === 0x09 || c === 0x0a || (c >= 0x20 && c <= 0x7e);

const encoder = new TextEncoder();

/**
 * may_open() with MAY_EXEC, and do_open_execat()'s checks: only a regular file is executable (EACCES for a
 * directory, a device, a FIFO; ELOOP for a symlink not followed), not on a noexec mount, and only with
 * execute permission (generic_permission: root too needs at least one execute bit).
 */
function checkExec(path: Path, name: string): void {
  const mode = path.dentry.inode.mode;
  if (S_ISLNK(mode)) throw new KernelError("ELOOP", `${name}: Too many levels of symbolic links`);
  const denied = !S_ISREG(mode) || (path.mnt.sb.flags & MS_NOEXEC) !== 0 || !genericPermission(path.dentry.inode, MAY_EXEC);
  if (denied) throw new KernelError("EACCES", `${name}: Permission denied`);
}

export class Exec {
  readonly formats = new Formats();
  /** Where kernel_read's file reads land (set_fs(KERNEL_DS)): one per kernel, reused. */
  private readonly bounce = new MmStruct();
  private warnedNullArgv = false;

  constructor(private readonly ctx: ExecContext) {}

  /** do_open_execat(): EINVAL for flags other than AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH. */
  openExecat(task: Task, dirfd: number, name: string, flags: number): File {
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new KernelError("EINVAL", `${name}: Invalid argument`);
    const path = name === "" && flags & AT_EMPTY_PATH ? this.emptyPath(task, dirfd)
      : walk(this.ctx.vfs.at(task, dirfd, name), name, !(flags & AT_SYMLINK_NOFOLLOW));
    checkExec(path, name);
    return this.ctx.vfs.openFile(path, O_RDONLY);
  }

  /** open_exec(): the name walked from the task's cwd, as a program. */
  openExec(task: Task, name: string): File {
    return this.openExecat(task, AT_FDCWD, name, 0);
  }

  private emptyPath(task: Task, dirfd: number): Path {
    return dirfd === AT_FDCWD ? task.fs.pwd : task.files.get(dirfd).path;
  }

  /** kernel_read() from a file: count bytes from pos (fewer at its end). */
  read(file: File, count: number, pos: number): Uint8Array {
    return kernelRead(this.bounce, file, count, pos);
  }

  /** kernel_read_file(): the whole file. */
  readFile(file: File): Uint8Array<ArrayBuffer> {
    return kernelReadFile(this.bounce, file);
  }

  fput(file: File): void {
    this.ctx.vfs.fput(file);
  }

  /**
   * begin_new_exec(): the point of no return. The close-on-exec descriptors close, the task takes the new
   * address space (exec_mmap) and the file's name (__set_task_comm).
   */
  beginNewExec(bprm: LinuxBinprm, mm: MmStruct): void {
    bprm.pointOfNoReturn = true;
    const task = bprm.task;
    task.files.closeOnExec();
    task.mm = mm;
    task.comm = bprm.filename.slice(bprm.filename.lastIndexOf("/") + 1).slice(0, TASK_COMM_LEN - 1);
  }

  /**
   * do_execveat_common(): ENOENT, ENOTDIR, EACCES, ELOOP from opening the program; EFAULT for a bad argv or
   * envp array or string; E2BIG past the argument space; then whatever the formats say (ENOEXEC when none
   * takes the file). Returns 0 once the new program has run to its end.
   */
  execveat(task: Task, dirfd: number, pathname: number, argv: number, envp: number, flags: number): number {
    const name = getname(task.mm, pathname);
    const file = this.openExecat(task, dirfd, name, flags);
    const bprm = new LinuxBinprm(task, file, this.filename(dirfd, name));
    bprm.pathInaccessible = dirfd !== AT_FDCWD && !name.startsWith("/") && task.files.isCloexec(dirfd);
    try {
      this.copyArgs(bprm, argv, envp);
      this.bprmExecve(bprm);
    } finally {
      this.fput(bprm.file);
      if (bprm.interpreter) this.fput(bprm.interpreter);
    }
    this.ctx.userMode(bprm.start!);
    return 0;
  }

  /** alloc_bprm()'s name: as given, or /dev/fd/N[/NAME] for a path relative to a descriptor. */
  private filename(dirfd: number, name: string): string {
    if (dirfd === AT_FDCWD || name.startsWith("/")) return name;
    return name === "" ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${name}`;
  }

  /** count(), bprm_stack_limits() and copy_strings(): the filename, envp, then argv; "" for an empty argv. */
  private copyArgs(bprm: LinuxBinprm, argv: number, envp: number): void {
    const mm = bprm.task.mm;
    const args = userVector(mm, argv);
    const envs = userVector(mm, envp);
    if (args.length === 0 && !this.warnedNullArgv) {
      this.warnedNullArgv = true;
      this.ctx.warn(`process '${bprm.task.comm}' launched '${bprm.filename}' with NULL argv: empty string added`);
    }
    bprm.stackLimits(args.length, envs.length);
    bprm.take(encoder.encode(bprm.filename).length);
    bprm.envp = envs.map((p) => userArg(bprm, mm, p));
    bprm.argv = args.map((p) => userArg(bprm, mm, p));
    if (bprm.argv.length === 0) bprm.pushArg(new Uint8Array(0));
  }

  /** bprm_execve(): a failure past the point of no return kills the task with SIGSEGV (force_fatal_sig). */
  private bprmExecve(bprm: LinuxBinprm): void {
    try {
      this.execBinprm(bprm);
    } catch (e) {
      if (bprm.pointOfNoReturn && bprm.task.exitCode === null) this.ctx.tasks.exit(bprm.task, signo("SIGSEGV"));
      throw e;
    }
  }

  /** exec_binprm(): search, and again for each interpreter a format names; ELOOP past five rewrites. */
  private execBinprm(bprm: LinuxBinprm): void {
    for (let depth = 0; ; depth++) {
      if (depth > MAX_REWRITES) throw new KernelError("ELOOP", `${bprm.filename}: Too many levels of symbolic links`);
      this.searchBinaryHandler(bprm);
      const exec = bprm.interpreter;
      if (!exec) break;
      bprm.interpreter = null;
      this.fput(bprm.file);
      bprm.file = exec;
    }
    if (!bprm.start) throw new KernelError("ENOEXEC", `${bprm.filename}: Exec format error`);
  }

  /**
   * search_binary_handler(): read the header, then each format in turn (its module pinned meanwhile) until
   * one takes the file or fails with anything but ENOEXEC. If none did and the header is not printable,
   * request_module("binfmt-%04x") and try once more.
   */
  private searchBinaryHandler(bprm: LinuxBinprm): void {
    bprm.buf.fill(0);
    bprm.buf.set(this.read(bprm.file, BINPRM_BUF_SIZE, 0));
    let err = new KernelError("ENOENT", `${bprm.filename}: No such file or directory`);
    for (let retry = true; ; retry = false) {
      for (const fmt of this.formats.list()) {
        if (!this.ctx.getOwner(fmt.owner)) continue;
        try {
          fmt.loadBinary(bprm);
          return;
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          if (bprm.pointOfNoReturn || e.errno !== errno("ENOEXEC")) throw e;
          err = e;
        } finally {
          this.ctx.putOwner(fmt.owner);
        }
      }
      if (!retry || [...bprm.buf.subarray(0, 4)].every(printable)) throw err;
      const id = bprm.buf[2]! | (bprm.buf[3]! << 8);
      if (this.ctx.requestModule(`binfmt-${id.toString(16).padStart(4, "0")}`) < 0) throw err;
    }
  }
}

/** count() over a NULL-terminated array of 32-bit pointers in user memory; a NULL array is empty. */
function userVector(mm: MmStruct, vec: number): number[] {
  const ptrs: number[] = [];
  if (vec === 0) return ptrs;
  for (let at = vec; ; at += POINTER_SIZE) {
    mm.check(at, POINTER_SIZE);
    const p = new DataView(mm.memory.buffer, at, POINTER_SIZE).getUint32(0, true);
    if (p === 0) return ptrs;
    if (ptrs.length >= MAX_ARG_STRINGS) throw e2big("execve");
    ptrs.push(p);
  }
}

/** strnlen_user() and the copy: EFAULT for a string that is not in memory, E2BIG for one too long. */
function userArg(bprm: LinuxBinprm, mm: MmStruct, ptr: number): Uint8Array {
  mm.check(ptr, 1);
  const mem = new Uint8Array(mm.memory.buffer);
  const window = mem.subarray(ptr, Math.min(mem.length, ptr + MAX_ARG_STRLEN));
  const nul = window.indexOf(0);
  if (nul < 0 && window.length < MAX_ARG_STRLEN) throw new KernelError("EFAULT", `unterminated string at 0x${ptr.toString(16)}`);
  bprm.take(nul < 0 ? MAX_ARG_STRLEN : nul);
  return window.slice(0, nul);
}
