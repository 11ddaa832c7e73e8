// The load-time rewrite that bounds wasm code in time: a budget check at every loop header and non-leaf function entry.
//
// Why those places suffice: code without loops and calls runs each instruction of a function body at most once,
// since every branch goes forward except a branch to a loop, which goes back to the loop's start. So an execution
// that runs on and on either goes round a loop, passing that loop's start each time, or makes ever more calls (deep
// recursion, or a chain of tail calls that never ends), and every function on such a cycle contains a call. A check
// at each loop's start and at the entry of each function that contains a call (call, call_indirect, call_ref and
// their return_ forms) is met again within a bounded number of instructions, and a leaf function without a loop needs
// none: its own run is bounded by its size. (A bulk memory instruction is bounded by the memory's size; what an
// imported function does is the host's business.)
//
// The check counts a per-instance mutable global down and calls the tick import when it has run out; tick returns the
// new budget, or throws to stop the code. With a budget of N, tick is called at every Nth check, and at every check
// while it returns 1 or less; the global starts at 0, so the first check calls tick. A tick that throws leaves the
// budget as it was, so the next check calls tick again: a catch_all that swallows the exception cannot resume the
// loop for long. The module's own code cannot reach the budget: it is neither exported nor nameable (a global index
// past the binary's own globals, invalid before the rewrite, is refused rather than let through to name it).

import {
  encodeSections,
  importKinds,
  insertSection,
  leb128,
  Reader,
  readSections,
  SECTION,
  withModuleName,
  Writer,
  type Section,
} from "../../abi/wasm.js";

export interface InstrumentOptions {
  /** The import the budget check calls when the budget has run out: a function () -> i32 returning the new budget. */
  readonly tick: { readonly module: string; readonly name: string };
  /** The module name written into the name section (subsection 0), replacing whatever the file says (or adding a
   *  name section when there is none), so V8's stack frames read wasm://wasm/<moduleName>-<hash>. */
  readonly moduleName: string;
}

/** The binary with budget checks; throws WasmFormatError (abi/wasm.ts) naming the offset for anything malformed
 *  or any instruction it does not know. Never any other exception, whatever the bytes. */
export function instrument(bytes: Uint8Array, opts: InstrumentOptions): Uint8Array {
  const sections = readSections(bytes);
  const find = (id: number) => sections.find((s) => s.id === id);
  const typeCount = countTypes(find(SECTION.type));
  const imports = find(SECTION.import);
  const kinds = imports ? importKinds(readerOf(imports)) : [];
  const importedFuncs = kinds.filter((k) => k === 0).length;
  const globals = find(SECTION.global);
  const budget = kinds.filter((k) => k === 3).length + (globals ? readerOf(globals).u32() : 0);
  const edits = new Edits(importedFuncs, budget, budgetCheck(importedFuncs, budget));
  const appended = new Map<number, Uint8Array>([
    [SECTION.type, rewriteVector(find(SECTION.type), copyRest, TICK_TYPE)],
    [SECTION.import, rewriteVector(find(SECTION.import), copyRest, tickImport(opts.tick, typeCount))],
    [SECTION.global, rewriteVector(find(SECTION.global), (r, w) => global(r, w, edits), BUDGET_GLOBAL)],
  ]);
  let out = sections.map((s) => appended.get(s.id) ? { id: s.id, payload: appended.get(s.id)! } : rewrite(s, edits));
  for (const [id, payload] of appended) if (!find(id)) out = insertSection(out, { id, payload });
  return encodeSections(withModuleName(out, opts.moduleName, edits.renumber));
}

// The tick import's type, () -> i32, and the budget global: a mutable i32 initialised to 0.
const TICK_TYPE = Uint8Array.of(0x60, 0x00, 0x01, 0x7f);
const BUDGET_GLOBAL = Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b);

function tickImport(tick: InstrumentOptions["tick"], type: number): Uint8Array {
  const w = new Writer();
  for (const name of [tick.module, tick.name]) {
    const utf8 = new TextEncoder().encode(name);
    w.u32(utf8.length);
    w.bytes(utf8);
  }
  w.byte(0x00);
  w.u32(type);
  return w.result();
}

/**
 * The check: take one off the budget and go on while it is above 0, else call tick for a new one. Shaped
 * as a block left by `br_if` on the common path, because that measured cheapest in V8's optimised code
 * (about 0.1–0.3 ns a check on a loop whose body is one call, against 0.6–0.9 ns for the same test written
 * as an if/else that yields the new value): the rare call sits after the branch, out of the way. "> 0"
 * rather than "!= 0" keeps a tick that returns 0 or less from letting the counter run down through 2^32
 * checks. 21 bytes while both indices are below 128.
 */
