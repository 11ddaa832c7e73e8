// The compiled-module cache: a module's binary, as the loader rewrote it, compiled once per process.
//
// Loading the same module again (rmmod then insmod, modprobe after modprobe -r, or another kernel in the
// same process) finds its WebAssembly.Module here by the hash of the bytes it was made from and the
// rewrite applied, and skips the watchdog's rewrite and V8's compile. A WebAssembly.Module is immutable
// and holds no instance state, so kernels can share one. The cache is bounded in entries and in bytes,
// the least recently used going first.

import { createHash } from "node:crypto";

export interface CacheLimits {
  readonly entries: number;
  /** The binaries' bytes, together. */
  readonly bytes: number;
}

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

interface Entry {
  readonly wasm: WebAssembly.Module;
  readonly size: number;
}

export class CompiledModules {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly limits: CacheLimits) {}

  /**
   * The module compiled from `bytes` under `variant` (what the rewrite depends on besides the bytes), made
   * by `compile` on a miss. A compile that throws caches nothing.
   */
  get(bytes: Uint8Array, variant: string, compile: () => WebAssembly.Module): WebAssembly.Module {
    const key = `${variant}\0${createHash("sha256").update(bytes).digest("base64")}`;
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.wasm;
    }
    this.misses++;
    const wasm = compile();
    this.entries.set(key, { wasm, size: bytes.length });
    this.bytes += bytes.length;
    this.evict();
    return wasm;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.limits.entries && this.bytes <= this.limits.bytes) return;
      this.entries.delete(key);
      this.bytes -= entry.size;
    }
  }
}

/** The process's cache, shared by every kernel in it: 1,024 modules or 64 MiB of binaries. */
export const compiledModules = new CompiledModules({ entries: 1024, bytes: 64 << 20 });
