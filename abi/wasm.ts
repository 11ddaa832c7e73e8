// The WebAssembly binary format, as far as modules need it: sections, custom sections, the memory import.

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const VERSION = [0x01, 0x00, 0x00, 0x00];
/** The section ids. */
export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10,
  data: 11, dataCount: 12, tag: 13,
} as const;

/** Where each non-custom section may stand: in this order (the tag section sits between memory and global). */
const SECTION_ORDER = [
  SECTION.type, SECTION.import, SECTION.function, SECTION.table, SECTION.memory, SECTION.tag, SECTION.global,
  SECTION.export, SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data,
];
const SECTION_RANK = new Map<number, number>(SECTION_ORDER.map((id, i) => [id, i + 1]));

// Value types short of GC's: i32 i64 f32 f64 v128 funcref externref exnref; 0x63/0x64 (ref null? ht) take a heap type.
const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69]);
const REF_NULL = 0x63;
const REF = 0x64;
// Abstract heap types short of GC's: func, extern, exn.
const HEAP_TYPES = new Set([0x70, 0x6f, 0x69]);

/** A malformed binary; the message says where. */
export class WasmFormatError extends Error {}

export interface Section {
  readonly id: number;
  /** The custom section's name, for id 0. */
  readonly name?: string;
  /** The payload (after the custom name, for id 0). */
  readonly payload: Uint8Array;
  /** Where the payload starts in the file it was read from, for messages. */
  readonly offset?: number;
}

// One of each for the process: making a TextDecoder per name read was a measurable part of a cold insmod.
// A fatal decoder keeps no state between whole (non-streaming) decodes.
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });
const UTF8_ENCODER = new TextEncoder();

/** The text of UTF-8 bytes; null when they are not valid UTF-8 (a name in a binary must be). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return UTF8_DECODER.decode(bytes);
  } catch {
    return null;
  }
}

/** A cursor over a binary or a part of it; every read is bounds-checked and a failure names the file offset. */
export class Reader {
  at = 0;
  /** `base` is the offset of bytes[0] in the file, so that messages name file offsets. */
  constructor(readonly bytes: Uint8Array, readonly base = 0) {}

  /** Throw a WasmFormatError saying what is wrong and at which file offset (`at` is relative to this reader). */
  fail(what: string, at = this.at): never {
    throw new WasmFormatError(`${what} at offset ${this.base + at}`);
  }

  byte(): number {
    if (this.at >= this.bytes.length) this.fail("unexpected end");
    return this.bytes[this.at++]!;
  }