function budgetCheck(tick: number, budget: number): Uint8Array {
  const g = leb128(budget);
  return Uint8Array.of(
    0x02, 0x40, //         block
    0x23, ...g, //           global.get $budget
    0x41, 0x01, //           i32.const 1
    0x6b, //                 i32.sub
    0x24, ...g, //           global.set $budget
    0x23, ...g, //           global.get $budget
    0x41, 0x00, //           i32.const 0
    0x4a, //                 i32.gt_s
    0x0d, 0x00, //           br_if 0
    0x10, ...leb128(tick), // call $tick
    0x24, ...g, //           global.set $budget
    0x0b, //               end
  );
}

function readerOf(s: Section): Reader {
  return new Reader(s.payload, s.offset);
}

/** How many types the type section defines; only function types (GC's are refused). */
function countTypes(s: Section | undefined): number {
  if (!s) return 0;
  const r = readerOf(s);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const at = r.at;
    const form = r.byte();
    const hex = form.toString(16);
    if (form !== 0x60) r.fail(GC_TYPES.has(form) ? `unsupported GC type form 0x${hex}` : `unknown type form 0x${hex}`, at);
    for (let params = 0; params < 2; params++) for (let m = r.u32(); m > 0; m--) r.valType();
  }
  if (r.at !== r.bytes.length) r.fail("type section longer than its entries");
  return n;
}

// rec, sub, sub final, struct, array.
const GC_TYPES = new Set([0x4e, 0x50, 0x4f, 0x5f, 0x5e]);

/** A vector section re-encoded: each entry through `entry`, then `extra` as one more entry. */
function rewriteVector(s: Section | undefined, entry: (r: Reader, w: Writer) => void, extra: Uint8Array): Uint8Array {
  const r = s ? readerOf(s) : new Reader(Uint8Array.of(0));
  const w = new Writer(r.bytes.length + extra.length + 5);
  const n = r.u32();
  w.u32(n + 1);
  for (let i = 0; i < n; i++) entry(r, w);
  if (r.at !== r.bytes.length) r.fail("section longer than its entries");
  w.bytes(extra);
  return w.result();
}

// For sections already checked and not changed: all of them at once.
function copyRest(r: Reader, w: Writer): void {
  w.bytes(r.bytes.subarray(r.at));
  r.at = r.bytes.length;
}

function rewrite(s: Section, edits: Edits): Section {
  const entry = ENTRY_REWRITES.get(s.id);
  if (entry) return { id: s.id, payload: rewriteEntries(readerOf(s), (r, w) => entry(r, w, edits)) };
  if (s.id === SECTION.start) return { id: s.id, payload: startSection(readerOf(s), edits) };
  return s;
}

function rewriteEntries(r: Reader, entry: (r: Reader, w: Writer) => void): Uint8Array {
  const w = new Writer(r.bytes.length + 64);
  const n = r.u32();
  w.u32(n);
  for (let i = 0; i < n; i++) entry(r, w);
  if (r.at !== r.bytes.length) r.fail("section longer than its entries");
  return w.result();
}

const ENTRY_REWRITES = new Map<number, (r: Reader, w: Writer, edits: Edits) => void>([
  [SECTION.table, table],
  [SECTION.export, exportEntry],
  [SECTION.element, element],
  [SECTION.code, functionBody],
]);

function startSection(r: Reader, edits: Edits): Uint8Array {
  const w = new Writer(6);
  w.u32(edits.renumber(r.u32()));
  if (r.at !== r.bytes.length) r.fail("start section longer than its function index");
  return w.result();
}

/** A table: its type, or 0x40 0x00, its type and an initialiser expression. */
function table(r: Reader, w: Writer, edits: Edits): void {
  const from = r.at;
  edits.clear();
  const init = r.bytes[r.at] === 0x40;
  if (init && r.take(2)[1] !== 0x00) r.fail("unknown table form", from);
  r.valType();
  r.limits();
  if (init) walk(r, edits);
  edits.emit(r.bytes, from, r.at, w);
}

function global(r: Reader, w: Writer, edits: Edits): void {
  const from = r.at;
  edits.clear();
  r.valType();
  r.byte();
  walk(r, edits);
  edits.emit(r.bytes, from, r.at, w);
}

