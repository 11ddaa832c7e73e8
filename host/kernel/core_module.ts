// The kernel core's module references: refcounts, states and held references kept in the core's memory.
//
// try_module_get, module_put and module_refcount are wasm functions over a memory only the kernel core
// and the host hold: a module is bound the functions, never the memory, so it can change a count only as
// those functions do. Each module that imports them gets its own small instance, whose `caller` global is
// its own record, so that module_put can check that the caller holds the reference it drops. What the
// fast path does not cover (a seventh module referenced at once, a put of a reference not held, which
// warns) calls the host's TypeScript, the cold path.
//
//   core memory, one 64-byte record per slot (a handle's low 16 bits; slot 0 is no module):
//   ┌────────┬────────┬───────┬─────┬──────────────────────────────────────────────┐
//   │ handle │ refcnt │ flags │  -  │ held: 6 × (target handle, count)            │
//   └────────┴────────┴───────┴─────┴──────────────────────────────────────────────┘
//    0        4        8       12    16                                             64

import { encodeFuncExport, encodeName, encodeSections, encodeVec, leb128, rawSection, SECTION } from "../../abi/wasm.js";
import { body, I32, i32Const, i32Load, i32Store, OP, VOID } from "./core_asm.js";

const SLOT_BITS = 16;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const RECORD_SHIFT = 6;
const RECORD_WORDS = (1 << RECORD_SHIFT) / 4;
const [HANDLE, REFCNT, FLAGS, HELD] = [0, 4, 8, 16];
const HELD_SLOTS = 6;
/** The memory: a record for every slot, fixed (the core never grows it, so no view of it is ever detached). */
export const CORE_PAGES = ((1 << SLOT_BITS) << RECORD_SHIFT) / 65536;

/** flags: try_module_get may take it (COMING or LIVE, not dead); used since the idle sweep; unloading. */
const GETTABLE = 1;
const VISITED = 2;
const GOING = 4;

const EINVAL = -22;

/** rec = (h & SLOT_MASK) << 6, left in local `rec` and on the stack. */
const record = (h: number, rec: number): number[] => [
  OP.localGet, h, ...i32Const(SLOT_MASK), OP.i32And, ...i32Const(RECORD_SHIFT), OP.i32Shl, OP.localTee, rec,
];
/** Add `delta` to the i32 at `offset` from the address in local `at`. */
const bump = (at: number, offset: number, delta: number): number[] => [
  OP.localGet, at, OP.localGet, at, ...i32Load(offset), ...i32Const(delta), OP.i32Add, ...i32Store(offset),
];
const markVisited = (rec: number): number[] => [
  OP.localGet, rec, OP.localGet, rec, ...i32Load(FLAGS), ...i32Const(VISITED), OP.i32Or, ...i32Store(FLAGS),
];
/** p = caller + HELD; end = p + the held slots' size. */
const heldSlots = (p: number, end: number): number[] => [
  OP.globalGet, 0, ...i32Const(HELD), OP.i32Add, OP.localTee, p, ...i32Const(HELD_SLOTS * 8), OP.i32Add, OP.localSet, end,
];
/** p += 8; loop while p != end. */
const nextSlot = (p: number, end: number, depth: number): number[] => [
  OP.localGet, p, ...i32Const(8), OP.i32Add, OP.localTee, p, OP.localGet, end, OP.i32Ne, OP.brIf, depth,
];

/** try_module_get(h): locals 0 h, 1 rec, 2 p, 3 free slot (0: none), 4 end. */
const TRY_MODULE_GET = body(4, [
  OP.localGet, 0, OP.i32Eqz, OP.if, VOID, ...i32Const(1), OP.return, OP.end,
  ...record(0, 1), ...i32Load(HANDLE), OP.localGet, 0, OP.i32Ne, OP.if, VOID, ...i32Const(0), OP.return, OP.end,
  OP.localGet, 1, ...i32Load(FLAGS), ...i32Const(GETTABLE), OP.i32And, OP.i32Eqz, OP.if, VOID, ...i32Const(0), OP.return, OP.end,
  ...heldSlots(2, 4),
  OP.block, VOID,
  OP.loop, VOID,
  OP.localGet, 2, ...i32Load(4), OP.i32Eqz,
  OP.if, VOID,
  OP.localGet, 3, OP.i32Eqz, OP.if, VOID, OP.localGet, 2, OP.localSet, 3, OP.end,
  OP.else,
  OP.localGet, 2, ...i32Load(0), OP.localGet, 0, OP.i32Eq, OP.brIf, 2,
  OP.end,
  ...nextSlot(2, 4, 0),
  OP.end,
  OP.localGet, 3, OP.i32Eqz, OP.if, VOID, OP.localGet, 0, OP.call, 0, OP.return, OP.end,
  OP.localGet, 3, OP.localTee, 2, OP.localGet, 0, ...i32Store(0),
  OP.end,
  ...bump(2, 4, 1),
  ...bump(1, REFCNT, 1),
  ...markVisited(1),
  ...i32Const(1),
  OP.end,
]);