  u32(): number {
    // Most indices and sizes are one byte: read without the loop.
    const b = this.bytes[this.at];
    if (b !== undefined && b < 0x80) {
      this.at++;
      return b;
    }
    const start = this.at;
    let result = 0;
    for (let scale = 1; scale < 2 ** 35; scale *= 128) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result > 0xffffffff ? this.fail("integer too large", start) : result;
    }
    return this.fail("LEB128 too long", start);
  }

  /** Step over a LEB128 number (signed or not) of at most `maxBytes` bytes: 5 for 32 bits, 10 for 64. */
  skipLeb(maxBytes: number): void {
    for (let n = 0; n < maxBytes; n++) if ((this.byte() & 0x80) === 0) return;
    this.fail("LEB128 too long");
  }

  /** A signed 33-bit LEB128 (a block type or heap type index). */
  s33(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return b & 0x40 ? result - 2 ** (shift + 7) : result;
    }
    return this.fail("LEB128 too long");
  }

  take(n: number): Uint8Array {
    if (this.at + n > this.bytes.length) this.fail(`length ${n} runs past the end`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  name(): string {
    const at = this.at;
    const name = decodeUtf8(this.take(this.u32()));
    return name ?? this.fail("malformed UTF-8 name", at);
  }

  /** A value type: a number type, v128, or a reference type. */
  valType(): void {
    const at = this.at;
    const b = this.byte();
    if (b === REF_NULL || b === REF) this.heapType();
    else if (!VALUE_TYPES.has(b)) this.fail(`unknown value type 0x${b.toString(16)}`, at);
  }

  /** A heap type: an abstract one or a type index. */
  heapType(): void {
    const at = this.at;
    if (HEAP_TYPES.has(this.bytes[at]!)) this.at++;
    else if (this.s33() < 0) this.fail("unknown heap type", at);
  }

  /** A block type: empty (0x40), one value type, or a type index. */
  blockType(): void {
    const at = this.at;
    const b = this.bytes[at]!;
    if (b === 0x40) this.at++;
    else if (b === REF_NULL || b === REF || VALUE_TYPES.has(b)) this.valType();
    else if (this.s33() < 0) this.fail("unknown block type", at);
  }

  /** Table or memory limits: flags (1 a maximum follows, 2 shared, 4 64-bit), minimum, maximum. */
  limits(): void {
    const at = this.at;
    const flags = this.byte();
    if (flags > 7) this.fail(`unknown limits flags 0x${flags.toString(16)}`, at);
    const width = flags & 4 ? 10 : 5;
    this.skipLeb(width);
    if (flags & 1) this.skipLeb(width);
  }
}

/**
 * Split a binary into its sections, checking the header, every section's bounds and name, and that the
 * known sections come in the format's order and once each. Throws WasmFormatError saying where.
 */
export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw new WasmFormatError("bad magic number");
  if (VERSION.some((b, i) => bytes[4 + i] !== b)) throw new WasmFormatError("unsupported version");
  const r = new Reader(bytes);
  r.at = 8;
  const sections: Section[] = [];
  let last = 0;
  while (r.at < bytes.length) {
    const start = r.at;
    const id = r.byte();
    const size = r.u32();
    const body = new Reader(r.take(size), r.at - size);
    if (id !== SECTION.custom) {
      const rank = SECTION_RANK.get(id);
      if (rank === undefined) throw new WasmFormatError(`unknown section id ${id} at offset ${start}`);
      if (rank <= last) throw new WasmFormatError(`section ${id} out of order or repeated at offset ${start}`);
      last = rank;
      sections.push({ id, payload: body.bytes, offset: body.base });
      continue;
    }
    const name = body.name();
    sections.push({ id, name, payload: body.bytes.subarray(body.at), offset: body.base + body.at });
  }
  return sections;
}