function exportEntry(r: Reader, w: Writer, edits: Edits): void {
  const from = r.at;
  r.take(r.u32());
  const kind = r.byte();
  if (kind === 0x00) {
    w.bytes(r.bytes.subarray(from, r.at));
    w.u32(edits.renumber(r.u32()));
    return;
  }
  if (kind === 0x03) edits.globalIndex(r);
  else r.u32();
  w.bytes(r.bytes.subarray(from, r.at));
}

/**
 * An element segment, in any of its 8 forms. The flags: bit 0 passive or declarative, bit 1 an explicit table index
 * (when active) or declarative (when not), bit 2 expressions instead of function indices. A reference type or an
 * element kind follows the flags or offset except in forms 0 and 4.
 */
function element(r: Reader, w: Writer, edits: Edits): void {
  const from = r.at;
  edits.clear();
  const flags = r.u32();
  if (flags > 7) r.fail(`unknown element segment flags ${flags}`, from);
  if ((flags & 1) === 0) {
    if (flags & 2) r.u32();
    walk(r, edits);
  }
  const expressions = (flags & 4) !== 0;
  if (flags & 3) {
    const at = r.at;
    if (expressions) r.valType();
    else if (r.byte() !== 0x00) r.fail("unknown element kind", at);
  }
  for (let n = r.u32(); n > 0; n--) {
    if (expressions) walk(r, edits);
    else edits.functionIndex(r);
  }
  edits.emit(r.bytes, from, r.at, w);
}

/** A function body: its size, locals and code, with the check at its entry when it calls and in every loop. */
function functionBody(r: Reader, w: Writer, edits: Edits): void {
  const size = r.u32();
  const body = new Reader(r.take(size), r.base + r.at - size);
  for (let n = body.u32(); n > 0; n--) {
    body.u32();
    body.valType();
  }
  const code = body.at;
  edits.clear();
  walk(body, edits);
  if (body.at !== size) body.fail("function body goes on after its end");
  const entry = edits.calls ? edits.check.length : 0;
  w.u32(size + entry + edits.growth());
  w.bytes(body.bytes.subarray(0, code));
  if (entry) w.bytes(edits.check);
  edits.emit(body.bytes, code, size, w);
}

/**
 * What a pass over one expression changes: function indices to renumber and places to insert the check, in order of
 * position, and whether it calls. Reused from one expression to the next, so the pass allocates little.
 */
class Edits {
  private readonly at: number[] = [];
  private readonly end: number[] = [];
  /** The new function index, or CHECK_HERE. */
  private readonly value: number[] = [];
  calls = false;

  /** `budget` is the budget global's index: one past the binary's own globals. */
  constructor(private readonly importedFuncs: number, private readonly budget: number, readonly check: Uint8Array) {}

  /** The new index of a function: the tick import comes after the imported functions, before the defined ones. */
  readonly renumber = (index: number): number => (index < this.importedFuncs ? index : index + 1);

  clear(): void {
    this.at.length = this.end.length = this.value.length = 0;
    this.calls = false;
  }

  /** Read a function index at the reader, to be renumbered. */
  functionIndex(r: Reader): void {
    const at = r.at;
    const index = r.u32();
    if (index >= this.importedFuncs) this.add(at, r.at, index + 1);
  }

  /**
   * Read a global index, refusing one past the binary's own globals: invalid as the binary stands, it would name the
   * budget once the budget is added, and code that could set its own budget would escape the watchdog.
   */
  globalIndex(r: Reader): number {
    const at = r.at;
    const index = r.u32();
    return index < this.budget ? index : r.fail(`global index ${index} out of range`, at);
  }

  /** Insert the check at that position. */
  checkAt(at: number): void {
    this.add(at, at, CHECK_HERE);
  }

  /** How many bytes the edits add. */
  growth(): number {
    let n = 0;
    for (let i = 0; i < this.at.length; i++) {
      const v = this.value[i]!;
      n += (v === CHECK_HERE ? this.check.length : leb128(v).length) - (this.end[i]! - this.at[i]!);
    }
    return n;
  }

  /** Write bytes[from, to) with the edits made. */
  emit(bytes: Uint8Array, from: number, to: number, w: Writer): void {
    let pos = from;
    for (let i = 0; i < this.at.length; i++) {
      w.bytes(bytes.subarray(pos, this.at[i]));
      const v = this.value[i]!;
      if (v === CHECK_HERE) w.bytes(this.check);
      else w.u32(v);
      pos = this.end[i]!;
    }
    w.bytes(bytes.subarray(pos, to));
  }

