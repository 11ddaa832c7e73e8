// The load-time rewrite that bounds wasm code in time: a budget check at every loop header and at the entry of every
// function that calls or is longer than LEAF_MAX, each charging the code that can run before the next check.
//
// Why those places suffice: code without loops and calls runs each instruction of a function body at most once,
// since every branch goes forward except a branch to a loop, which goes back to the loop's start. So an execution
// that runs on and on either goes round a loop, passing that loop's start each time, or makes ever more calls (deep
// recursion, a call tree that doubles at each level, or a chain of tail calls that never ends), and every function on
// such a cycle contains a call. Entry checks are needed for those: a function that calls f twice, and f that calls g
// twice, and so on, run 2^depth calls without a loop. A function without calls needs none below LEAF_MAX bytes: its
// run outside its loops is bounded by its size, which each call of it charges instead.
//
// What a check charges, in bytes of code: a loop's header its body, plus what the body's calls (the callee's code
// for a small leaf of this module, LEAF_MAX for anything else) and its bulk memory instructions (BULK_CHARGE) may run;
// a function's entry its code, plus the same for its calls. Between two checks, then, no more code runs than the
// first of them charged, and between two ticks no more than the budget tick handed out (plus what the host does).
//
// Fewer checks on the hot path: an innermost loop with a small body has its body copied up to UNROLL_MAX times inside
// it (Edits.unroll), so that its one check, charging all the copies, comes once every that many iterations: in V8,
// any instruction added to a loop of one call costs about as much as the call's own overhead, so only fewer checks
// make the cost small.
//
// The check compares a per-instance mutable global with its charge, takes the charge off, and when too little is
// left calls tick, which returns the new budget or throws to stop the code. The global starts at 0, so the first
// check calls tick. A tick that throws leaves the budget as it was, so the next check calls tick again: a catch_all
// that swallows the exception cannot resume the loop for long. The module's own code cannot reach the budget: it is
// neither exported nor nameable (a global index past the binary's own globals, invalid before the rewrite, is
// refused rather than let through to name it).
//
// tick is reached through an imported table of one entry (tickTable() makes it), with call_indirect, rather than as
// a function import: V8 11.3 (Node 20) compiles a wasm-to-JS wrapper for every imported function signature into
// each module it compiles, about 0.06 ms apiece, and ticks are rare. The table import comes after the binary's own
// imports, so it is the table after the imported ones and the defined tables move up by one: every table index
// in the code, the element segments and the exports is renumbered, and the binary's own code cannot name it
// (an index past the binary's tables, invalid before, stays past them after). A binary that imports anything
// from the tick's module itself is refused, so that no code holds the table it could write.

import {
  encodeName,
  encodeSections,
  encodeVec,
  importKinds,
  insertSection,
  leb128,
  Reader,
  rawSection,
  readSections,
  SECTION,
  withModuleName,
  Writer,
  type Section,
} from "../../abi/wasm.js";

export interface InstrumentOptions {
  /** The import through which the budget check calls tick when the budget has run out: a funcref table of one
   *  entry (tickTable()), a function () -> i32 returning the new budget. No import of the binary's may come from
   *  the same module. */
  readonly tick: { readonly module: string; readonly name: string };
  /** The module name written into the name section (subsection 0), replacing whatever the file says (or adding a
   *  name section when there is none), so V8's stack frames read wasm://wasm/<moduleName>-<hash>. */
  readonly moduleName: string;
}

/** The binary with budget checks; throws WasmFormatError (abi/wasm.ts) naming the offset for anything malformed
 *  or any instruction it does not know. Never any other exception, whatever the bytes. */
export function instrument(bytes: Uint8Array, opts: InstrumentOptions): Uint8Array {
  return instrumentSections(readSections(bytes), opts);
}

