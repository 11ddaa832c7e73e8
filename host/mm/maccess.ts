// Bounds-checked access to a module's linear memory: the only way the host reads or writes it.
//
// Views are made afresh on every access, since a memory.grow inside the module detaches the old ones.

import type { StructLayout } from "../../abi/types.js";
import { KernelError } from "../kernel/error.js";

/** An address inside one module's linear memory; never a bare number at a boundary. */
export type ModPtr = number & { readonly __brand: "ModPtr" };

export const NULL = 0 as ModPtr;

/** The AssemblyScript runtime's class id of String (rtId in the object header at ptr - 8). */
export const STRING_ID = 2;

/** NAME_MAX: the longest name a kernel object's name may be here, as a file name may. */
const NAME_MAX = 255;

/** Code units decoded per String.fromCharCode call. */
const DECODE_SLICE = 8192;

export class ModuleMemory {
  constructor(
    readonly owner: string,
    readonly memory: WebAssembly.Memory,
    /** Where a refused name is reported (KERN_ERR), so the reason is in dmesg whatever errno the call returns. */
    private readonly err: (message: string) => void = () => {},
  ) {}

  get size(): number {
    return this.memory.buffer.byteLength;
  }

  /** Throws EFAULT unless [ptr, ptr + len) lies inside the memory. */
  check(ptr: number, len: number): ModPtr {
    if (!Number.isInteger(ptr) || ptr <= 0 || len < 0 || ptr + len > this.size) {
      throw new KernelError("EFAULT", `${this.owner}: bad address ${hex(ptr)} (${len} bytes)`);
    }
    return ptr as ModPtr;
  }

  bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.check(ptr, len), len);
  }

  view(ptr: number, len: number): DataView {
    return new DataView(this.memory.buffer, this.check(ptr, len), len);
  }

  /** A struct's fields as numbers (pointers and 32-bit values; 64-bit fields as Number), laid out as abi/ says. */
  readStruct(ptr: number, layout: StructLayout): Record<string, number> {
    const view = this.view(ptr, layout.size);
    const out: Record<string, number> = {};
    for (const f of layout.fields) {
      out[f.name] = f.size === 8 ? Number(view.getBigInt64(f.offset, true)) : f.size === 4 ? view.getUint32(f.offset, true)
        : f.size === 2 ? view.getUint16(f.offset, true) : view.getUint8(f.offset);
    }
    return out;
  }

  /** An AssemblyScript string's length in UTF-16 code units, from its header (EFAULT if it cannot be one). */
  stringLength(ptr: number): number {
    const len = this.view(ptr - 4, 4).getUint32(0, true);
    if (len % 2 !== 0) throw new KernelError("EFAULT", `${this.owner}: ${hex(ptr)} is not a string`);
    return len / 2;
  }

  /**
   * An AssemblyScript string: UTF-16LE whose byte length is the u32 at ptr - 4. Only its first `max` code
   * units are read (and checked to lie inside the memory), so a huge string costs the host no more than that.
   */
  readString(ptr: number, max = Infinity): string {
    const units = new Uint16Array(this.bytes(ptr, Math.min(this.stringLength(ptr), max) * 2).slice().buffer);
    // In slices: spreading a long string's units as arguments overflows the host's stack.
    let s = "";
    for (let at = 0; at < units.length; at += DECODE_SLICE) s += String.fromCharCode(...units.subarray(at, at + DECODE_SLICE));
    return s;
  }

  /**
   * The name a module gives something the kernel shows by name (/proc/devices, /proc/interrupts, /dev,
   * /proc/filesystems): EINVAL, naming the module and what the name is for, when it is empty, longer than
   * `max`, holds a control character (a newline would forge a line of those files) or one of `forbidden`.
   * With `truncate`, a long name is cut to `max` instead, as Linux copies some into fixed buffers.
   */
  readName(ptr: number, what: string, opts: { readonly max?: number; readonly forbidden?: string; readonly truncate?: boolean } = {}): string {
    const max = opts.max ?? NAME_MAX;
    const whole = this.readString(ptr, max + 1);
    const name = opts.truncate ? whole.slice(0, max) : whole;
    const bad = [...name].find((c) => c < " " || c === "\x7f" || (opts.forbidden ?? "").includes(c));
    const why =
      name === "" ? "is empty"
      : name.length > max ? `is longer than ${max} characters`
      : bad !== undefined ? `holds ${JSON.stringify(bad)}`
      : undefined;
    if (!why) return name;
    const message = `${this.owner}: ${what} ${JSON.stringify(name.slice(0, 64))} ${why}`;
    this.err(message);
    throw new KernelError("EINVAL", message);
  }

  /** Write s as UTF-16LE at ptr, which must hold s.length * 2 bytes. */
  writeString(ptr: ModPtr, s: string): void {
    const view = this.view(ptr, s.length * 2);
    for (let i = 0; i < s.length; i++) view.setUint16(i * 2, s.charCodeAt(i), true);
  }
}

/** An 8-digit address, as %p prints it on wasm32. */
export function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

