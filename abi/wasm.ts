// The WebAssembly binary format, as far as modules need it: sections, custom sections, the memory import.

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];
const SECTION_CUSTOM = 0;
const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;
const SECTION_FUNCTION = 3;
const SECTION_TABLE = 4;
const SECTION_EXPORT = 7;

/** A malformed binary; the message says where. */
export class WasmFormatError extends Error {}

export interface Section {
  readonly id: number;
  /** The custom section's name, for id 0. */
  readonly name?: string;
  /** The payload (after the custom name, for id 0). */
  readonly payload: Uint8Array;
}

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  byte(): number {
    if (this.at >= this.bytes.length) throw new WasmFormatError(`unexpected end at offset ${this.at}`);
    return this.bytes[this.at++]!;
  }

  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new WasmFormatError(`LEB128 too long at offset ${this.at}`);
  }

  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) throw new WasmFormatError(`section overruns the file at offset ${this.at}`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  name(): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.take(this.u32()));
  }
}

/** Split a binary into its sections, checking the header and every section's bounds. */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WasmFormatError("bad magic number");
  if (VERSION.some((b, i) => bytes[4 + i] !== b)) throw new WasmFormatError("unsupported version");
  const r = new Reader(bytes);
  r.at = 8;
  const sections: Section[] = [];
  while (r.at < bytes.length) {
    const id = r.byte();
    const body = new Reader(r.take(r.u32()));
    if (id !== SECTION_CUSTOM) {
      sections.push({ id, payload: body.bytes });
      continue;
    }
    const name = body.name();
    sections.push({ id, name, payload: body.bytes.subarray(body.at) });
  }
  return sections;
}

/** The payloads of every custom section of that name, in file order. */
export function customSections(sections: readonly Section[], name: string): Uint8Array[] {
  return sections.filter((s) => s.id === SECTION_CUSTOM && s.name === name).map((s) => s.payload);
}

export interface MemoryImport {
  readonly module: string;
  readonly name: string;
  readonly initial: number;
  readonly maximum?: number;
  /** The limits' flags beyond the maximum bit: 2 shared, 4 memory64. */
  readonly flags?: number;
}

/** The imported memory's limits, if the binary imports one. */
export function memoryImport(sections: readonly Section[]): MemoryImport | undefined {
  const section = sections.find((s) => s.id === SECTION_IMPORT);
  if (!section) return undefined;
  const r = new Reader(section.payload);
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name();
    const name = r.name();
    const kind = r.byte();
    if (kind === 0x02) {
      const flags = r.byte();
      const initial = r.u32();
      const extra = flags & ~1 ? { flags: flags & ~1 } : {};
      return flags & 1 ? { module, name, initial, maximum: r.u32(), ...extra } : { module, name, initial, ...extra };
    }
    skipImportDesc(r, kind);
  }
  return undefined;
}

/** A table's type: its element type and its limits in elements. */
export interface TableType {
  /** 0x70 funcref, 0x6f externref. */
  readonly refType: number;
  readonly initial: number;
  readonly maximum?: number;
}

/** The tables the binary defines (its table section), in index order. */
export function tableTypes(sections: readonly Section[]): TableType[] {
  const section = sections.find((s) => s.id === SECTION_TABLE);
  if (!section) return [];
  const r = new Reader(section.payload);
  const tables: TableType[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const refType = r.byte();
    const flags = r.byte();
    const initial = r.u32();
    tables.push(flags & 1 ? { refType, initial, maximum: r.u32() } : { refType, initial });
  }
  return tables;
}

/**
 * The sections with each defined table's maximum lowered to `max` elements (given one if it had none), so
 * table.grow fails past it; a table whose initial size is already larger keeps that as its maximum.
 */
export function capTables(sections: readonly Section[], max: number): Section[] {
  const tables = tableTypes(sections);
  return sections.map((s) => {
    if (s.id !== SECTION_TABLE) return s;
    const body = tables.flatMap((t) => [t.refType, 1, ...leb128(t.initial), ...leb128(Math.max(t.initial, Math.min(t.maximum ?? max, max)))]);
    return { id: s.id, payload: new Uint8Array([...leb128(tables.length), ...body]) };
  });
}

/** A function's type: its parameter and result value types (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64...). */
export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

