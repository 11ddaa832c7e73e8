// The module file format: the custom sections modpost writes and the loader reads, and the exports it needs.
//
//   .modinfo       "key=value\0" strings: name, license, author, description, version, vermagic, depends,
//                  alias (repeatable), parm, parmtype, srcversion, intree
//   __versions     per imported symbol: u32 CRC (little-endian) then the NUL-terminated name
//   __ksymtab      per exported symbol, same encoding
//   __ksymtab_gpl  per GPL-only exported symbol, same encoding
//   __param        per module_param: u32 sysfs permission bits, then the NUL-terminated parameter name

import { concat, customSections, decodeUtf8, WasmFormatError, type Section } from "./wasm.js";

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
 * The runtime's function imports the loader provides (host/module/main.ts, envImport): abort() is BUG(),
 * trace() a debug printk, seed() Math.random's seed. Any other import from ENV_NAMESPACE (console.log,
 * Date.now) is nothing the kernel has, and modpost refuses it.
 */
export const ENV_FUNCTIONS: ReadonlySet<string> = new Set(["abort", "trace", "seed"]);
/**
 * The import the loader adds to every module and program it runs (host/module/instrument.ts): a table of one
 * function, () -> i32, which the budget checks in its code call when their budget has run out
 * (host/kernel/watchdog.ts). A binary importing anything from this module itself is refused.
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
  /**
   * The AssemblyScript shadow stack's pointer, exported by modpost: KUnit resets it after a case whose frames
   * never returned (an abort or a trap), so the next case has the whole stack.
   */
  stackPointer: "__stack_pointer",
} as const;

/** Exports every module has for the runtime's sake; they are not symbols of the module's own. */
export const RUNTIME_EXPORTS: ReadonlySet<string> = new Set([
  ...Object.values(MODULE_EXPORTS),
  "__collect",
  "__rtti_base",
]);

/**
 * The macros that write .modinfo (include/linux/module.h), each a top-level call with one string literal:
 * the key each writes, and what it says. Any may be repeated; modinfo shows every entry.
 */
export const MODINFO_MACROS = {
  MODULE_LICENSE: {
    key: "license",
    doc: 'The licence: "GPL", "GPL v2", "Dual MIT/GPL"... A GPL-compatible one may use GPL-only symbols; any other taints the kernel P. modpost refuses a module without one.',
  },
  MODULE_AUTHOR: { key: "author", doc: "Who wrote the module." },
  MODULE_DESCRIPTION: { key: "description", doc: "What the module does." },
  MODULE_VERSION: { key: "version", doc: "The module's own version." },
  MODULE_ALIAS: { key: "alias", doc: "Another name modprobe finds the module by: fs-NAME, char-major-M-m, binfmt-XXXX..." },
  MODULE_SOFTDEP: { key: "softdep", doc: '"pre: a b post: c": modules modprobe loads before and after this one.' },
  MODULE_WEAKDEP: { key: "weakdep", doc: "A module this one may use: modprobe -c shows it and initramfs tools may include it, but nothing loads it (kmod 33+)." },
  MODULE_FIRMWARE: { key: "firmware", doc: "A firmware file the module may ask for." },
} as const;

/** The macros that declare parameters and exports (moduleparam.h, export.h): what each does, for the header's declarations. */
export const SYMBOL_MACROS = {
  module_param:
    "module_param(var, type, perm): var, an `export let` of the type's AssemblyScript type, is a parameter insmod and modprobe set (var=value) and /sys/module/NAME/parameters/var shows with mode perm (0o644 writable by root, 0o444 read-only, 0 hidden).",
  MODULE_PARM_DESC: "MODULE_PARM_DESC(var, \"text\"): the parameter's description, as modinfo shows it.",
  EXPORT_SYMBOL:
    "EXPORT_SYMBOL(fn): other modules may call fn, an exported function taking and returning numbers only (modules share no memory). The loader binds their import to it directly and counts them as users of this module.",
  EXPORT_SYMBOL_GPL: "EXPORT_SYMBOL_GPL(fn): as EXPORT_SYMBOL, for modules with a GPL-compatible licence only.",
} as const;

export type ModinfoEntry = readonly [key: string, value: string];

/** A record of __versions, __ksymtab(_gpl) (value: the CRC) or __param (value: the permission bits). */
export interface NamedU32 {
  readonly name: string;
  readonly value: number;
}

export function encodeModinfo(entries: readonly ModinfoEntry[]): Uint8Array {
  return new TextEncoder().encode(entries.map(([k, v]) => `${k}=${v}\0`).join(""));
}