/** module_put(h): locals 0 h, 1 rec, 2 p, 3 end. */
const MODULE_PUT = body(3, [
  OP.localGet, 0, OP.i32Eqz, OP.if, VOID, OP.return, OP.end,
  ...record(0, 1), ...i32Load(HANDLE), OP.localGet, 0, OP.i32Eq,
  OP.if, VOID,
  ...heldSlots(2, 3),
  OP.loop, VOID,
  OP.localGet, 2, ...i32Load(0), OP.localGet, 0, OP.i32Eq,
  OP.if, VOID,
  OP.localGet, 2, ...i32Load(4),
  OP.if, VOID, ...bump(2, 4, -1), ...bump(1, REFCNT, -1), ...markVisited(1), OP.return, OP.end,
  OP.end,
  ...nextSlot(2, 3, 0),
  OP.end,
  OP.end,
  OP.localGet, 0, OP.call, 1,
  OP.end,
]);

/** module_refcount(h): locals 0 h, 1 rec. */
const MODULE_REFCOUNT = body(1, [
  OP.localGet, 0, OP.i32Eqz, OP.if, VOID, ...i32Const(EINVAL), OP.return, OP.end,
  ...record(0, 1), ...i32Load(HANDLE), OP.localGet, 0, OP.i32Ne, OP.if, VOID, ...i32Const(EINVAL), OP.return, OP.end,
  ...i32Const(-1), OP.localGet, 1, ...i32Load(REFCNT), OP.localGet, 1, ...i32Load(FLAGS), ...i32Const(GOING), OP.i32And, OP.select,
  OP.end,
]);

const importEntry = (field: string, desc: readonly number[]): number[] => [...encodeName("core"), ...encodeName(field), ...desc];

/**
 * Types: 0 (i32) -> i32, 1 (i32) -> (). Imports: func 0 get_slow, func 1 put_slow (the host's cold paths),
 * the core's memory, global 0 caller (the byte address of the importing module's record).
 */
const REFS = encodeSections([
  rawSection(SECTION.type, encodeVec([[0x60, 1, I32, 1, I32], [0x60, 1, I32, 0]])),
  rawSection(SECTION.import, encodeVec([
    importEntry("get_slow", [0, 0]),
    importEntry("put_slow", [0, 1]),
    importEntry("memory", [2, 1, ...leb128(CORE_PAGES), ...leb128(CORE_PAGES)]),
    importEntry("caller", [3, I32, 0]),
  ])),
  rawSection(SECTION.function, encodeVec([[0], [1], [0]])),
  rawSection(SECTION.export, encodeVec([
    encodeFuncExport("try_module_get", 2), encodeFuncExport("module_put", 3), encodeFuncExport("module_refcount", 4),
  ])),
  rawSection(SECTION.code, encodeVec([TRY_MODULE_GET, MODULE_PUT, MODULE_REFCOUNT])),
]);

/** Compiled once per process; each module importing a reference symbol gets an instance. */
let compiled: WebAssembly.Module | undefined;

/** The host's cold paths for one caller: a seventh target held at once, a put of a reference not in its slots. */
export interface RefSlowPaths {
  get(handle: number): boolean;
  put(handle: number): void;
}

/** The names of the symbols the per-module instance implements. */
export const REF_SYMBOLS: ReadonlySet<string> = new Set(["try_module_get", "module_put", "module_refcount"]);

/**
 * One module's record in the core memory, as the host reads and writes it (struct module's refcnt and
 * state, and the references it holds). detach() frees the slot: the object then keeps a copy, so a
 * module record that outlives its unload still reads its last values and writes nothing shared.
 */
export class ModuleRef {
  private symbols: ReadonlyMap<string, WebAssembly.ImportValue> | undefined;

  constructor(
    private words: Int32Array,
    private base: number,
    readonly handle: number,
  ) {}

  get refcnt(): number {
    return this.words[this.base + REFCNT / 4]!;
  }

  set refcnt(n: number) {
    this.words[this.base + REFCNT / 4] = n;
  }

  get visited(): boolean {
    return (this.words[this.base + FLAGS / 4]! & VISITED) !== 0;
  }

  set visited(on: boolean) {
    this.flag(VISITED, on);
  }

  /** Whether try_module_get may take a reference (COMING or LIVE, not dead), and whether it is unloading. */
  setState(gettable: boolean, going: boolean): void {
    this.flag(GETTABLE, gettable);
    this.flag(GOING, going);
  }

  private flag(bit: number, on: boolean): void {
    const at = this.base + FLAGS / 4;
    this.words[at] = on ? this.words[at]! | bit : this.words[at]! & ~bit;
  }

  /** The word index of each held slot's target (its count is the next word). */
  private *heldSlots(): Generator<number> {
    for (let i = 0; i < HELD_SLOTS; i++) yield this.base + HELD / 4 + 2 * i;
  }

  /** References this module holds on `target` in its slots. */
  heldOn(target: number): number {
    for (const at of this.heldSlots()) if (this.words[at + 1]! > 0 && this.words[at] === target) return this.words[at + 1]!;
    return 0;
  }

