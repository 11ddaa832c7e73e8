// The descriptor table (fs/file.c): lowest free descriptor first, dup, dup2 and close.

import { KernelError } from "../kernel/error.js";
import type { File } from "./fs.js";

/** RLIMIT_NOFILE's usual soft limit. */
export const NR_OPEN_DEFAULT = 1024;

export class FdTable {
  private readonly fds: (File | null)[] = [];
  /** FD_CLOEXEC: the descriptors an exec would close (O_CLOEXEC, FIOCLEX); dup never copies it. */
  private readonly cloexec = new Set<number>();

  constructor(
    /** fput(): drop one reference to an open file description. */
    private readonly put: (file: File) => void,
    readonly max = NR_OPEN_DEFAULT,
  ) {}

  /** fdget(): EBADF for a descriptor that is not open. */
  get(fd: number): File {
    const file = Number.isInteger(fd) && fd >= 0 ? this.fds[fd] : undefined;
    if (!file) throw new KernelError("EBADF", `${fd}: Bad file descriptor`);
    return file;
  }

  /** get_unused_fd_flags(): the lowest free descriptor; EMFILE when the table is full. */
  unused(): number {
    const fd = this.fds.indexOf(null);
    if (fd >= 0) return fd;
    if (this.fds.length >= this.max) throw new KernelError("EMFILE", "Too many open files");
    return this.fds.length;
  }

  /** fd_install at the lowest free descriptor; EMFILE when the table is full. */
  install(file: File, cloexec = false): number {
    const fd = this.unused();
    this.fds[fd] = file;
    this.setCloexec(fd, cloexec);
    return fd;
  }

  setCloexec(fd: number, on: boolean): void {
    if (on) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
  }

  isCloexec(fd: number): boolean {
    return this.cloexec.has(fd);
  }

  close(fd: number): void {
    const file = this.get(fd);
    this.fds[fd] = null;
    this.cloexec.delete(fd);
    this.put(file);
  }

  dup(fd: number): number {
    const file = this.get(fd);
    const nfd = this.install(file);
    file.count++;
    return nfd;
  }

  /** dup2(): the same descriptor back when old == new; new is closed first, silently. */
  dup2(oldfd: number, newfd: number): number {
    const file = this.get(oldfd);
    if (!Number.isInteger(newfd) || newfd < 0 || newfd >= this.max) throw new KernelError("EBADF", `${newfd}: Bad file descriptor`);
    if (oldfd === newfd) return newfd;
    const old = this.fds[newfd];
    while (this.fds.length < newfd) this.fds.push(null);
    this.fds[newfd] = file;
    this.cloexec.delete(newfd);
    file.count++;
    if (old) this.put(old);
    return newfd;
  }

  /** dup_fd() for fork: the other table's open files on the same descriptors (one more reference each), FD_CLOEXEC too. */
  copyFrom(other: FdTable): void {
    for (const [fd, file] of other.entries()) {
      while (this.fds.length < fd) this.fds.push(null);
      this.fds[fd] = file;
      file.count++;
      this.setCloexec(fd, other.isCloexec(fd));
    }
  }

  /** do_close_on_exec(): close every descriptor marked FD_CLOEXEC. */
  closeOnExec(): void {
    for (const fd of [...this.cloexec]) this.close(fd);
  }

  /** The open descriptors, for /proc/PID/fd. */
  entries(): [number, File][] {
    return this.fds.flatMap((f, fd) => (f ? [[fd, f] as [number, File]] : []));
  }

  /** Close everything (exit_files). */
  closeAll(): void {
    for (const [fd] of this.entries()) this.close(fd);
  }
}
