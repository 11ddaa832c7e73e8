// The module file format: the custom sections modpost writes and the loader reads, and the exports it needs.
//
//   .modinfo       "key=value\0" strings: name, license, author, description, version, vermagic, depends,
//                  alias (repeatable), parm, parmtype, srcversion, intree
//   __versions     per imported symbol: u32 CRC (little-endian) then the NUL-terminated name
//   __ksymtab      per exported symbol, same encoding
//   __ksymtab_gpl  per GPL-only exported symbol, same encoding
//   __param        per module_param: u32 sysfs permission bits, then the NUL-terminated parameter name

import { concat } from "./wasm.js";

export const SECTION_MODINFO = ".modinfo";
export const SECTION_VERSIONS = "__versions";
export const SECTION_KSYMTAB = "__ksymtab";
export const SECTION_KSYMTAB_GPL = "__ksymtab_gpl";
export const SECTION_PARAM = "__param";

/** The import namespace of every kernel and module symbol; Linux symbols are global. */
export const KERNEL_NAMESPACE = "kernel";
/** The AssemblyScript runtime's own imports (memory, abort). */
export const ENV_NAMESPACE = "env";
/**
 * The import the loader adds to every module and program it runs (host/module/instrument.ts): the budget
 * checks in its code call it, () -> i32, when their budget has run out (host/kernel/watchdog.ts).
 */
export const WATCHDOG_TICK = { module: "watchdog", name: "tick" } as const;

/** Exports the loader looks for by name. */
export const MODULE_EXPORTS = {
  init: "init_module",
  cleanup: "cleanup_module",
  start: "_initialize",
  memory: "memory",
  table: "table",
  heapAlloc: "__heap_alloc",
  heapFree: "__heap_free",
  newObject: "__new",
  pin: "__pin",
  unpin: "__unpin",
} as const;

/** Exports every module has for the runtime's sake; they are not symbols of the module's own. */
export const RUNTIME_EXPORTS: ReadonlySet<string> = new Set([
  ...Object.values(MODULE_EXPORTS),
  "__collect",
  "__rtti_base",
]);

export type ModinfoEntry = readonly [key: string, value: string];

/** A record of __versions, __ksymtab(_gpl) (value: the CRC) or __param (value: the permission bits). */
export interface NamedU32 {
  readonly name: string;
  readonly value: number;
}

export function encodeModinfo(entries: readonly ModinfoEntry[]): Uint8Array {
  return new TextEncoder().encode(entries.map(([k, v]) => `${k}=${v}\0`).join(""));
}

/** Decode .modinfo; a string without '=' is malformed (null). */
export function decodeModinfo(bytes: Uint8Array): ModinfoEntry[] | null {
  const text = new TextDecoder().decode(bytes);
  const entries: ModinfoEntry[] = [];
  for (const s of text.split("\0")) {
    if (s === "") continue;
    const eq = s.indexOf("=");
    if (eq <= 0) return null;
    entries.push([s.slice(0, eq), s.slice(eq + 1)]);
  }
  return entries;
}

export function encodeNamedU32(entries: readonly NamedU32[]): Uint8Array {
  const enc = new TextEncoder();
  const parts = entries.map((e) => {
    const name = enc.encode(e.name);
    const rec = new Uint8Array(4 + name.length + 1);
    new DataView(rec.buffer).setUint32(0, e.value, true);
    rec.set(name, 4);
    return rec;
  });
  return concat(parts);
}

/** Decode __versions, __ksymtab(_gpl) or __param records; a truncated record is malformed (null). */
export function decodeNamedU32(bytes: Uint8Array): NamedU32[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: NamedU32[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 5 > bytes.length) return null;
    const value = view.getUint32(at, true);
    const nul = bytes.indexOf(0, at + 4);
    if (nul < 0 || nul === at + 4) return null;
    out.push({ value, name: new TextDecoder().decode(bytes.subarray(at + 4, nul)) });
    at = nul + 1;
  }
  return out;
}
