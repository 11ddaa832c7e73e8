// kmalloc accounting: every block a module allocates, its size class and flags, its cap and its leaks.
//
// The bytes come from the module's own allocator (its exported __heap_alloc/__heap_free, see
// abi/include/mod.ts), so the module's heap never hands them out twice; the accounting lives here, where
// the cap, ksize() and the leak report at unload can see it. A module's own kmalloc calls take the fast
// path in wasm (host/mm/slub.ts) where it can; this is the cold path, and the kernel's own kmallocs.

import { GFP } from "../../abi/gfp.js";
import { hex, type ModPtr } from "./maccess.js";
import { FastSlab, type FastBlock, type SlabModule } from "./slub.js";

/** kmalloc(0) returns ZERO_SIZE_PTR: not NULL, but faults when dereferenced. */
export const ZERO_SIZE_PTR = 16 as ModPtr;
export const PAGE_SIZE = 4096;
/** KMALLOC_MAX_CACHE_SIZE: above it, whole pages of a power-of-two order. */
const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;
/** KMALLOC_MAX_SIZE with MAX_ORDER 10: the largest single kmalloc. */
export const KMALLOC_MAX_SIZE = PAGE_SIZE << 10;
const CACHE_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

/** The size class kmalloc serves a request from (kmalloc_size_roundup). */
export function kmallocSizeRoundup(size: number): number {
  if (size <= KMALLOC_MAX_CACHE_SIZE) return CACHE_SIZES.find((c) => c >= size)!;
  return PAGE_SIZE * 2 ** Math.ceil(Math.log2(size / PAGE_SIZE));
}

export interface SlabBlock extends FastBlock {
  readonly flags: number;
}

/**
 * How a module's allocator is reached, through the Oops gate: alloc returns 0 when the heap has no block,
 * and throws what the gate throws (EFAULT after the Oops) when the allocator traps.
 */
export interface ModuleHeap {
  alloc(size: number): number;
  free(ptr: ModPtr): void;
  zero(ptr: ModPtr, size: number): void;
}

export type SlabWarn = (message: string) => void;

/** One module's kmalloc blocks and its cap. Returns NULL (0) where Linux's kmalloc would. */
export class KmallocCache {
  private readonly blocks = new Map<number, SlabBlock>();
  /** Bytes held: the fast path's global once there is one, so both count against one cap. */
  private held: { value: number } = { value: 0 };
  private fast: FastSlab | undefined;
  private allocator: [alloc: (size: number) => number, free: (ptr: number) => void] | undefined;

  /** `module`: the module's memory and gate, for a fast path (none without: every call is this cold path). */
  constructor(
    readonly owner: string,
    readonly cap: number,
    private readonly heap: ModuleHeap,
    private readonly warn: SlabWarn,
    private readonly module?: SlabModule,
  ) {}

  /** Bytes held (size classes), by both paths. */
  get bytes(): number {
    return this.held.value;
  }

  /** The module's fast path (host/mm/slub.ts), made the first time it is asked for; undefined without a module. */
  fastPath(): FastSlab | undefined {
    if (this.fast || !this.module) return this.fast;
    const cold = { kmalloc: (size: number, flags: number) => this.kmalloc(size, flags), kfree: (ptr: number) => this.kfree(ptr), ksize: (ptr: number) => this.ksize(ptr) };
    this.fast = new FastSlab(this.module, this.cap, cold, kmallocSizeRoundup);
    this.fast.total.value = this.held.value;
    this.held = this.fast.total;
    if (this.allocator) this.fast.heap(...this.allocator);
    return this.fast;
  }

  /** The module is instantiated: its allocator's entry points, for the fast path to call. */
  allocatorReady(alloc: (size: number) => number, free: (ptr: number) => void): void {
    this.allocator = [alloc, free];
    this.fast?.heap(alloc, free);
  }

  /** A block of at least size bytes, or NULL; a trap in the module's allocator is not caught here but Oopses. */
  kmalloc(size: number, flags: number): ModPtr {
    if (size === 0) return ZERO_SIZE_PTR;
    const quiet = (flags & GFP.__GFP_NOWARN) !== 0;
    if (size > KMALLOC_MAX_SIZE) return this.fail(quiet, size, flags, `larger than KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`);
    const ksize = kmallocSizeRoundup(size);
    if (this.held.value + ksize > this.cap) {
      return this.fail(quiet, size, flags, `over the module's cap (${this.held.value} of ${this.cap} bytes in use)`);
    }
    const ptr = this.heap.alloc(ksize);
    if (ptr === 0) return this.fail(quiet, size, flags, "the module's heap is exhausted");
    if (flags & GFP.__GFP_ZERO) this.heap.zero(ptr as ModPtr, ksize);
    this.blocks.set(ptr, { ptr: ptr as ModPtr, size, ksize, flags });
    this.held.value += ksize;
    return ptr as ModPtr;
  }

  private fail(quiet: boolean, size: number, flags: number, why: string): ModPtr {
    if (!quiet) this.warn(`${this.owner}: kmalloc of ${size} bytes failed, mode:0x${flags.toString(16)}: ${why}`);
    return 0 as ModPtr;
  }

  /** kfree(): NULL and ZERO_SIZE_PTR are ignored; a pointer kmalloc never gave is a warning, not a crash. */
  kfree(ptr: number): void {
    if (ptr === 0 || ptr === ZERO_SIZE_PTR) return;
    const block = this.blocks.get(ptr);
    if (!block) {
      if (this.fast?.freeBlock(ptr)) return;
      this.warn(`${this.owner}: kfree of ${hex(ptr)}, which kmalloc did not return (double free?)`);
      return;
    }
    this.blocks.delete(ptr);
    this.held.value -= block.ksize;
    this.heap.free(block.ptr);
  }

  ksize(ptr: number): number {
    return this.blocks.get(ptr)?.ksize ?? this.fast?.blockKsize(ptr) ?? 0;
  }

  /** Forget every block (the module's memory goes with it); returns what was still held, the fast path's first. */
  reclaim(): FastBlock[] {
    const leaked = [...(this.fast?.drain() ?? []), ...this.blocks.values()];
    this.blocks.clear();
    this.held.value = 0;
    return leaked;
  }
}
