// The kmalloc fast path in wasm: kmalloc, kzalloc, kfree and ksize as a per-module instance over the module's memory.
//
// A module's kmalloc calls stay wasm-to-wasm calls: this instance asks the module's own allocator for the
// block (its __heap_alloc and __heap_free, through a table the loader fills once the module is
// instantiated) and keeps each block's bookkeeping in a header in front of it, chained in allocation order
// so that what a module leaks can be listed at unload. The module could write those headers, so kfree and
// ksize trust one only when its check word is the block's address mixed with a key the module cannot read
// and its size is a kmalloc size; anything else is the cold path, host/mm/slab.ts, which warns as before.
// The bytes in use (against the module's cap) are a global only the host and this instance hold. A module
// forging a header can only misstate its own accounting: its memory's maximum still bounds it.
//
// As SLUB keeps partial slabs, a freed block is kept (up to CACHE_MAX bytes) on a free list of its size
// class, its check word marked freed, and handed out again by the next kmalloc of that class without a
// call into the module's allocator; one whose header the module wrote over is not taken (the list is
// dropped). Those bytes count neither against the cap nor as leaks.
//
//   module memory:  ┌───────┬──────┬──────┬──────┬──────────────── ksize bytes ─┐
//                   │ check │ size │ prev │ next │ the block kmalloc returned      │
//                   └───────┴──────┴──────┴──────┴─────────────────────────────────┘
//                   h       h+4    h+8    h+12   ptr = h + 16;  check = ptr ^ key
//
// What the fast path leaves to the cold path: kmalloc(0), a request above KMALLOC_MAX_CACHE_SIZE, one over
// the cap (which warns), any once the memory is at its maximum (the module's allocator may then trap, which
// the cold path turns into NULL), and kfree or ksize of a pointer without a valid header.

import { encodeFuncExport, encodeName, encodeSections, encodeVec, leb128, rawSection, SECTION } from "../../abi/wasm.js";
import { body, I32, i32Const, i32Load, i32Store, MEMORY_FILL, MEMORY_SIZE, OP, VOID } from "../kernel/core_asm.js";
import type { ModPtr } from "./maccess.js";

const [CHECK, SIZE, PREV, NEXT, HEADER] = [0, 4, 8, 12, 16];
/** KMALLOC_MAX_CACHE_SIZE: the largest request the fast path serves. */
const FAST_MAX = 8192;
const GFP_ZERO = 0x100;

// Imported functions: 0 alloc_slow, 1 free_slow, 2 ksize_slow; the module's allocator is called through the table.
const [ALLOC_SLOW, FREE_SLOW, KSIZE_SLOW] = [0, 1, 2];
// Globals: 0 key, 1 cap, 2 max_pages (imported constants), 3 total (imported, shared with the host), 4 head, 5 tail,
// 6 cached (bytes of freed blocks kept), 7.. the free list of each size class.
const [KEY, CAP, MAX_PAGES, TOTAL, HEAD, TAIL, CACHED, FREE_LISTS] = [0, 1, 2, 3, 4, 5, 6, 7];
/** The size classes up to FAST_MAX: 8 << i for i in 0..10 (class i), then 96 (11) and 192 (12). */
const CLASSES = 13;
/** How many bytes of freed blocks are kept for the next kmalloc of their class, as SLUB keeps partial slabs. */
const CACHE_MAX = 32 << 10;
/** A cached block's check word: its allocated check with these bits flipped, so kfree refuses it. */
const FREED = 0x5a5a5a5a;
// Types: 0 (i32) -> i32, 1 (i32) -> (), 2 (i32 i32) -> i32.
const [T_I_I, T_I_V, T_II_I] = [0, 1, 2];
// Defined functions, after the three imports.
const [ROUNDUP, BLOCK, KMALLOC, KZALLOC, FREE_BLOCK, KFREE, KSIZE, BLOCK_KSIZE] = [3, 4, 5, 6, 7, 8, 9, 10];
/** Table slots the loader fills with the module's __heap_alloc and __heap_free. */
const [HEAP_ALLOC, HEAP_FREE] = [0, 1];

const ret = (code: readonly number[]): number[] => [OP.if, VOID, ...code, OP.return, OP.end];