/** instrument() of a binary already split by readSections, as the loader has it: not read again. */
export function instrumentSections(sections: readonly Section[], opts: InstrumentOptions): Uint8Array {
  const find = (id: number) => sections.find((s) => s.id === id);
  const typeCount = countTypes(find(SECTION.type));
  const imports = find(SECTION.import);
  const kinds = imports ? importKinds(readerOf(imports), opts.tick.module) : [];
  const importedFuncs = kinds.filter((k) => k === 0).length;
  const globals = find(SECTION.global);
  const budget = kinds.filter((k) => k === 3).length + (globals ? readerOf(globals).u32() : 0);
  // The tick table comes right after the imported tables: its index is their count.
  const tickTable = kinds.filter((k) => k === 1).length;
  const edits = new Edits(importedFuncs, budget, typeCount, tickTable, bodySizes(find(SECTION.code)));
  const appended = new Map<number, Uint8Array>([
    [SECTION.type, rewriteVector(find(SECTION.type), copyRest, TICK_TYPE)],
    [SECTION.import, rewriteVector(find(SECTION.import), copyRest, tickImport(opts.tick))],
    [SECTION.global, rewriteVector(find(SECTION.global), (r, w) => global(r, w, edits), BUDGET_GLOBAL)],
  ]);
  let out = sections.map((s) => appended.get(s.id) ? { id: s.id, payload: appended.get(s.id)! } : rewrite(s, edits));
  for (const [id, payload] of appended) if (!find(id)) out = insertSection(out, { id, payload });
  return encodeSections(withModuleName(out, opts.moduleName, edits.renumberTable));
}

// tick's type, () -> i32, and the budget global: a mutable i32 initialised to 0.
const TICK_TYPE = Uint8Array.of(0x60, 0x00, 0x01, 0x7f);
const BUDGET_GLOBAL = Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b);
// The tick table's type: funcref, exactly one entry.
const TICK_TABLE_TYPE = Uint8Array.of(0x01, 0x70, 0x01, 0x01, 0x01);

const UTF8 = new TextEncoder();

function tickImport(tick: InstrumentOptions["tick"]): Uint8Array {
  const w = new Writer();
  for (const name of [tick.module, tick.name]) {
    const utf8 = UTF8.encode(name);
    w.u32(utf8.length);
    w.bytes(utf8);
  }
  w.bytes(TICK_TABLE_TYPE);
  return w.result();
}

/**
 * The table tick is called through: of the funcref type the import names, its one entry `tick`. A table can
 * hold only wasm functions, so `tick` goes in as the import of a small binary that puts it there (compiled once);
 * calling it costs a wasm-to-JS wrapper compiled into that binary instead of into every module.
 */
export function tickTable(tick: () => number): WebAssembly.Table {
  tickHolder ??= new WebAssembly.Module(TICK_HOLDER as Uint8Array<ArrayBuffer>);
  return new WebAssembly.Instance(tickHolder, { tick: { tick } }).exports["table"] as WebAssembly.Table;
}

let tickHolder: WebAssembly.Module | undefined;

// (module (import "tick" "tick" (func (result i32))) (table (export "table") 1 1 funcref) (elem (i32.const 0) 0))
const TICK_HOLDER = encodeSections([
  rawSection(SECTION.type, encodeVec([[...TICK_TYPE]])),
  rawSection(SECTION.import, encodeVec([[...encodeName("tick"), ...encodeName("tick"), 0x00, 0x00]])),
  rawSection(SECTION.table, encodeVec([[...TICK_TABLE_TYPE.subarray(1)]])),
  rawSection(SECTION.export, encodeVec([[...encodeName("table"), 0x01, 0x00]])),
  rawSection(SECTION.element, encodeVec([[0x00, 0x41, 0x00, 0x0b, ...encodeVec([[0x00]])]])),
]);

/**
 * The check: take `charge` off the budget when more than that is left, else off a new budget from tick. The
 * budget is compared before it is changed, so a tick that throws leaves it as it was and the next check calls
 * tick again, however often a catch_all swallows the exception: the budget never runs down past 0 (nor wraps).
 * Shaped as blocks left by branches, the common path straight through: measured cheaper in V8's optimised code
 * than an if/else that yields the new value (the rare call sits after the branch, out of the way).
 *
 * Made once per binary as the four runs of bytes between the three `i32.const charge`, so that writing a check is
 * seven appends and no allocation.
 */