/** The types of the functions a binary imports ("module.name") and exports (by export name). */
export function functionTypes(sections: readonly Section[]): { imports: Map<string, FuncType>; exports: Map<string, FuncType> } {
  const payload = (id: number) => sections.find((s) => s.id === id)?.payload;
  const types: FuncType[] = [];
  const typeSection = payload(SECTION_TYPE);
  if (typeSection) {
    const r = new Reader(typeSection);
    const vec = () => Array.from({ length: r.u32() }, () => r.byte());
    for (let n = r.u32(); n > 0; n--) {
      if (r.byte() !== 0x60) throw new WasmFormatError("a type that is not a function type");
      types.push({ params: vec(), results: vec() });
    }
  }
  const typeOf = (index: number) => {
    const t = types[index];
    if (!t) throw new WasmFormatError(`type index ${index} out of range`);
    return t;
  };
  const funcs: FuncType[] = [];
  const imports = new Map<string, FuncType>();
  const importSection = payload(SECTION_IMPORT);
  if (importSection) {
    const r = new Reader(importSection);
    for (let n = r.u32(); n > 0; n--) {
      const key = `${r.name()}.${r.name()}`;
      const kind = r.byte();
      if (kind !== 0x00) skipImportDesc(r, kind);
      else {
        const t = typeOf(r.u32());
        funcs.push(t);
        imports.set(key, t);
      }
    }
  }
  const functionSection = payload(SECTION_FUNCTION);
  if (functionSection) {
    const r = new Reader(functionSection);
    for (let n = r.u32(); n > 0; n--) funcs.push(typeOf(r.u32()));
  }
  const exports = new Map<string, FuncType>();
  const exportSection = payload(SECTION_EXPORT);
  if (exportSection) {
    const r = new Reader(exportSection);
    for (let n = r.u32(); n > 0; n--) {
      const name = r.name();
      const kind = r.byte();
      const index = r.u32();
      if (kind !== 0x00) continue;
      const t = funcs[index];
      if (!t) throw new WasmFormatError(`function index ${index} out of range`);
      exports.set(name, t);
    }
  }
  return { imports, exports };
}

function skipImportDesc(r: Reader, kind: number): void {
  if (kind === 0x00) r.u32();
  else if (kind === 0x01 || kind === 0x02) {
    if (kind === 0x01) r.byte();
    const flags = r.byte();
    r.u32();
    if (flags & 1) r.u32();
  } else if (kind === 0x03) {
    r.byte();
    r.byte();
  } else if (kind === 0x04) {
    r.byte();
    r.u32();
  } else throw new WasmFormatError(`unknown import kind ${kind}`);
}

/** An unsigned LEB128 encoding, as the binary format writes sizes and indices. */
export function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Append a custom section to a binary (a new array; the input is left alone). */
export function appendCustomSection(binary: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes];
  const header = [SECTION_CUSTOM, ...leb128(body.length + payload.length), ...body];
  const out = new Uint8Array(binary.length + header.length + payload.length);
  out.set(binary, 0);
  out.set(header, binary.length);
  out.set(payload, binary.length + header.length);
  return out;
}

/** Re-encode a list of sections into a binary: the inverse of readSections. */
export function encodeSections(sections: readonly Section[]): Uint8Array {
  return concat([new Uint8Array([...MAGIC, ...VERSION]), ...sections.flatMap(encodeSection)]);
}

// Payloads are copied as typed arrays: spreading them into number arrays made a large binary slow to edit.
function encodeSection(s: Section): Uint8Array[] {
  const name = new Uint8Array(s.id === SECTION_CUSTOM ? encodeName(s.name ?? "") : []);
  return [new Uint8Array([s.id, ...leb128(name.length + s.payload.length)]), name, s.payload];
}

/** The parts one after the other, in one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function encodeName(name: string): number[] {
  const bytes = new TextEncoder().encode(name);
  return [...leb128(bytes.length), ...bytes];
}

/**
 * Give the binary a module name in its "name" section (subsection 0), which V8 puts in the script URL of
 * every stack frame (wasm://wasm/NAME-hash): that is how a trap's frames are traced to their module.
 */
export function setModuleName(binary: Uint8Array, moduleName: string): Uint8Array {
  const sections = readSections(binary).map((s): Section => {
    if (s.id !== SECTION_CUSTOM || s.name !== "name") return s;
    const r = new Reader(s.payload);
    if (s.payload.length > 0 && r.byte() === 0) r.take(r.u32());
    else r.at = 0;
    const sub = encodeName(moduleName);
    return { id: s.id, name: s.name, payload: new Uint8Array([0, ...leb128(sub.length), ...sub, ...s.payload.subarray(r.at)]) };
  });
  return encodeSections(sections);
}

/** Rename a binary's exports (the export section only; custom sections that name them are the caller's). */
export function renameExports(binary: Uint8Array, rename: (name: string) => string): Uint8Array {
  const sections = readSections(binary).map((s): Section => {
    if (s.id !== SECTION_EXPORT) return s;
    const r = new Reader(s.payload);
    const out = [...leb128(r.u32())];
    while (r.at < s.payload.length) {
      const name = encodeName(rename(r.name()));
      const kind = r.byte();
      out.push(...name, kind, ...leb128(r.u32()));
    }
    return { id: s.id, payload: new Uint8Array(out) };
  });
  return encodeSections(sections);
}