/** The class index of the size class in local `ks`, into local `idx`. */
const classIndex = (ks: number, idx: number): number[] => [
  ...i32Const(11), ...i32Const(12), OP.localGet, ks, OP.i32Ctz, ...i32Const(3), OP.i32Sub, OP.localGet, ks, ...i32Const(192), OP.i32Eq,
  OP.select, OP.localGet, ks, ...i32Const(96), OP.i32Eq, OP.select, OP.localSet, idx,
];

/**
 * `perClass(c)` for the class in local `idx`: a br_table over one block per class. Each case leaves what
 * `result` says on the stack (I32 or VOID) and leaves the outer block.
 */
function byClass(idx: number, result: number, perClass: (c: number) => number[]): number[] {
  const code: number[] = [OP.block, result];
  for (let c = 0; c < CLASSES; c++) code.push(OP.block, VOID);
  code.push(OP.localGet, idx, OP.brTable, ...leb128(CLASSES), ...Array.from({ length: CLASSES }, (_, c) => c), CLASSES - 1);
  for (let c = 0; c < CLASSES; c++) code.push(OP.end, ...perClass(c), OP.br, CLASSES - 1 - c);
  code.push(OP.end);
  return code;
}
const freeList = (idx: number): number[] => byClass(idx, I32, (c) => [OP.globalGet, FREE_LISTS + c]);
/** Set the free list of class `idx` to local `value`. */
const setFreeList = (idx: number, value: number): number[] => byClass(idx, VOID, (c) => [OP.localGet, value, OP.globalSet, FREE_LISTS + c]);

/** kmalloc_size_roundup(s) for 1 <= s <= 8192: 8, the power of two at or above s, or 96 and 192. locals: 0 s. */
const ROUNDUP_BODY = body(0, [
  OP.localGet, 0, ...i32Const(8), OP.i32LeU, ...ret(i32Const(8)),
  OP.localGet, 0, ...i32Const(64), OP.i32GtU, OP.localGet, 0, ...i32Const(96), OP.i32LeU, OP.i32And, ...ret(i32Const(96)),
  OP.localGet, 0, ...i32Const(128), OP.i32GtU, OP.localGet, 0, ...i32Const(192), OP.i32LeU, OP.i32And, ...ret(i32Const(192)),
  ...i32Const(1), ...i32Const(32), OP.localGet, 0, ...i32Const(1), OP.i32Sub, OP.i32Clz, OP.i32Sub, OP.i32Shl,
  OP.end,
]);

/** The header of the block at ptr if it is one this instance made and has not freed, else 0. locals: 0 ptr. */
const BLOCK_BODY = body(0, [
  OP.localGet, 0, ...i32Const(2 * HEADER), OP.i32LtU, ...ret(i32Const(0)),
  OP.localGet, 0, ...MEMORY_SIZE, ...i32Const(16), OP.i32Shl, OP.i32GtU, ...ret(i32Const(0)),
  OP.localGet, 0, ...i32Const(HEADER), OP.i32Sub, ...i32Load(CHECK), OP.localGet, 0, OP.globalGet, KEY, OP.i32Xor, OP.i32Ne,
  ...ret(i32Const(0)),
  OP.localGet, 0, ...i32Const(HEADER), OP.i32Sub, ...i32Load(SIZE), ...i32Const(1), OP.i32Sub, ...i32Const(FAST_MAX), OP.i32GeU,
  ...ret(i32Const(0)),
  OP.localGet, 0, ...i32Const(HEADER), OP.i32Sub,
  OP.end,
]);