function budgetCheck(tickType: number, tickTable: number, budget: number): readonly Uint8Array[] {
  const g = leb128(budget);
  return [
    Uint8Array.of(
      0x02, 0x40, //           block
      0x02, 0x40, //             block
      0x23, ...g, //               global.get $budget
      0x41, //                     i32.const charge
    ),
    Uint8Array.of(
      0x4c, //                     i32.le_s
      0x0d, 0x00, //               br_if 0
      0x23, ...g, //               global.get $budget
      0x41, //                     i32.const charge
    ),
    Uint8Array.of(
      0x6b, //                     i32.sub
      0x24, ...g, //               global.set $budget
      0x0c, 0x01, //               br 1
      0x0b, //                   end
      0x41, 0x00, //             i32.const 0
      0x11, ...leb128(tickType), ...leb128(tickTable), // call_indirect $tick (type () -> i32)
      0x41, //                   i32.const charge
    ),
    Uint8Array.of(
      0x6b, //                   i32.sub
      0x24, ...g, //             global.set $budget
      0x0b, //                 end
    ),
  ];
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
  return entry ? { id: s.id, payload: rewriteEntries(readerOf(s), (r, w) => entry(r, w, edits)) } : s;
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
  if (kind === 0x01) {
    w.bytes(r.bytes.subarray(from, r.at));
    w.u32(edits.renumberTable(r.u32()));
    return;
  }
  if (kind === 0x03) edits.globalIndex(r);
  else r.u32();
  w.bytes(r.bytes.subarray(from, r.at));
}

/**
 * An element segment, in any of its 8 forms. The flags: bit 0 passive or declarative, bit 1 an explicit table index
 * (when active) or declarative (when not), bit 2 expressions instead of function indices. A reference type or an
 * element kind follows the flags or offset except in forms 0 and 4, which name table 0 without saying so: when
 * table 0 moves up, they are written as forms 2 and 6, naming it, with funcref's element kind or type.
 */
function element(r: Reader, w: Writer, edits: Edits): void {
  const from = r.at;
  const flags = r.u32();
  if (flags > 7) r.fail(`unknown element segment flags ${flags}`, from);
  const active = (flags & 1) === 0;
  const named = (flags & 2) !== 0;
  const expressions = (flags & 4) !== 0;
  const table = active ? edits.renumberTable(named ? r.u32() : 0) : 0;
  const implicit = active && !named && table !== 0;
  w.u32(implicit ? flags | 2 : flags);
  if (active && (named || implicit)) w.u32(table);
  edits.clear();
  if (active) {
    const offset = r.at;
    walk(r, edits);
    edits.emit(r.bytes, offset, r.at, w);
    edits.clear();
  }
  if (implicit) w.byte(expressions ? 0x70 : 0x00);
  const items = r.at;
  if (flags & 3) {
    if (expressions) r.valType();
    else if (r.byte() !== 0x00) r.fail("unknown element kind", items);
  }
  for (let n = r.u32(); n > 0; n--) {
    if (expressions) walk(r, edits);
    else r.u32();
  }
  edits.emit(r.bytes, items, r.at, w);
}

/** A function body: its size, locals and code, with the check at its entry when it needs one and in every loop. */
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
  const out = edits.body;
  out.reset();
  out.bytes(body.bytes.subarray(0, code));
  if (edits.calls || size - code > LEAF_MAX) edits.check(size - code + edits.charged, out);
  edits.emit(body.bytes, code, size, out);
  const bytes = out.result();
  w.u32(bytes.length);
  w.bytes(bytes);
}

/** The sizes of the defined functions' bodies, in order. */
function bodySizes(s: Section | undefined): number[] {
  if (!s) return [];
  const r = readerOf(s);
  const sizes: number[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const size = r.u32();
    r.take(size);
    sizes.push(size);
  }
  return sizes;
}

// What the budget counts: bytes of code run, roughly. Each check charges what can run before the next check
// comes: a loop's header charges its body, a function's entry its code; code run between the two is charged in
// advance by the check before it, and a call's callee either charges itself or is charged by the call.

/** A function that calls, or whose code is longer than this, charges itself at its entry; a smaller leaf is charged
 *  by every call of it. Also the charge of a call whose callee is not known here (an import, call_indirect,
 *  call_ref): an instrumented callee is one or the other, and a host function is the kernel's business. */