/** The payloads of every custom section of that name, in file order. */
export function customSections(sections: readonly Section[], name: string): Uint8Array[] {
  return sections.filter((s) => s.id === SECTION.custom && s.name === name).map((s) => s.payload);
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
  const section = sections.find((s) => s.id === SECTION.import);
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
  const section = sections.find((s) => s.id === SECTION.table);
  if (!section) return [];
  const r = new Reader(section.payload);
  const tables: TableType[] = [];
  for (let n = r.u32(); n > 0; n--) {
    // funcref or externref with plain limits: what capTables can write back. Typed references, a table
    // initialiser (0x40 0x00) or 64-bit limits are refused rather than re-encoded wrongly.
    const at = r.at;
    const refType = r.byte();
    if (refType !== 0x70 && refType !== 0x6f) r.fail(`unsupported table type 0x${refType.toString(16)}`, at);
    const flags = r.byte();
    if (flags > 1) r.fail(`unsupported table limits flags 0x${flags.toString(16)}`, at + 1);
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
    if (s.id !== SECTION.table) return s;
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
  const typeSection = payload(SECTION.type);
  if (typeSection) {
    const r = new Reader(typeSection);
    const vec = () => Array.from(r.take(r.u32()));
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
  const importSection = payload(SECTION.import);
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
  const functionSection = payload(SECTION.function);
  if (functionSection) {
    const r = new Reader(functionSection);
    for (let n = r.u32(); n > 0; n--) funcs.push(typeOf(r.u32()));
  }
  const exports = new Map<string, FuncType>();
  const exportSection = payload(SECTION.export);
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

/** The import kinds (0 function, 1 table, 2 memory, 3 global, 4 tag) of an import section, in order; an import
 *  from the module named `reserved` is refused. */
export function importKinds(r: Reader, reserved?: string): number[] {
  const kinds: number[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const at = r.at;
    const module = r.take(r.u32());
    const name = r.take(r.u32());
    if (reserved !== undefined && module.length === reserved.length && decodeUtf8(module) === reserved) {
      r.fail(`import ${decodeUtf8(module)}.${decodeUtf8(name)}: module ${decodeUtf8(module)} is the kernel's`, at);
    }
    const kind = r.byte();
    skipImportDesc(r, kind);
    kinds.push(kind);
  }
  if (r.at !== r.bytes.length) r.fail("import section longer than its entries");
  return kinds;
}

function skipImportDesc(r: Reader, kind: number): void {
  if (kind === 0x00) r.u32();
  else if (kind === 0x01) {
    r.valType();
    r.limits();
  } else if (kind === 0x02) r.limits();
  else if (kind === 0x03) {
    r.valType();
    r.byte();
  } else if (kind === 0x04) {
    r.byte();
    r.u32();
  } else r.fail(`unknown import kind ${kind}`, r.at - 1);
}

/** The list with the (non-custom) section put where the format wants it: before the first section that follows it. */
export function insertSection(sections: readonly Section[], section: Section): Section[] {
  const rank = SECTION_RANK.get(section.id)!;
  const at = sections.findIndex((s) => s.id !== SECTION.custom && SECTION_RANK.get(s.id)! > rank);
  return at < 0 ? [...sections, section] : [...sections.slice(0, at), section, ...sections.slice(at)];
}

/** The unsigned LEB128 encoding of n. */
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
  const nameBytes = UTF8_ENCODER.encode(name);
  const body = [...leb128(nameBytes.length), ...nameBytes];
  const header = [SECTION.custom, ...leb128(body.length + payload.length), ...body];
  const out = new Uint8Array(binary.length + header.length + payload.length);
  out.set(binary, 0);
  out.set(header, binary.length);
  out.set(payload, binary.length + header.length);
  return out;
}

/** Re-encode a list of sections into a binary: the inverse of readSections. */
export function encodeSections(sections: readonly Section[]): Uint8Array {
  // Written once into an array of the exact size: payloads are copied as typed arrays (spreading them into
  // number arrays made a large binary slow to edit), and nothing else is made per section but a custom name.
  const names = sections.map((s) => (s.id === SECTION.custom ? UTF8_ENCODER.encode(s.name ?? "") : undefined));
  let size = MAGIC.length + VERSION.length;
  sections.forEach((s, i) => {
    const length = sectionLength(s, names[i]);
    size += 1 + lebLength(length) + length;
  });
  const w = new Writer(size);
  w.bytes(HEADER);
  sections.forEach((s, i) => {
    const name = names[i];
    w.byte(s.id);
    w.u32(sectionLength(s, name));
    if (name) {
      w.u32(name.length);
      w.bytes(name);
    }
    w.bytes(s.payload);
  });
  return w.result();
}

const HEADER = Uint8Array.from([...MAGIC, ...VERSION]);

/** A section's size as written: its payload, after its name's length and bytes for a custom section. */
function sectionLength(s: Section, name: Uint8Array | undefined): number {
  return s.payload.length + (name ? lebLength(name.length) + name.length : 0);
}

/** How many bytes the unsigned LEB128 of n takes. */
function lebLength(n: number): number {
  let bytes = 1;
  for (; n >= 0x80; n = Math.floor(n / 128)) bytes++;
  return bytes;
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

/** A vector as the format writes it: its length, then the items (for binaries assembled by hand). */
export function encodeVec(items: readonly (readonly number[])[]): number[] {
  return [...leb128(items.length), ...items.flat()];
}

/** A section of the given bytes. */
export function rawSection(id: number, payload: readonly number[]): Section {
  return { id, payload: new Uint8Array(payload) };
}

/** An export section's entry for function `index`. */
export function encodeFuncExport(name: string, index: number): number[] {
  return [...encodeName(name), 0, ...leb128(index)];
}

/** A name as the format writes it: its UTF-8 length, then its bytes. */
export function encodeName(name: string): number[] {
  const bytes = UTF8_ENCODER.encode(name);
  return [...leb128(bytes.length), ...bytes];
}

/**
 * Give the binary a module name in its "name" section (subsection 0), adding the section if there is none: V8 puts
 * that name in the script URL of every stack frame (wasm://wasm/NAME-hash), which is how a trap's frames are traced
 * to their module.
 */
export function setModuleName(binary: Uint8Array, moduleName: string): Uint8Array {
  return encodeSections(withModuleName(readSections(binary), moduleName));
}

/** The sections with every name section renamed as `nameSection` does (a name section added if there is none). */
export function withModuleName(sections: readonly Section[], moduleName: string, renumberTables?: Renumber): Section[] {
  const isNames = (s: Section) => s.id === SECTION.custom && s.name === "name";
  const rename = (s: Section | undefined): Section =>
    ({ id: SECTION.custom, name: "name", payload: nameSection(s, moduleName, renumberTables) });
  return sections.some(isNames) ? sections.map((s) => (isNames(s) ? rename(s) : s)) : [...sections, rename(undefined)];
}

/** A map from old table indices to new ones. */
type Renumber = (index: number) => number;

// The extended name section's table names.
const TABLE_NAMES = 5;

/**
 * A name section's payload (a new one for undefined) with moduleName as its module name (subsection 0), and the
 * table indices of its table names mapped through `renumberTables`; the other subsections are kept as they are.
 */
function nameSection(section: Section | undefined, moduleName: string, renumberTables?: Renumber): Uint8Array {
  const w = new Writer();
  const sub = encodeName(moduleName);
  w.byte(0);
  w.u32(sub.length);
  w.bytes(Uint8Array.from(sub));
  const r = new Reader(section?.payload ?? new Uint8Array(0), section?.offset);
  while (r.at < r.bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const body = new Reader(r.take(size), r.base + r.at - size);
    if (id === 0) continue;
    const payload = renumberTables && id === TABLE_NAMES ? renumberNameMap(body, renumberTables) : body.bytes;
    w.byte(id);
    w.u32(payload.length);
    w.bytes(payload);
  }
  return w.result();
}

// A name map, renumbered.
function renumberNameMap(r: Reader, renumber: Renumber): Uint8Array {
  const w = new Writer(r.bytes.length + 16);
  let n = r.u32();
  w.u32(n);
  for (; n > 0; n--) {
    w.u32(renumber(r.u32()));
    const from = r.at;
    r.take(r.u32());
    w.bytes(r.bytes.subarray(from, r.at));
  }
  if (r.at !== r.bytes.length) r.fail("name subsection longer than its entries");
  return w.result();
}

/** A growable byte buffer to encode into. */
export class Writer {
  private buf: Uint8Array;
  private length = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  u32(n: number): void {
    this.room(5);
    // Unsigned LEB128 written in place: leb128()'s array per number was most of an instrumented load's garbage.
    while (n >= 0x80) {
      this.buf[this.length++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.length++] = n;
  }

  /** Signed LEB128 of an i32 (an i32.const's immediate). */
  s32(n: number): void {
    this.room(5);
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      const last = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
      this.buf[this.length++] = last ? b : b | 0x80;
      if (last) return;
    }
  }

  bytes(part: Uint8Array): void {
    this.copy(part, 0, part.length);
  }

  /** bytes(src.subarray(from, to)) without making the view when it is short, as most runs copied between edits are:
   *  a short loop is cheaper than set(), whose fixed cost dominates a few bytes. */
  copy(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.room(n);
    if (n <= 32) for (let i = 0; i < n; i++) this.buf[this.length + i] = src[from + i]!;
    else this.buf.set(from === 0 && to === src.length ? src : src.subarray(from, to), this.length);
    this.length += n;
  }

  /** Start again, keeping the buffer: for scratch writers reused from one entry to the next. */
  reset(): void {
    this.length = 0;
  }

  /** What has been written (a view, not a copy). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
}

/** Rename a binary's exports (the export section only; custom sections that name them are the caller's). */
export function renameExports(binary: Uint8Array, rename: (name: string) => string): Uint8Array {
  const sections = readSections(binary).map((s): Section => {
    if (s.id !== SECTION.export) return s;
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