/** kmalloc(size, flags). locals: 0 size, 1 flags, 2 ksize, 3 header, 4 ptr, 5 class, 6 next. */
const slow = [OP.localGet, 0, OP.localGet, 1, OP.call, ALLOC_SLOW];
const KMALLOC_BODY = body(5, [
  OP.localGet, 0, ...i32Const(1), OP.i32Sub, ...i32Const(FAST_MAX), OP.i32GeU, ...ret(slow),
  OP.localGet, 0, OP.call, ROUNDUP, OP.localTee, 2, OP.globalGet, TOTAL, OP.i32Add, OP.globalGet, CAP, OP.i32GtU, ...ret(slow),
  ...classIndex(2, 5),
  ...freeList(5), OP.localTee, 3,
  OP.if, VOID,
  // A cached block is taken only if its header is still the one kfree wrote; else the list is dropped.
  OP.localGet, 3, ...i32Const(HEADER), OP.i32Add, ...MEMORY_SIZE, ...i32Const(16), OP.i32Shl, OP.i32LeU,
  OP.if, I32, OP.localGet, 3, ...i32Load(CHECK), OP.localGet, 3, ...i32Const(HEADER), OP.i32Add, OP.globalGet, KEY, OP.i32Xor,
  ...i32Const(FREED), OP.i32Xor, OP.i32Eq, OP.else, ...i32Const(0), OP.end,
  OP.if, VOID,
  OP.localGet, 3, ...i32Load(NEXT), OP.localSet, 6, ...setFreeList(5, 6),
  OP.globalGet, CACHED, OP.localGet, 2, OP.i32Sub, OP.globalSet, CACHED,
  OP.else,
  ...i32Const(0), OP.localTee, 3, OP.localSet, 6, ...setFreeList(5, 6), ...i32Const(0), OP.globalSet, CACHED,
  OP.end,
  OP.end,
  OP.localGet, 3, OP.i32Eqz,
  OP.if, VOID,
  ...MEMORY_SIZE, OP.globalGet, MAX_PAGES, OP.i32GeU, ...ret(slow),
  OP.localGet, 2, ...i32Const(HEADER), OP.i32Add, ...i32Const(HEAP_ALLOC), OP.callIndirect, T_I_I, 0, OP.localSet, 3,
  OP.end,
  OP.localGet, 3, ...i32Const(HEADER), OP.i32Add, OP.localSet, 4,
  OP.localGet, 3, OP.localGet, 4, OP.globalGet, KEY, OP.i32Xor, ...i32Store(CHECK),
  OP.localGet, 3, OP.localGet, 0, ...i32Store(SIZE),
  OP.localGet, 3, OP.globalGet, TAIL, ...i32Store(PREV),
  OP.localGet, 3, ...i32Const(0), ...i32Store(NEXT),
  OP.globalGet, TAIL, OP.if, VOID, OP.globalGet, TAIL, OP.localGet, 3, ...i32Store(NEXT), OP.else, OP.localGet, 3, OP.globalSet, HEAD, OP.end,
  OP.localGet, 3, OP.globalSet, TAIL,
  OP.globalGet, TOTAL, OP.localGet, 2, OP.i32Add, OP.globalSet, TOTAL,
  OP.localGet, 1, ...i32Const(GFP_ZERO), OP.i32And, OP.if, VOID, OP.localGet, 4, ...i32Const(0), OP.localGet, 2, ...MEMORY_FILL, OP.end,
  OP.localGet, 4,
  OP.end,
]);

const KZALLOC_BODY = body(0, [OP.localGet, 0, OP.localGet, 1, ...i32Const(GFP_ZERO), OP.i32Or, OP.call, KMALLOC, OP.end]);

/**
 * Free the block at ptr if it has a valid header: unchained, then kept on its class's free list (its check
 * word marked freed) while the cache has room, else given back to the module's allocator. 1 if it did.
 * locals: 0 ptr, 1 h, 2 prev, 3 next, 4 ksize, 5 class.
 */
const FREE_BLOCK_BODY = body(5, [
  OP.localGet, 0, OP.call, BLOCK, OP.localTee, 1, OP.i32Eqz, ...ret(i32Const(0)),
  OP.localGet, 1, ...i32Load(PREV), OP.localSet, 2,
  OP.localGet, 1, ...i32Load(NEXT), OP.localSet, 3,
  OP.localGet, 2, OP.if, VOID, OP.localGet, 2, OP.localGet, 3, ...i32Store(NEXT), OP.else, OP.localGet, 3, OP.globalSet, HEAD, OP.end,
  OP.localGet, 3, OP.if, VOID, OP.localGet, 3, OP.localGet, 2, ...i32Store(PREV), OP.else, OP.localGet, 2, OP.globalSet, TAIL, OP.end,
  OP.localGet, 1, ...i32Load(SIZE), OP.call, ROUNDUP, OP.localSet, 4,
  OP.globalGet, TOTAL, OP.localGet, 4, OP.i32Sub, OP.globalSet, TOTAL,
  OP.globalGet, CACHED, OP.localGet, 4, OP.i32Add, ...i32Const(CACHE_MAX), OP.i32LeU,
  OP.if, VOID,
  OP.localGet, 1, OP.localGet, 0, OP.globalGet, KEY, OP.i32Xor, ...i32Const(FREED), OP.i32Xor, ...i32Store(CHECK),
  ...classIndex(4, 5),
  OP.localGet, 1, ...freeList(5), ...i32Store(NEXT),
  ...setFreeList(5, 1),
  OP.globalGet, CACHED, OP.localGet, 4, OP.i32Add, OP.globalSet, CACHED,
  OP.else,
  OP.localGet, 1, ...i32Const(0), ...i32Store(CHECK),
  OP.localGet, 1, ...i32Const(HEAP_FREE), OP.callIndirect, T_I_V, 0,
  OP.end,
  ...i32Const(1),
  OP.end,
]);