const LEAF_MAX = 1024;
/** A bulk memory or table instruction (copy, fill, init, grow) moves up to a whole memory (a module's is at most
 *  32 MiB: a few milliseconds), but mostly a few bytes: charged as 256 KiB of code, so 64 of them fill a budget. */
const BULK_CHARGE = 1 << 18;
/** The largest charge written, so it fits an i32.const: past the budget, a charge only means tick at every check. */
const CHARGE_MAX = 1 << 30;
/** An innermost loop's body is copied so that the copies come to at most this many bytes... */
const UNROLL_BYTES = 256;
/** ... and at most this many copies: the check then comes once every that many iterations. */
const UNROLL_MAX = 8;

/** A loop of the expression being walked: where it is, what one iteration is charged, and how many copies it gets. */
interface Loop {
  readonly at: number; //          the loop opcode
  readonly bodyFrom: number; //    past its block type
  endAt: number; //                its end opcode
  readonly firstEdit: number; //   its check's edit
  lastEdit: number; //             one past its last edit
  readonly chargedBefore: number; // the expression's charges when the loop began
  readonly depth: number; //       how many blocks are open around it
  readonly outer: number; //       the innermost loop around it, or -1
  weight: number;
  copies: number;
  /** No loop inside, no params, no exception handling and no br_on_* (whose labels the copies would not adjust). */
  unrollable: boolean;
}

// What unroll writes around the copies: block (empty type); br 2, end; end, end.
const BLOCK_EMPTY = Uint8Array.of(0x02, 0x40);
const BR_OUT_END = Uint8Array.of(0x0c, 0x02, 0x0b);
const END_END = Uint8Array.of(0x0b, 0x0b);

// Edit kinds.
const RENUMBER = 0; // a table index: write `value` instead
const CHECK = 1; //    a loop's check: `value` is the loop
const LABEL = 2; //    a branch label inside a loop that may be unrolled: `value`, `inside` blocks deep in the loop

/**
 * What a pass over one expression changes: table indices to renumber, places to insert the check, branch labels
 * that unrolling adjusts, in order of position; its loops; whether it calls and what it charges beyond its size.
 * Reused from one expression to the next, so the pass allocates little.
 */
class Edits {
  private readonly at: number[] = [];
  private readonly end: number[] = [];
  private readonly kind: number[] = [];
  private readonly value: number[] = [];
  private readonly inside: number[] = [];
  /** How many edits the arrays above hold: they are overwritten, not emptied, from one expression to the next. */
  private count = 0;
  private readonly loops: Loop[] = [];
  /** For each open block: its loop's index, or -1. */
  private readonly blocks: number[] = [];
  private innermost = -1;
  calls = false;
  /** What calls and bulk instructions charge, beyond the code's size. */
  charged = 0;
  /** Where a function body is rewritten before its new size is known; reused from one body to the next. */
  readonly body = new Writer(4096);
  private readonly checkParts: readonly Uint8Array[];

  /** `budget` is the budget global's index (one past the binary's own globals), `tickType` tick's type index (one
   *  past the binary's types), `tickTable` the tick table's index (one past the imported tables), `sizes` the sizes
   *  of the defined functions' bodies. */
  constructor(
    private readonly importedFuncs: number,
    private readonly budget: number,
    tickType: number,
    private readonly tickTable: number,
    private readonly sizes: readonly number[],
  ) {
    this.checkParts = budgetCheck(tickType, tickTable, budget);
    this.oneByteGlobals = Math.min(0x80, budget);
  }

  /** The globals below this index walk steps over without a check: those the budget check allows, in one byte. */
  readonly oneByteGlobals: number;

  /** The new index of a table: the tick table comes after the imported tables, before the defined ones. */
  readonly renumberTable = (index: number): number => (index < this.tickTable ? index : index + 1);

  clear(): void {
    this.count = 0;
    // Most expressions have no loop, and their blocks are all closed: setting a length costs even when it is 0.
    if (this.loops.length > 0) this.loops.length = 0;
    if (this.blocks.length > 0) this.blocks.length = 0;
    this.innermost = -1;
    this.calls = false;
    this.charged = 0;
  }