  /** Count one more reference on `target` in a slot, as try_module_get's fast path does; false when all are taken. */
  takeHeld(target: number): boolean {
    let free: number | undefined;
    for (const at of this.heldSlots()) {
      if (this.words[at + 1] === 0) free ??= at;
      else if (this.words[at] === target) {
        this.words[at + 1]!++;
        return true;
      }
    }
    if (free === undefined) return false;
    this.words[free] = target;
    this.words[free + 1] = 1;
    return true;
  }

  /** Count one reference on `target` less; false when no slot holds one. */
  dropHeld(target: number): boolean {
    for (const at of this.heldSlots()) {
      if (this.words[at + 1]! > 0 && this.words[at] === target) {
        this.words[at + 1]!--;
        return true;
      }
    }
    return false;
  }

  /** Empty the slots: what they held, as (target, count). */
  drainHeld(): [target: number, count: number][] {
    const held: [number, number][] = [];
    for (const at of this.heldSlots()) {
      if (this.words[at + 1]! > 0) held.push([this.words[at]!, this.words[at + 1]!]);
      this.words[at + 1] = 0;
    }
    return held;
  }

  /**
   * The wasm functions this module is bound for the reference symbols it imports, over the core memory
   * with its own record as the caller; made on the first call.
   */
  bind(memory: WebAssembly.Memory, slow: () => RefSlowPaths): ReadonlyMap<string, WebAssembly.ImportValue> {
    if (this.symbols) return this.symbols;
    const paths = slow();
    compiled ??= new WebAssembly.Module(REFS as Uint8Array<ArrayBuffer>);
    const core = {
      memory,
      caller: new WebAssembly.Global({ value: "i32", mutable: false }, this.base * 4),
      get_slow: (handle: number) => (paths.get(handle) ? 1 : 0),
      put_slow: (handle: number) => paths.put(handle),
    };
    const exports = new WebAssembly.Instance(compiled, { core }).exports;
    this.symbols = new Map([...REF_SYMBOLS].map((name) => [name, exports[name] as WebAssembly.ImportValue]));
    return this.symbols;
  }

  /** Free the slot for another module; this record lives on as a copy nothing else reads. */
  detach(): void {
    const copy = this.words.slice(this.base, this.base + RECORD_WORDS);
    this.words.fill(0, this.base, this.base + RECORD_WORDS);
    this.words = copy;
    this.base = 0;
  }
}

/** The references one module holds, by target: six in its core record, more (rare) here on the host. */
export class HeldReferences<T extends { readonly handle: number }> {
  private readonly overflow = new Map<T, number>();

  constructor(private readonly ref: ModuleRef) {}

  get(target: T): number | undefined {
    return this.ref.heldOn(target.handle) + (this.overflow.get(target) ?? 0) || undefined;
  }

  take(target: T): void {
    if (!this.ref.takeHeld(target.handle)) this.overflow.set(target, (this.overflow.get(target) ?? 0) + 1);
  }

  /** One reference on target less; false when this module holds none. */
  drop(target: T): boolean {
    if (this.ref.dropHeld(target.handle)) return true;
    const n = this.overflow.get(target) ?? 0;
    if (n === 0) return false;
    if (n === 1) this.overflow.delete(target);
    else this.overflow.set(target, n - 1);
    return true;
  }

  /**
   * Target is going while this module still holds references on it (a forced rmmod): they move here, kept
   * by the module record rather than by a handle nothing will resolve.
   */
  orphan(target: T): void {
    let n = 0;
    while (this.ref.dropHeld(target.handle)) n++;
    if (n > 0) this.overflow.set(target, (this.overflow.get(target) ?? 0) + n);
  }

  /** Every reference held, emptied: by target (the core's slots first), `resolve` naming the slots' targets. */
  drain(resolve: (handle: number) => T | undefined): [T, number][] {
    const held = new Map<T, number>();
    for (const [handle, n] of this.ref.drainHeld()) {
      const target = resolve(handle);
      if (target) held.set(target, n);
    }
    for (const [target, n] of this.overflow) held.set(target, (held.get(target) ?? 0) + n);
    this.overflow.clear();
    return [...held];
  }
}

/** The core memory's module records: a slot per module, found from its handle's low bits. */
export class ModuleRecords {
  readonly memory = new WebAssembly.Memory({ initial: CORE_PAGES, maximum: CORE_PAGES });
  private readonly words = new Int32Array(this.memory.buffer);
  private nextHandle = 1;

  /**
   * A record for a new module, with the next handle whose slot is free (handles are never reused; their
   * low bits pick the slot). Undefined when every slot is taken.
   */
  attach(): ModuleRef | undefined {
    for (let tries = 0; tries <= SLOT_MASK; tries++) {
      const handle = this.nextHandle;
      this.nextHandle = (this.nextHandle % 0x7fffffff) + 1;
      const base = (handle & SLOT_MASK) * RECORD_WORDS;
      if (base === 0 || this.words[base + HANDLE / 4] !== 0) continue;
      this.words[base + HANDLE / 4] = handle;
      return new ModuleRef(this.words, base, handle);
    }
    return undefined;
  }
}