  private add(at: number, end: number, value: number): void {
    this.at.push(at);
    this.end.push(end);
    this.value.push(value);
  }
}

const CHECK_HERE = -1;

// What follows an opcode, and what the walk does with it.
const UNKNOWN = 0;
const NONE = 1;
const BLOCK = 2; //          a block type; opens a block
const LOOP = 3; //           a block type; opens a block that gets the check
const TRY_TABLE = 4; //      a block type and catch clauses; opens a block
const END = 5; //            closes a block, or the expression
const DELEGATE = 6; //       a label; closes a try
const INDEX = 7; //          one u32 (label, local, table, tag, type, memory, data or element index)
const TWO_INDICES = 8;
const BR_TABLE = 9; //       a vector of labels and a default label
const CALL = 10; //          a function index, and a call
const REF_FUNC = 11; //      a function index
const CALL_INDIRECT = 12; // a type and a table index, and a call
const CALL_REF = 13; //      a type index, and a call
const MEMARG = 14; //        alignment (bit 6: a memory index follows), offset (64-bit for memory64)
const MEMARG_LANE = 15;
const LANE = 16;
const BYTES16 = 17; //       v128.const, i8x16.shuffle
const I32 = 18;
const I64 = 19;
const F32 = 20;
const F64 = 21;
const SELECT_TYPES = 22;
const HEAP_TYPE = 23;
const ZERO_BYTE = 24; //     atomic.fence
const GLOBAL = 25; //        a global index
// The prefixes come last: opcode() takes every kind from PREFIX_MISC on for one.
const PREFIX_MISC = 26; //   0xfc: saturating truncation, bulk memory and table ops
const PREFIX_SIMD = 27; //   0xfd
const PREFIX_ATOMIC = 28; // 0xfe: threads
const PREFIX_GC = 29; //     0xfb: refused

/** A table of immediate kinds by opcode, from [kind, first, last] ranges; unlisted opcodes are UNKNOWN. */
function opcodeTable(size: number, ranges: readonly (readonly [number, number, number?])[], holes: number[] = []): Uint8Array {
  const t = new Uint8Array(size);
  for (const [kind, first, last = first] of ranges) t.fill(kind, first, last + 1);
  for (const hole of holes) t[hole] = UNKNOWN;
  return t;
}

const OPCODES = opcodeTable(256, [
  [NONE, 0x00, 0x01], [BLOCK, 0x02], [LOOP, 0x03], [BLOCK, 0x04], [NONE, 0x05], [BLOCK, 0x06], // ... if else try
  [INDEX, 0x07, 0x09], [NONE, 0x0a], [END, 0x0b], // catch throw rethrow, throw_ref
  [INDEX, 0x0c, 0x0d], [BR_TABLE, 0x0e], [NONE, 0x0f], // br br_if br_table return
  [CALL, 0x10], [CALL_INDIRECT, 0x11], [CALL, 0x12], [CALL_INDIRECT, 0x13], [CALL_REF, 0x14, 0x15], // and return_ forms
  [DELEGATE, 0x18], [NONE, 0x19, 0x1b], [SELECT_TYPES, 0x1c], [TRY_TABLE, 0x1f], // catch_all drop select
  [INDEX, 0x20, 0x22], [GLOBAL, 0x23, 0x24], [INDEX, 0x25, 0x26], // locals, globals, table.get/set
  [MEMARG, 0x28, 0x3e], [INDEX, 0x3f, 0x40], //                      loads and stores, memory.size/grow
  [I32, 0x41], [I64, 0x42], [F32, 0x43], [F64, 0x44], [NONE, 0x45, 0xc4], // numeric, sign extension
  [HEAP_TYPE, 0xd0], [NONE, 0xd1], [REF_FUNC, 0xd2], // ref.null ref.is_null ref.func
  [NONE, 0xd4], [INDEX, 0xd5, 0xd6], //                 ref.as_non_null br_on_null br_on_non_null
  [PREFIX_GC, 0xfb], [PREFIX_MISC, 0xfc], [PREFIX_SIMD, 0xfd], [PREFIX_ATOMIC, 0xfe],
]);

const MISC = opcodeTable(18, [
  [NONE, 0, 7], [TWO_INDICES, 8], [INDEX, 9], [TWO_INDICES, 10], [INDEX, 11], // memory.init data.drop memory.copy memory.fill
  [TWO_INDICES, 12], [INDEX, 13], [TWO_INDICES, 14], [INDEX, 15, 17], //        table.init elem.drop table.copy grow size fill
]);

