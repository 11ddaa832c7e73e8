// kmalloc accounting: every block a module allocates, its size class and flags, its cap and its leaks.
//
// The bytes come from the module's own allocator (its exported __heap_alloc/__heap_free, see
// abi/include/mod.ts), so the module's heap never hands them out twice; the accounting lives here, where
// the cap, ksize() and the leak report at unload can see it.

import { GFP } from "../../abi/gfp.js";
import { hex, type ModPtr } from "./maccess.js";

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

export interface SlabBlock {
  readonly ptr: ModPtr;
  readonly size: number;
  /** ksize(): the size class actually reserved. */
  readonly ksize: number;
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
  private total = 0;

  constructor(
    readonly owner: string,
    readonly cap: number,
    private readonly heap: ModuleHeap,
    private readonly warn: SlabWarn,
  ) {}

  /** Bytes held (size classes). */
  get bytes(): number {
    return this.total;
  }

  /** A block of at least size bytes, or NULL; a trap in the module's allocator is not caught here but Oopses. */
  kmalloc(size: number, flags: number): ModPtr {
    if (size === 0) return ZERO_SIZE_PTR;
    const quiet = (flags & GFP.__GFP_NOWARN) !== 0;
    if (size > KMALLOC_MAX_SIZE) return this.fail(quiet, size, flags, `larger than KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`);
    const ksize = kmallocSizeRoundup(size);
    if (this.total + ksize > this.cap) {
      return this.fail(quiet, size, flags, `over the module's cap (${this.total} of ${this.cap} bytes in use)`);
    }
    const ptr = this.heap.alloc(ksize);
    if (ptr === 0) return this.fail(quiet, size, flags, "the module's heap is exhausted");
    if (flags & GFP.__GFP_ZERO) this.heap.zero(ptr as ModPtr, ksize);
    this.blocks.set(ptr, { ptr: ptr as ModPtr, size, ksize, flags });
    this.total += ksize;
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
      this.warn(`${this.owner}: kfree of ${hex(ptr)}, which kmalloc did not return (double free?)`);
      return;
    }
    this.blocks.delete(ptr);
    this.total -= block.ksize;
    this.heap.free(block.ptr);
  }

  ksize(ptr: number): number {
    return this.blocks.get(ptr)?.ksize ?? 0;
  }

  /** Forget every block (the module's memory goes with it); returns what was still held. */
  reclaim(): SlabBlock[] {
    const leaked = [...this.blocks.values()];
    this.blocks.clear();
    this.total = 0;
    return leaked;
  }
}
