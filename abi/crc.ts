// Symbol CRCs (the genksyms idea): CRC32 over a symbol's canonical prototype with every struct expanded.
//
// The same text is produced from two sides: from abi/kernel.ts for the kernel's CRCs, and by modpost from the
// types the AssemblyScript compiler resolved in a module's own source. Both go through canonicalPrototype(), so
// a module built against an older header, or against another module's older prototype, carries a different CRC.

import type { SymbolDef } from "./kernel.js";
import { isStructType, layoutStruct, structName, type AbiType, type StructDef } from "./types.js";

/** A struct as the compiler sees it: name and fields with canonical types and byte offsets. */
export interface CanonicalStruct {
  readonly name: string;
  readonly fields: readonly { readonly name: string; readonly type: CanonicalType; readonly offset: number }[];
}

/** A scalar type name, or a struct to expand. */
export type CanonicalType = string | CanonicalStruct;

/** A function's or a global's canonical prototype text: `i32 printk(i32,string,u32)`, `u32 __this_module`. */
export function canonicalPrototype(
  name: string,
  sig: { params: readonly CanonicalType[]; ret: CanonicalType } | { global: CanonicalType },
): string {
  const seen = new Set<string>();
  if ("global" in sig) return `${typeText(sig.global, seen)} ${name}`;
  const params = sig.params.map((p) => typeText(p, seen)).join(",");
  return `${typeText(sig.ret, seen)} ${name}(${params})`;
}

/** Expand a struct at its first mention only, so self-referencing structs terminate (as genksyms does). */
function typeText(t: CanonicalType, seen: Set<string>): string {
  if (typeof t === "string") return t;
  if (seen.has(t.name)) return `struct ${t.name}`;
  seen.add(t.name);
  const fields = t.fields.map((f) => `${typeText(f.type, seen)} ${f.name}@${f.offset};`).join("");
  return `struct ${t.name}{${fields}}`;
}

/** The canonical form of an ABI type, expanding structs from the given table. */
export function canonicalAbiType(t: AbiType, structs: Readonly<Record<string, StructDef>>): CanonicalType {
  if (!isStructType(t)) return t;
  const name = structName(t);
  const def = structs[name];
  if (!def) throw new Error(`abi: unknown struct ${name}`);
  return {
    name,
    fields: layoutStruct(name, def).fields.map((f) => ({
      name: f.name,
      offset: f.offset,
      type: canonicalAbiType(f.type, structs),
    })),
  };
}

/** The canonical prototype of an ABI symbol definition. */
export function abiPrototype(name: string, def: SymbolDef, structs: Readonly<Record<string, StructDef>>): string {
  const c = (t: AbiType) => canonicalAbiType(t, structs);
  return def.kind === "global"
    ? canonicalPrototype(name, { global: c(def.type) })
    : canonicalPrototype(name, { params: def.params.map(([, t]) => c(t)), ret: c(def.ret) });
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib computes it) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
