// A task's address space and the checked copies across it (arch/x86/lib/usercopy, lib/strncpy_from_user.c).
//
// Every system call takes its pointers in the calling task's memory; a pointer outside it, or NULL, is EFAULT.

import { ERRNO } from "../../abi/errno.js";
import { PATH_MAX } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import { current, currentOrNull } from "../kernel/sched.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";

/** A WebAssembly page. */
export const WASM_PAGE = 65536;
/** The most a task's address space may grow to, in pages (16 MiB: TASK_SIZE here). */
export const TASK_SIZE_PAGES = 256;

/** A user address space (struct mm_struct): a WebAssembly.Memory, shared with the task's code when it has any. */
export class MmStruct {
  /** The program break: where sbrk hands out the next block. */
  private brk: number;

  constructor(
    readonly memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: 1, maximum: TASK_SIZE_PAGES }),
    brk = 16,
  ) {
    this.brk = brk;
  }

  /** brk(2) for a task driven from TypeScript: n more bytes, 8-aligned, growing the memory as needed. */
  sbrk(n: number): number {
    const at = this.brk;
    this.brk = Math.ceil((at + n) / 8) * 8;
    const need = this.brk - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / WASM_PAGE));
    return at;
  }

  /** Give back everything sbrk handed out since `mark` (a stack-like scratch area). */
  release(mark: number): void {
    this.brk = mark;
  }

  get mark(): number {
    return this.brk;
  }

  /** access_ok(): EFAULT unless [ptr, ptr + len) is inside the memory and ptr is not NULL. */
  check(ptr: number, len: number): void {
    if (!Number.isInteger(ptr) || ptr <= 0 || len < 0 || ptr + len > this.memory.buffer.byteLength) {
      throw new KernelError("EFAULT", `bad user address 0x${(ptr >>> 0).toString(16)} (${len} bytes)`);
    }
  }

  bytes(ptr: number, len: number): Uint8Array {
    this.check(ptr, len);
    return new Uint8Array(this.memory.buffer, ptr, len);
  }
}

/** copy_from_user(): a copy of len bytes at ptr. */
export function copyFromUser(mm: MmStruct, ptr: number, len: number): Uint8Array {
  return mm.bytes(ptr, len).slice();
}

/** copy_to_user(). */
export function copyToUser(mm: MmStruct, ptr: number, data: Uint8Array): void {
  if (data.length > 0) mm.bytes(ptr, data.length).set(data);
}

/** strncpy_from_user() as getname() uses it: a NUL-terminated UTF-8 path, ENAMETOOLONG at PATH_MAX. */
export function getname(mm: MmStruct, ptr: number, max = PATH_MAX): string {
  mm.check(ptr, 1);
  const mem = new Uint8Array(mm.memory.buffer);
  const end = Math.min(mem.length, ptr + max);
  const nul = mem.subarray(ptr, end).indexOf(0);
  if (nul < 0) {
    if (end - ptr >= max) throw new KernelError("ENAMETOOLONG", "File name too long");
    throw new KernelError("EFAULT", `unterminated string at 0x${ptr.toString(16)}`);
  }
  return new TextDecoder().decode(mem.subarray(ptr, ptr + nul));
}

/** The uaccess symbols as a module imports them: its memory on one side, the current task's on the other. */
export function uaccessSymbols(mod: Module): Pick<KernelFunctions, "copy_to_user" | "copy_from_user" | "strncpy_from_user" | "current_pid"> {
  const faulted = (n: number, fn: () => void): number => {
    try {
      fn();
      return 0;
    } catch (e) {
      if (e instanceof KernelError) return n;
      throw e;
    }
  };
  return {
    current_pid: () => currentOrNull()?.pid ?? 0,
    copy_to_user: (to, from, n) => faulted(n >>> 0, () => copyToUser(current().mm, to >>> 0, mod.memory.bytes(from >>> 0, n >>> 0))),
    copy_from_user: (to, from, n) => faulted(n >>> 0, () => mod.memory.bytes(to >>> 0, n >>> 0).set(current().mm.bytes(from >>> 0, n >>> 0))),
    strncpy_from_user(dst, src, count) {
      try {
        const mm = current().mm;
        mm.check(src >>> 0, 1);
        const mem = new Uint8Array(mm.memory.buffer);
        const window = mem.subarray(src >>> 0, Math.min(mem.length, (src >>> 0) + count));
        const nul = window.indexOf(0);
        const len = nul < 0 ? window.length : nul;
        mod.memory.bytes(dst >>> 0, Math.min(len + 1, count)).set(mem.subarray(src >>> 0, (src >>> 0) + Math.min(len + 1, count)));
        return nul < 0 && window.length < count ? -ERRNO.EFAULT[0] : len;
      } catch (e) {
        if (e instanceof KernelError) return -ERRNO.EFAULT[0];
        throw e;
      }
    },
  };
}