  /** Write the budget check charging `charge`. */
  check(charge: number, w: Writer): void {
    const c = Math.min(charge, CHARGE_MAX);
    const parts = this.checkParts;
    w.bytes(parts[0]!);
    w.s32(c);
    w.bytes(parts[1]!);
    w.s32(c);
    w.bytes(parts[2]!);
    w.s32(c);
    w.bytes(parts[3]!);
  }

  /** Read a table index at the reader, to be renumbered. */
  tableIndex(r: Reader): void {
    const at = r.at;
    const index = r.u32();
    if (index >= this.tickTable) this.add(at, r.at, RENUMBER, index + 1, 0);
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

  /** A call of that function (or of an unknown one, for -1): charged with the callee's code when it is a leaf. */
  call(callee: number): void {
    this.calls = true;
    const size = callee >= this.importedFuncs ? this.sizes[callee - this.importedFuncs] : undefined;
    this.charged += Math.min(size ?? LEAF_MAX, LEAF_MAX);
  }

  bulk(): void {
    this.charged += BULK_CHARGE;
  }

  /** Read a branch label; inside a loop that may be unrolled, the copies adjust it. */
  label(r: Reader): void {
    const at = r.at;
    const label = r.u32();
    const loop = this.loops[this.innermost];
    if (loop?.unrollable) this.add(at, r.at, LABEL, label, this.blocks.length - 1 - loop.depth);
  }

  /** An instruction the copies of a loop could not carry: the innermost loop is not unrolled. */
  keepLoop(): void {
    const loop = this.loops[this.innermost];
    if (loop) loop.unrollable = false;
  }

  /** A block opens: a loop (its opcode at `at`, its body from `bodyFrom`) or, for at = -1, any other block. */
  open(at: number, bodyFrom: number, plainType: boolean): void {
    if (at < 0) {
      this.blocks.push(-1);
      return;
    }
    this.keepLoop();
    const index = this.loops.length;
    this.loops.push({
      at, bodyFrom, endAt: 0, firstEdit: this.count, lastEdit: 0, chargedBefore: this.charged,
      depth: this.blocks.length, outer: this.innermost, weight: 0, copies: 1, unrollable: plainType,
    });
    this.add(bodyFrom, bodyFrom, CHECK, index, 0);
    this.blocks.push(index);
    this.innermost = index;
  }

  /** A block closes at `endAt`; false when none is open (the expression ends). */
  close(endAt: number): boolean {
    const index = this.blocks.pop();
    if (index === undefined) return false;
    if (index < 0) return true;
    const loop = this.loops[index]!;
    const size = endAt - loop.bodyFrom;
    loop.endAt = endAt;
    loop.lastEdit = this.count;
    loop.weight = size + this.charged - loop.chargedBefore;
    if (loop.unrollable) loop.copies = Math.max(1, Math.min(UNROLL_MAX, Math.floor(UNROLL_BYTES / Math.max(size, 1))));
    this.innermost = loop.outer;
    return true;
  }

  /** Write bytes[from, to) with the edits made. */
  emit(bytes: Uint8Array, from: number, to: number, w: Writer): void {
    this.emitRange(bytes, from, to, w, 0, this.count, 0);
  }

  /** Write bytes[from, to) with edits first to last made, labels escaping their loop moved out by `shift` blocks. */
  private emitRange(bytes: Uint8Array, from: number, to: number, w: Writer, first: number, last: number, shift: number): void {
    let pos = from;
    for (let i = first; i < last; i++) {
      const value = this.value[i]!;
      const kind = this.kind[i]!;
      if (kind === CHECK && this.loops[value]!.copies > 1) {
        const loop = this.loops[value]!;
        w.copy(bytes, pos, loop.at);
        this.unroll(bytes, loop, w);
        pos = loop.endAt + 1;
        i = loop.lastEdit - 1;
        continue;
      }
      w.copy(bytes, pos, this.at[i]!);
      if (kind === CHECK) this.check(this.loops[value]!.weight, w);
      else if (kind === RENUMBER || value <= this.inside[i]!) w.u32(value);
      else w.u32(value + shift);
      pos = this.end[i]!;
    }
    w.copy(bytes, pos, to);
  }

  /**
   * A loop whose body is written `copies` times, so that its check, charging them all, comes once every `copies`
   * iterations: (block $out T (loop $l T check (block body1 (br $out)) ... (block body(n-1) (br $out)) body(n))).
   * A branch back to the loop in copy k < n goes on to copy k + 1 (its block's end, at the same label); falling
   * off copy k's end leaves the loop, as falling off the loop's end did; labels past the loop count the added blocks.
   */
  private unroll(bytes: Uint8Array, loop: Loop, w: Writer): void {
    const type = bytes.subarray(loop.at + 1, loop.bodyFrom);
    w.byte(0x02);
    w.bytes(type);
    w.byte(0x03);
    w.bytes(type);
    this.check(loop.weight * loop.copies, w);
    for (let copy = 1; copy < loop.copies; copy++) {
      w.bytes(BLOCK_EMPTY);
      this.emitRange(bytes, loop.bodyFrom, loop.endAt, w, loop.firstEdit + 1, loop.lastEdit, 2);
      w.bytes(BR_OUT_END);
    }
    this.emitRange(bytes, loop.bodyFrom, loop.endAt, w, loop.firstEdit + 1, loop.lastEdit, 1);
    w.bytes(END_END);
  }

  private add(at: number, end: number, kind: number, value: number, inside: number): void {
    const i = this.count++;
    this.at[i] = at;
    this.end[i] = end;
    this.kind[i] = kind;
    this.value[i] = value;
    this.inside[i] = inside;
  }
}

// What follows an opcode, and what the walk does with it.
const UNKNOWN = 0;
const NONE = 1;
const BLOCK = 2; //          a block type; opens a block
const LOOP = 3; //           a block type; opens a block that gets the check
const TRY_TABLE = 4; //      a block type and catch clauses; opens a block
const END = 5; //            closes a block, or the expression
const DELEGATE = 6; //       a label; closes a try
const INDEX = 7; //          one u32 (label, local, table, tag, type, memory, data or element index)
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
const BULK = 26; //          one index, and the work of a whole memory or table (memory.grow, fill; table.grow, fill)
const BULK_TWO = 27; //      two indices, and the same (memory.init, copy)
const TABLE = 28; //         a table index (table.get, set, size)
const TABLE_BULK = 29; //    a table index, and the work of a whole table (table.grow, fill)
const TABLE_INIT = 30; //    an element segment and a table index, and the same
const TABLE_COPY = 31; //    two table indices, and the same
// The prefixes come last: opcode() takes every kind from PREFIX_MISC on for one.
const PREFIX_MISC = 32; //   0xfc: saturating truncation, bulk memory and table ops
const PREFIX_SIMD = 33; //   0xfd
const PREFIX_ATOMIC = 34; // 0xfe: threads
const PREFIX_GC = 35; //     0xfb: refused

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
  [INDEX, 0x20, 0x22], [GLOBAL, 0x23, 0x24], [TABLE, 0x25, 0x26], // locals, globals, table.get/set
  [MEMARG, 0x28, 0x3e], [INDEX, 0x3f], [BULK, 0x40], //             loads and stores, memory.size/grow
  [I32, 0x41], [I64, 0x42], [F32, 0x43], [F64, 0x44], [NONE, 0x45, 0xc4], // numeric, sign extension
  [HEAP_TYPE, 0xd0], [NONE, 0xd1], [REF_FUNC, 0xd2], // ref.null ref.is_null ref.func
  [NONE, 0xd3, 0xd4], [INDEX, 0xd5, 0xd6], //           ref.eq (V8 12 on) ref.as_non_null br_on_null br_on_non_null
  [PREFIX_GC, 0xfb], [PREFIX_MISC, 0xfc], [PREFIX_SIMD, 0xfd], [PREFIX_ATOMIC, 0xfe],
]);

