// The type vocabulary of the module ABI, and the struct layouts built from it (little-endian, natural alignment).

/** A value that crosses the kernel/module boundary. `string` is an AssemblyScript string pointer (UTF-16). */
export type ScalarType =
  | "void" | "bool" | "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "i64" | "u64" | "f32" | "f64"
  | "isize" | "usize" | "string";

/** A struct passed by pointer: `struct NAME`, laid out as STRUCTS[NAME] says. */
export type StructType = `struct ${string}`;
export type AbiType = ScalarType | StructType;

/** Field list of a struct, in memory order. */
export type StructDef = readonly (readonly [field: string, type: AbiType])[];

const SIZES: Record<Exclude<ScalarType, "void">, number> = {
  bool: 1, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f32: 4, f64: 8,
  isize: 4, usize: 4, string: 4,
};

export function isStructType(t: AbiType): t is StructType {
  return t.startsWith("struct ");
}

export function structName(t: StructType): string {
  return t.slice("struct ".length);
}

/** Size in bytes of a value of type t inside a struct (a struct-typed field is a pointer). */
export function sizeOf(t: AbiType): number {
  if (t === "void") throw new Error("void has no size");
  return isStructType(t) ? 4 : SIZES[t];
}

export interface FieldLayout {
  readonly name: string;
  readonly type: AbiType;
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly name: string;
  readonly fields: readonly FieldLayout[];
  readonly size: number;
  readonly align: number;
}

/** Lay a struct out as AssemblyScript lays out an `@unmanaged class`: each field at its natural alignment. */
export function layoutStruct(name: string, def: StructDef): StructLayout {
  let offset = 0;
  let align = 1;
  const fields = def.map(([field, type]) => {
    const size = sizeOf(type);
    offset = Math.ceil(offset / size) * size;
    align = Math.max(align, size);
    const layout = { name: field, type, offset, size };
    offset += size;
    return layout;
  });
  return { name, fields, size: Math.ceil(offset / align) * align, align };
}

/**
 * A struct's bytes, little-endian, from numbers set by field name: a 64-bit field takes the value's low 64 bits
 * (a negative one as two's complement), a narrower one its low 32. `done` gives the bytes.
 */
export function structWriter(layout: StructLayout): { set(field: string, value: number): void; done(): Uint8Array } {
  const out = new Uint8Array(layout.size);
  const view = new DataView(out.buffer);
  return {
    set(field, value) {
      const f = layout.fields.find((x) => x.name === field)!;
      if (f.size === 8) view.setBigUint64(f.offset, BigInt.asUintN(64, BigInt(Math.trunc(value))), true);
      else view.setUint32(f.offset, value >>> 0, true);
    },
    done: () => out,
  };
}
