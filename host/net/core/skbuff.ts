// Socket buffers (net/core/skbuff.c): a frame's bytes with room before and after, in the memory of
// whoever holds it.
//
// A driver's buffer lies in its own linear memory (a kmalloc block), so it fills a received frame in place
// through skb_put and reads a frame to send through skb_data; the stack's own buffers are host bytes.
// Either way the layout is Linux's:
//
//   head          data              tail            end
//    ├─ headroom ──┼──── len bytes ───┼── tailroom ───┤
//
// The stack copies a frame out of a driver's memory when netif_rx takes it and into the driver's memory
// when it hands one to ndo_start_xmit; in between it is a plain Uint8Array.

import type { Module } from "../../module/internal.js";

/** Where a buffer's bytes live: a module's memory (a kmalloc block there) or the host's. */
export interface SkbSpace {
  readonly owner: Module | null;
  /** A view of len bytes at ptr, valid until the memory next grows. */
  bytes(ptr: number, len: number): Uint8Array;
  free(ptr: number): void;
}

/** NET_SKB_PAD: the headroom dev_alloc_skb leaves for headers pushed later. */
export const NET_SKB_PAD = 32;

export class SkBuff {
  data: number;
  tail: number;
  /** Where eth_type_trans found the link-layer header (skb_mac_header), or -1. */
  mac = -1;
  /** The net device it came from or goes to (skb->dev). */
  dev: object | null = null;
  /** ETH_P_*, host order. */
  protocol = 0;
  freed = false;

  constructor(
    readonly space: SkbSpace,
    readonly head: number,
    readonly end: number,
  ) {
    this.data = head;
    this.tail = head;
  }

  get len(): number {
    return this.tail - this.data;
  }

  /** skb_put(): the new tail bytes' address, or null past the end (skb_over_panic). */
  put(len: number): number | null {
    if (this.tail + len > this.end) return null;
    const at = this.tail;
    this.tail += len;
    return at;
  }

  /** skb_push(): the new start, or null before the head (skb_under_panic). */
  push(len: number): number | null {
    if (this.data - len < this.head) return null;
    this.data -= len;
    return this.data;
  }

  /** skb_pull(): the new start, or null if the data is shorter than len. */
  pull(len: number): number | null {
    if (len > this.len) return null;
    this.data += len;
    return this.data;
  }

  /** skb_reserve(): headroom in an empty buffer; false if it is not empty or too small. */
  reserve(len: number): boolean {
    if (this.len !== 0 || this.tail + len > this.end) return false;
    this.data += len;
    this.tail += len;
    return true;
  }

  /** A copy of the bytes from `from` (default: data) to the tail. */
  copy(from = this.data): Uint8Array {
    return this.space.bytes(from, this.tail - from).slice();
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.space.free(this.head);
  }
}

/** A buffer of the stack's own: host bytes, freed by the garbage collector. */
export function hostSkb(size: number, headroom = 0): SkBuff {
  const mem = new Uint8Array(size + headroom);
  const skb = new SkBuff({ owner: null, bytes: (p, n) => mem.subarray(p, p + n), free: () => {} }, 0, mem.length);
  skb.reserve(headroom);
  return skb;
}

/** A buffer of size bytes in a module's memory (alloc_skb), or null when its heap is short. */
export function moduleSkb(mod: Module, size: number, flags: number): SkBuff | null {
  const ptr = mod.slab.kmalloc(Math.max(size, 1), flags);
  if (ptr === 0) return null;
  return new SkBuff({ owner: mod, bytes: (p, n) => mod.memory.bytes(p, n), free: (p) => mod.slab.kfree(p) }, ptr, ptr + size);
}
