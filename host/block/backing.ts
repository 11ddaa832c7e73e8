// The files a disk driver holds (a loop device's backing file): fget and fput by module, and a request's
// data moved to or from such a file through the VFS (drivers/block/loop.c's lo_rw_aio, done synchronously).
//
// A module reaches only files it took a reference on, and only as they were opened: a WRITE to a file the
// user opened read-only fails with EBADF, as the VFS says.

import { ERRNO } from "../../abi/errno.js";
import { dPath } from "../fs/d_path.js";
import type { File } from "../fs/fs.js";
import { kernelRead, kernelWrite } from "../fs/read_write.js";
import { discardRefusal, KernelError, refusal } from "../kernel/error.js";
import { currentOrNull, switchTo, type Task } from "../kernel/sched.js";
import type { Idr } from "../lib/idr.js";
import { MmStruct } from "../mm/uaccess.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import type { Request } from "./blk-mq.js";

type BackingSymbols = Pick<KernelFunctions, "fget" | "fput" | "blk_rq_file_rw" | "file_path" | "inode_get_dev">;

export interface BackingContext {
  /** The module filesystems' file and inode handles, which file_inode and file_flags read. */
  readonly files: Idr<File>;
  readonly inodes: Idr<File["inode"]>;
  readonly requests: Idr<Request>;
  /** The task whose memory bounces the data when no system call is running (a timer's writeback): init. */
  kernelTask(): Task;
  /** fput() of the VFS: the last reference closes the file. */
  fput(file: File): void;
  warn(message: string): void;
}

export class BackingFiles {
  /** The references each module holds, per file. */
  private readonly held = new Map<Module, Map<File, number>>();
  /** Where the VFS's user copies go while a request moves through a file. */
  private readonly bounce = new MmStruct();

  constructor(private readonly ctx: BackingContext) {}

  /** Run fn as the current task, or as the kernel's when none is (a flush from a timer). */
  private asTask<T>(fn: () => T): T {
    if (currentOrNull()) return fn();
    const saved = switchTo(this.ctx.kernelTask());
    try {
      return fn();
    } finally {
      switchTo(saved);
    }
  }

  /** The request's bytes from or to the file at pos; a read short of the end is padded with zeros. */
  rw(rq: Request, file: File, pos: number): void {
    if (!Number.isSafeInteger(pos) || pos < 0) throw new KernelError("EINVAL", `${rq.target.name}: bad file position ${pos}`);
    const data = new Uint8Array(rq.bytes);
    this.asTask(() => {
      if (rq.write) {
        rq.copy(0, data, false);
        for (let done = 0; done < data.length; ) done += kernelWrite(this.bounce, file, data.subarray(done), pos + done);
        return;
      }
      for (let done = 0; done < data.length; ) {
        const got = kernelRead(this.bounce, file, data.length - done, pos + done);
        if (got.length === 0) break;
        data.set(got, done);
        done += got.length;
      }
      rq.copy(0, data, true);
    });
  }

  private own(mod: Module, handle: number): File | undefined {
    const file = this.ctx.files.find(handle);
    return file && (this.held.get(mod)?.get(file) ?? 0) > 0 ? file : undefined;
  }

  private put(mod: Module, file: File): void {
    const mine = this.held.get(mod)!;
    const n = mine.get(file)! - 1;
    if (n === 0) mine.delete(file);
    else mine.set(file, n);
    this.ctx.fput(file);
  }

  /** The files a module still holds, closed (its rmmod): a line if there were any. */
  reclaim(mod: Module): string[] {
    const mine = this.held.get(mod);
    this.held.delete(mod);
    if (!mine || mine.size === 0) return [];
    let n = 0;
    for (const [file, count] of mine) for (let i = 0; i < count; i++, n++) this.ctx.fput(file);
    return [`${n} file reference(s) still held at unload; dropped`];
  }

  symbols(mod: Module): BackingSymbols {
    const EINVAL = -ERRNO.EINVAL[0];
    return {
      fget: (fd) => {
        const task = currentOrNull();
        if (!task) return 0;
        try {
          const file = task.files.get(fd);
          file.count++;
          const mine = this.held.get(mod) ?? new Map<File, number>();
          this.held.set(mod, mine.set(file, (mine.get(file) ?? 0) + 1));
          return this.ctx.files.handle(file);
        } catch (e) {
          refusal(e);
          return 0;
        }
      },
      fput: (handle) => {
        const file = this.own(mod, handle);
        if (file) return discardRefusal(() => this.put(mod, file));
        this.ctx.warn(`${mod.name}: fput of file ${handle}, which it did not fget`);
      },
      blk_rq_file_rw: (rqHandle, handle, pos) => {
        const rq = this.ctx.requests.find(rqHandle);
        const file = this.own(mod, handle);
        if (!rq || rq.target.owner !== mod || !file) return EINVAL;
        try {
          this.rw(rq, file, Number(pos));
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      file_path: (handle, buf, size) => {
        const file = this.ctx.files.find(handle);
        if (!file) return EINVAL;
        try {
          const bytes = new TextEncoder().encode(dPath(file.path));
          if (bytes.length > size) return -ERRNO.ERANGE[0];
          mod.memory.bytes(buf >>> 0, bytes.length).set(bytes);
          return bytes.length;
        } catch (e) {
          return refusal(e);
        }
      },
      inode_get_dev: (handle) => this.ctx.inodes.find(handle)?.sb.dev ?? 0,
    };
  }
}
