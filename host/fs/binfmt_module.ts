// Binary formats written as modules: linux_binfmt structs in the module's memory, their load_binary called
// through the Oops gate (the module pinned meanwhile, by execve's search), and the accessors through which
// it reads and rewrites the exec in progress by a bprm handle that is valid for the length of the call.
//
// A module format does what binfmt_script and binfmt_misc do: it names an interpreter (open_exec) and
// rewrites argv for it; execve then searches the formats again for the interpreter.

import { BINPRM_BUF_SIZE } from "../../abi/binfmts.js";
import { ERRNO, strerror } from "../../abi/errno.js";
import { STRUCTS } from "../../abi/kernel.js";
import { layoutStruct } from "../../abi/types.js";
import { KernelError, refusal } from "../kernel/error.js";
import { Idr } from "../lib/idr.js";
import { hex } from "../mm/maccess.js";
import { moduleFunction, type Guard, type ModuleFn } from "../module/fnptr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import type { Exec, LinuxBinfmt, LinuxBinprm } from "./exec.js";

const LAYOUT = layoutStruct("linux_binfmt", STRUCTS.linux_binfmt);

type BinfmtSymbols = Pick<
  KernelFunctions,
  | "register_binfmt" | "insert_binfmt" | "unregister_binfmt" | "bprm_get_buf" | "bprm_get_filename" | "bprm_get_interp"
  | "remove_arg_zero" | "copy_string_kernel" | "bprm_change_interp" | "open_exec"
>;

const EINVAL = -ERRNO.EINVAL[0];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes at ptr, up to len or a NUL before it (strnlen). */
function cstring(bytes: Uint8Array): Uint8Array {
  const nul = bytes.indexOf(0);
  return bytes.slice(0, nul < 0 ? bytes.length : nul);
}

export class ModuleBinfmts {
  private readonly bprms = new Idr<LinuxBinprm>();
  /** What each module registered: its struct's address → the format. */
  private readonly registered = new Map<Module, Map<number, LinuxBinfmt>>();

  constructor(
    private readonly exec: Exec,
    private readonly guard: Guard,
    private readonly warn: (message: string) => void,
  ) {}

  /** A linux_binfmt struct as a format: EINVAL without load_binary. */
  private format(mod: Module, ptr: number): LinuxBinfmt {
    const f = mod.memory.readStruct(ptr, LAYOUT);
    if (f.load_binary === 0) throw new KernelError("EINVAL", `${mod.name}: binary format at ${hex(ptr)} has no load_binary`);
    const load = this.guard(mod, moduleFunction<ModuleFn>(mod, f.load_binary!, "linux_binfmt.load_binary"));
    return {
      owner: mod,
      loadBinary: (bprm) => {
        const handle = this.bprms.handle(bprm);
        let ret: number;
        try {
          ret = load(handle);
        } finally {
          this.bprms.remove(bprm);
        }
        if (ret < 0) throw new KernelError(-ret, `${bprm.filename}: ${strerror(-ret)}`);
        // Only the built-in formats can lay out a new image; a module's must name an interpreter.
        if (!bprm.interpreter) {
          this.warn(`${mod.name}: load_binary returned ${ret} without opening an interpreter; format skipped`);
          throw new KernelError("ENOEXEC", `${bprm.filename}: Exec format error`);
        }
      },
    };
  }

  private add(mod: Module, ptr: number, insert: boolean): number {
    try {
      const mine = this.registered.get(mod) ?? new Map<number, LinuxBinfmt>();
      if (mine.has(ptr)) return -ERRNO.EBUSY[0];
      const fmt = this.format(mod, ptr);
      this.exec.formats.register(fmt, insert);
      mine.set(ptr, fmt);
      this.registered.set(mod, mine);
      return 0;
    } catch (e) {
      return refusal(e);
    }
  }

  /** The formats a module left registered, withdrawn at rmmod. */
  reclaim(mod: Module): string[] {
    const left = [...(this.registered.get(mod) ?? [])];
    this.registered.delete(mod);
    for (const [, fmt] of left) this.exec.formats.unregister(fmt);
    return left.map(([ptr]) => `binary format at ${hex(ptr)} still registered at unload; unregistered`);
  }

  /** The registration and bprm symbols as module `mod` imports them. */
  symbols(mod: Module): BinfmtSymbols {
    const withBprm = (handle: number, fn: (bprm: LinuxBinprm) => number): number => {
      const bprm = this.bprms.find(handle);
      if (!bprm) return EINVAL;
      try {
        return fn(bprm);
      } catch (e) {
        return refusal(e);
      }
    };
    const name = (ptr: number, len: number) => cstring(mod.memory.bytes(ptr >>> 0, len));
    const putString = (s: string, buf: number, size: number): number => {
      const bytes = encoder.encode(s);
      if (bytes.length > size) return -ERRNO.ERANGE[0];
      if (bytes.length > 0) mod.memory.bytes(buf >>> 0, bytes.length).set(bytes);
      return bytes.length;
    };
    return {
      register_binfmt: (ptr) => this.add(mod, ptr, false),
      insert_binfmt: (ptr) => this.add(mod, ptr, true),
      unregister_binfmt: (ptr) => {
        const fmt = this.registered.get(mod)?.get(ptr);
        if (!fmt) return EINVAL;
        this.exec.formats.unregister(fmt);
        this.registered.get(mod)!.delete(ptr);
        return 0;
      },
      bprm_get_buf: (h, buf, size) =>
        withBprm(h, (bprm) => {
          const n = Math.min(Math.max(size, 0), BINPRM_BUF_SIZE);
          if (n > 0) mod.memory.bytes(buf >>> 0, n).set(bprm.buf.subarray(0, n));
          return n;
        }),
      bprm_get_filename: (h, buf, size) => withBprm(h, (bprm) => putString(bprm.filename, buf, size)),
      bprm_get_interp: (h, buf, size) => withBprm(h, (bprm) => putString(bprm.interp, buf, size)),
      remove_arg_zero: (h) => withBprm(h, (bprm) => (bprm.removeArgZero(), 0)),
      copy_string_kernel: (arg, len, h) => withBprm(h, (bprm) => (bprm.pushArg(name(arg, len)), 0)),
      bprm_change_interp: (interp, len, h) => withBprm(h, (bprm) => ((bprm.interp = decoder.decode(name(interp, len))), 0)),
      open_exec: (path, len, h) =>
        withBprm(h, (bprm) => {
          const file = this.exec.openExec(bprm.task, decoder.decode(name(path, len)));
          if (bprm.interpreter) this.exec.fput(bprm.interpreter);
          bprm.interpreter = file;
          return 0;
        }),
    };
  }
}