const MISC = opcodeTable(18, [
  [NONE, 0, 7], [BULK_TWO, 8], [INDEX, 9], [BULK_TWO, 10], [BULK, 11], //  memory.init data.drop memory.copy memory.fill
  [TABLE_INIT, 12], [INDEX, 13], [TABLE_COPY, 14], [TABLE_BULK, 15], [TABLE, 16], [TABLE_BULK, 17], // table.init elem.drop copy grow size fill
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
  const bytes = r.bytes;
  for (;;) {
    const at = r.at;
    const op = bytes[at]!;
    // Most instructions have no immediates, or one index: stepped over here, without a call for each.
    const fast = at < bytes.length ? FAST[op]! : UNKNOWN;
    if (fast === NONE) {
      r.at = at + 1;
      continue;
    }
    if ((fast === INDEX || fast === I32) && bytes[at + 1]! < 0x80) {
      r.at = at + 2;
      continue;
    }
    // A load or store of memory 0 with one-byte alignment and offset; a global below the budget's index.
    if (fast === MEMARG && bytes[at + 1]! < 0x40 && bytes[at + 2]! < 0x80) {
      r.at = at + 3;
      continue;
    }
    if (fast === GLOBAL && bytes[at + 1]! < edits.oneByteGlobals) {
      r.at = at + 2;
      continue;
    }
    const kind = opcode(r);
    if (NOT_COPIED[op]) edits.keepLoop();
    if (kind === BLOCK || kind === LOOP || kind === TRY_TABLE) {
      const type = r.bytes[r.at]!;
      r.blockType();
      if (kind === TRY_TABLE) catchClauses(r);
      // A type index (0x00-0x3f or more bytes) may give the loop params; empty (0x40) and value types do not.
      edits.open(kind === LOOP ? at : -1, r.at, type >= 0x40 && type < 0x80);
    } else if (kind === END) {
      if (!edits.close(at)) return;
    } else if (kind === DELEGATE) {
      r.u32();
      if (!edits.close(at)) r.fail("delegate outside a try", at);
    } else if (kind === GLOBAL) {
      edits.globalIndex(r);
    } else if (op === BR || op === BR_IF) {
      edits.label(r);
    } else if (kind === BR_TABLE) {
      for (let n = r.u32(); n >= 0; n--) edits.label(r);
    } else if (kind === CALL) {
      edits.call(r.u32());
    } else if (kind === CALL_INDIRECT) {
      edits.call(-1);
      r.u32();
      edits.tableIndex(r);
    } else if (kind >= TABLE) {
      tableImmediates(r, kind, edits);
    } else {
      if (kind === CALL_REF) edits.call(-1);
      if (kind === BULK || kind === BULK_TWO) edits.bulk();
      immediates(r, kind);
    }
  }
}

const BR = 0x0c;
const BR_IF = 0x0d;
/** Instructions a loop's copies do not carry: exception handling (try, catch, rethrow, delegate, catch_all,
 *  try_table) and br_on_null, br_on_non_null, whose labels the copies would have to adjust. */
const NOT_COPIED = opcodeTable(256, [[1, 0x06, 0x07], [1, 0x09], [1, 0x18, 0x19], [1, 0x1f], [1, 0xd5, 0xd6]]);
/** OPCODES for the instructions walk steps over itself when their immediates are short: those without
 *  immediates; local.get, local.set, local.tee and i32.const with one byte; loads and stores; global.get and
 *  global.set. UNKNOWN for every other, and for those a loop's copies do not carry. */
const FAST = OPCODES.map((kind, op) =>
  (kind === NONE || kind === I32 || kind === MEMARG || kind === GLOBAL || (op >= 0x20 && op <= 0x22)) && !NOT_COPIED[op] ? kind : UNKNOWN);

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

/** The immediates of a table instruction, its table indices renumbered; all but get, set and size are bulk. */
function tableImmediates(r: Reader, kind: number, edits: Edits): void {
  if (kind !== TABLE) edits.bulk();
  if (kind === TABLE_INIT) r.u32();
  edits.tableIndex(r);
  if (kind === TABLE_COPY) edits.tableIndex(r);
}

/** Step over the immediates of an instruction that neither opens nor closes a block. */
function immediates(r: Reader, kind: number): void {
  switch (kind) {
    case INDEX: case REF_FUNC: case CALL_REF: case BULK: r.u32(); break;
    case BULK_TWO: r.u32(); r.u32(); break;
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