/** kfree(ptr): NULL and ZERO_SIZE_PTR ignored; a pointer without a valid header goes to the cold path. locals: 0 ptr. */
const KFREE_BODY = body(0, [
  OP.localGet, 0, OP.i32Eqz, OP.localGet, 0, ...i32Const(16), OP.i32Eq, OP.i32Or, OP.if, VOID, OP.return, OP.end,
  OP.localGet, 0, OP.call, FREE_BLOCK, OP.i32Eqz, OP.if, VOID, OP.localGet, 0, OP.call, FREE_SLOW, OP.end,
  OP.end,
]);

/** ksize of a block with a valid header, else `otherwise`. locals: 0 ptr, 1 h. */
const ksizeBody = (otherwise: readonly number[]): number[] => body(1, [
  OP.localGet, 0, OP.call, BLOCK, OP.localTee, 1, OP.if, VOID, OP.localGet, 1, ...i32Load(SIZE), OP.call, ROUNDUP, OP.return, OP.end,
  ...otherwise,
  OP.end,
]);

const imp = (field: string, desc: readonly number[]): number[] => [...encodeName("slab"), ...encodeName(field), ...desc];
const constGlobal = (field: string) => imp(field, [3, I32, 0]);

const SLUB = encodeSections([
  rawSection(SECTION.type, encodeVec([[0x60, 1, I32, 1, I32], [0x60, 1, I32, 0], [0x60, 2, I32, I32, 1, I32]])),
  rawSection(SECTION.import, encodeVec([
    imp("alloc_slow", [0, T_II_I]), imp("free_slow", [0, T_I_V]), imp("ksize_slow", [0, T_I_I]),
    imp("memory", [2, 0, 0]),
    imp("heap", [1, 0x70, 0, 2]),
    constGlobal("key"), constGlobal("cap"), constGlobal("max_pages"), imp("total", [3, I32, 1]),
  ])),
  rawSection(SECTION.function, encodeVec([[T_I_I], [T_I_I], [T_II_I], [T_II_I], [T_I_I], [T_I_V], [T_I_I], [T_I_I]])),
  rawSection(SECTION.global, encodeVec(Array.from({ length: 3 + CLASSES }, () => [I32, 1, ...i32Const(0), OP.end]))),
  rawSection(SECTION.export, encodeVec([
    encodeFuncExport("kmalloc", KMALLOC), encodeFuncExport("kzalloc", KZALLOC), encodeFuncExport("kfree", KFREE),
    encodeFuncExport("ksize", KSIZE), encodeFuncExport("free_block", FREE_BLOCK), encodeFuncExport("block_ksize", BLOCK_KSIZE),
    [...encodeName("head"), 3, ...leb128(HEAD)], [...encodeName("tail"), 3, ...leb128(TAIL)],
  ])),
  rawSection(SECTION.code, encodeVec([
    ROUNDUP_BODY, BLOCK_BODY, KMALLOC_BODY, KZALLOC_BODY, FREE_BLOCK_BODY, KFREE_BODY,
    ksizeBody([OP.localGet, 0, OP.call, KSIZE_SLOW]), ksizeBody(i32Const(0)),
  ])),
]);

/** Compiled once per process; a module importing a kmalloc symbol gets an instance. */
let compiled: WebAssembly.Module | undefined;

/** The symbols the fast path implements. */
export const SLAB_SYMBOLS: ReadonlySet<string> = new Set(["kmalloc", "kzalloc", "kfree", "ksize"]);