// 0x00-0x0b loads and stores, 0x15-0x22 extract and replace lane, 0x54-0x5b load and store lane, 0x5c-0x5d load zero;
// 0x100-0x113 relaxed SIMD; the holes are opcodes the proposal left unassigned.
const SIMD = opcodeTable(0x114, [
  [MEMARG, 0x00, 0x0b], [BYTES16, 0x0c, 0x0d], [NONE, 0x0e, 0x14], [LANE, 0x15, 0x22], [NONE, 0x23, 0x53],
  [MEMARG_LANE, 0x54, 0x5b], [MEMARG, 0x5c, 0x5d], [NONE, 0x5e, 0x113],
], [0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee]);

// notify, wait32, wait64; fence; atomic loads, stores, read-modify-writes and cmpxchgs.
const ATOMIC = opcodeTable(0x4f, [[MEMARG, 0x00, 0x02], [ZERO_BYTE, 0x03], [MEMARG, 0x10, 0x4e]]);

/** Read an opcode (with its prefix's sub-opcode) and return its kind; refuses what it does not know. */
function opcode(r: Reader): number {
  const at = r.at;
  const op = r.byte();
  const kind = OPCODES[op]!;
  if (kind === UNKNOWN) r.fail(`unknown opcode 0x${op.toString(16)}`, at);
  if (kind < PREFIX_MISC) return kind;
  if (kind === PREFIX_GC) r.fail(`unsupported GC instruction 0xfb ${r.u32()}`, at);
  const sub = r.u32();
  const subKind = (kind === PREFIX_MISC ? MISC : kind === PREFIX_SIMD ? SIMD : ATOMIC)[sub] ?? UNKNOWN;
  return subKind === UNKNOWN ? r.fail(`unknown opcode 0x${op.toString(16)} ${sub}`, at) : subKind;
}

/** Walk one expression (a function's code or a constant expression) to its final `end`, recording the edits. */
function walk(r: Reader, edits: Edits): void {
  let depth = 0;
  for (;;) {
    const at = r.at;
    const kind = opcode(r);
    if (kind === BLOCK || kind === LOOP || kind === TRY_TABLE) {
      r.blockType();
      if (kind === LOOP) edits.checkAt(r.at);
      if (kind === TRY_TABLE) catchClauses(r);
      depth++;
    } else if (kind === END) {
      if (depth-- === 0) return;
    } else if (kind === DELEGATE) {
      r.u32();
      if (depth-- === 0) r.fail("delegate outside a try", at);
    } else if (kind === GLOBAL) {
      edits.globalIndex(r);
    } else if (kind === CALL || kind === REF_FUNC) {
      edits.functionIndex(r);
      edits.calls ||= kind === CALL;
    } else {
      edits.calls ||= kind === CALL_INDIRECT || kind === CALL_REF;
      immediates(r, kind);
    }
  }
}

/** try_table's catch clauses: catch and catch_ref (a tag and a label), catch_all and catch_all_ref (a label). */
function catchClauses(r: Reader): void {
  for (let n = r.u32(); n > 0; n--) {
    const at = r.at;
    const clause = r.byte();
    if (clause > 3) r.fail(`unknown catch clause ${clause}`, at);
    if (clause < 2) r.u32();
    r.u32();
  }
}

/** Step over the immediates of an instruction that neither opens nor closes a block. */
function immediates(r: Reader, kind: number): void {
  switch (kind) {
    case INDEX: case CALL_REF: r.u32(); break;
    case TWO_INDICES: case CALL_INDIRECT: r.u32(); r.u32(); break;
    case BR_TABLE: for (let n = r.u32(); n >= 0; n--) r.u32(); break;
    case MEMARG: memarg(r); break;
    case MEMARG_LANE: memarg(r); r.byte(); break;
    case LANE: r.byte(); break;
    case BYTES16: r.take(16); break;
    case I32: r.skipLeb(5); break;
    case I64: r.skipLeb(10); break;
    case F32: r.take(4); break;
    case F64: r.take(8); break;
    case SELECT_TYPES: for (let n = r.u32(); n > 0; n--) r.valType(); break;
    case HEAP_TYPE: r.heapType(); break;
    case ZERO_BYTE: if (r.byte() !== 0) r.fail("atomic.fence without its zero byte", r.at - 1); break;
  }
}

function memarg(r: Reader): void {
  if (r.u32() & 0x40) r.u32();
  r.skipLeb(10);
}