/** Decode .modinfo; a string without '=', or one that is not UTF-8, is malformed (null). */
export function decodeModinfo(bytes: Uint8Array): ModinfoEntry[] | null {
  const text = decodeUtf8(bytes);
  if (text === null) return null;
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

/** Decode __versions, __ksymtab(_gpl) or __param records; a truncated record or a name not UTF-8 is malformed (null). */
export function decodeNamedU32(bytes: Uint8Array): NamedU32[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: NamedU32[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 5 > bytes.length) return null;
    const value = view.getUint32(at, true);
    const nul = bytes.indexOf(0, at + 4);
    if (nul < 0 || nul === at + 4) return null;
    const name = decodeUtf8(bytes.subarray(at + 4, nul));
    if (name === null) return null;
    out.push({ value, name });
    at = nul + 1;
  }
  return out;
}

/** A module's own sections, decoded: what the loader checks and the tools show. */
export interface ModuleSections {
  /** null when the file has no .modinfo. */
  readonly modinfo: ModinfoEntry[] | null;
  /** null when the file has no __versions. */
  readonly versions: NamedU32[] | null;
  readonly ksymtab: NamedU32[];
  readonly ksymtabGpl: NamedU32[];
  readonly params: NamedU32[];
}

/** The one section of that name decoded, or null when absent; WasmFormatError when repeated or malformed. */
function section<T>(sections: readonly Section[], name: string, decode: (bytes: Uint8Array) => T | null): T | null {
  const found = customSections(sections, name);
  if (found.length === 0) return null;
  if (found.length > 1) throw new WasmFormatError(`duplicate ${name} section`);
  const decoded = decode(found[0]!);
  if (decoded === null) throw new WasmFormatError(`malformed ${name} section`);
  return decoded;
}

/** Decode the sections modpost writes. Throws WasmFormatError when one is malformed or appears twice. */
export function decodeModuleSections(sections: readonly Section[]): ModuleSections {
  return {
    modinfo: section(sections, SECTION_MODINFO, decodeModinfo),
    versions: section(sections, SECTION_VERSIONS, decodeNamedU32),
    ksymtab: section(sections, SECTION_KSYMTAB, decodeNamedU32) ?? [],
    ksymtabGpl: section(sections, SECTION_KSYMTAB_GPL, decodeNamedU32) ?? [],
    params: section(sections, SECTION_PARAM, decodeNamedU32) ?? [],
  };
}

/** MODULE_NAME_LEN on a 64-bit kernel: a module's name with its NUL. */
export const MODULE_NAME_LEN = 56;

/** NAME_MAX: a parameter's name is a file name under /sys/module/NAME/parameters. */
const PARAM_NAME_MAX = 255;

/** Why `name` cannot name a module or a parameter (null when it can): 1 to `max` bytes of letters, digits, '_', '-'. */
function badName(what: string, name: string, max: number): string | null {
  const length = new TextEncoder().encode(name).length;
  if (length === 0) return `empty ${what}`;
  if (length > max) return `${what} of ${length} bytes is longer than ${max}`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return `${what} '${escapeName(name)}' has a character other than letters, digits, '_' and '-'`;
  return null;
}

/** Why a module name is not one Linux could have (null when it is): at most MODULE_NAME_LEN - 1 bytes. */
export function badModuleName(name: string): string | null {
  return badName("module name", name, MODULE_NAME_LEN - 1);
}

export function badParamName(name: string): string | null {
  return badName("parameter name", name, PARAM_NAME_MAX);
}

/** KSYM_NAME_LEN: an exported symbol's name, printable and without blanks, as /proc/kallsyms lists it. */
const KSYM_NAME_LEN = 512;

/** Why an exported symbol's name could not be listed in /proc/kallsyms (null when it can). */
export function badSymbolName(name: string): string | null {
  const length = new TextEncoder().encode(name).length;
  if (length === 0 || length >= KSYM_NAME_LEN) return `symbol name of ${length} bytes`;
  if (!/^[\x21-\x7e]+$/.test(name)) return `symbol name '${escapeName(name)}' has a blank or unprintable character`;
  return null;
}

/** A name as the kernel keeps it: '-' read as '_', as kbuild's KBUILD_MODNAME and parameq() read it. */
export function canonicalName(name: string): string {
  return name.replace(/-/g, "_");
}

/** A name quoted in a log line: anything but printable ASCII as \xHH, so it cannot forge lines. */
export function escapeName(name: string): string {
  return [...new TextEncoder().encode(name)].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
}