/** The cold path (host/mm/slab.ts) for what the fast path leaves: as a module's own call would have it. */
export interface SlabSlowPaths {
  kmalloc(size: number, flags: number): number;
  kfree(ptr: number): void;
  ksize(ptr: number): number;
}

/** What the fast path needs of the module: its memory and that memory's maximum, and the gate for its allocator. */
export interface SlabModule {
  readonly memory: WebAssembly.Memory;
  readonly maxPages: number;
  gate<T>(fn: () => T): T;
}

/** A block the fast path gave, as the leak report lists it. */
export interface FastBlock {
  readonly ptr: ModPtr;
  readonly size: number;
  readonly ksize: number;
}

type Exports = {
  readonly free_block: (ptr: number) => number;
  readonly block_ksize: (ptr: number) => number;
  readonly head: WebAssembly.Global;
  readonly tail: WebAssembly.Global;
};

/** One module's fast path: its instance, the bytes in use (shared with the cold path) and its chain of blocks. */
export class FastSlab {
  /** The functions the module is bound for the kmalloc symbols it imports. */
  readonly symbols: ReadonlyMap<string, WebAssembly.ImportValue>;
  /** Bytes in use (size classes), by both paths: what the cap is checked against. */
  readonly total: WebAssembly.Global;
  private readonly table = new WebAssembly.Table({ element: "anyfunc", initial: 2, maximum: 2 });
  private readonly ex: Exports;
  private readonly key = (Math.random() * 2 ** 32) | 0;

  constructor(
    private readonly mod: SlabModule,
    cap: number,
    slow: SlabSlowPaths,
    private readonly roundup: (size: number) => number,
  ) {
    compiled ??= new WebAssembly.Module(SLUB as Uint8Array<ArrayBuffer>);
    this.total = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
    const konst = (value: number) => new WebAssembly.Global({ value: "i32", mutable: false }, value);
    const slab = {
      alloc_slow: (size: number, flags: number) => slow.kmalloc(size >>> 0, flags >>> 0),
      free_slow: (ptr: number) => slow.kfree(ptr >>> 0),
      ksize_slow: (ptr: number) => slow.ksize(ptr >>> 0),
      memory: mod.memory,
      heap: this.table,
      key: konst(this.key),
      cap: konst(cap),
      max_pages: konst(mod.maxPages),
      total: this.total,
    };
    const exports = new WebAssembly.Instance(compiled, { slab }).exports;
    this.ex = exports as unknown as Exports;
    this.symbols = new Map([...SLAB_SYMBOLS].map((name) => [name, exports[name] as WebAssembly.ImportValue]));
  }

  /** The module is instantiated: the fast path may call its allocator. */
  heap(alloc: (size: number) => number, free: (ptr: number) => void): void {
    this.table.set(0, alloc);
    this.table.set(1, free);
  }

  /** kfree of a block the fast path gave (the module's allocator runs through the gate); false if ptr is not one. */
  freeBlock(ptr: number): boolean {
    return this.mod.gate(() => this.ex.free_block(ptr)) !== 0;
  }

  /** ksize of a block the fast path gave; 0 if ptr is not one. */
  blockKsize(ptr: number): number {
    return this.ex.block_ksize(ptr) >>> 0;
  }

  /**
   * Every block still chained, oldest first, and the chain emptied (the module's memory goes with it). The
   * walk ends at the first link that is not a valid header, and after as many blocks as the bytes in use allow.
   */
  drain(): FastBlock[] {
    const view = new DataView(this.mod.memory.buffer);
    const blocks: FastBlock[] = [];
    let h = this.ex.head.value >>> 0;
    for (let left = (this.total.value >>> 3) + 1; h !== 0 && left > 0; left--) {
      if (h + HEADER > view.byteLength) break;
      const ptr = h + HEADER;
      const size = view.getUint32(h + SIZE, true);
      if (view.getInt32(h + CHECK, true) !== (ptr ^ this.key) || size === 0 || size > FAST_MAX) break;
      blocks.push({ ptr: ptr as ModPtr, size, ksize: this.roundup(size) });
      h = view.getUint32(h + NEXT, true);
    }
    this.ex.head.value = 0;
    this.ex.tail.value = 0;
    return blocks;
  }
}
