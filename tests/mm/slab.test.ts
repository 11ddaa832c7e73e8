import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GFP } from "../../abi/gfp.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import { KMALLOC_MAX_SIZE, KmallocCache, kmallocSizeRoundup, ZERO_SIZE_PTR, type ModuleHeap } from "../../host/mm/slab.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, expectErrno, expectRefused, loadBytes, scratchDir, writeModuleSource } from "../helpers.js";

/** kmallocs 16 KiB blocks until the module's allocator, its memory at the cap, can no longer grow it. */
const GREEDY = `
import { kmalloc, GFP_KERNEL, ENOMEM } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function init_module(): i32 {
  for (let i = 0; i < 256; i++) if (kmalloc(16384, GFP_KERNEL) == 0) return -ENOMEM;
  return 0;
}
export function cleanup_module(): void {}
`;

let greedy: Uint8Array;
const scratch = scratchDir("slab");

beforeAll(async () => {
  const [r] = modpost([await compileModule(writeModuleSource(scratch.dir, "greedy", GREEDY), true)]);
  greedy = r!.binary;
});

afterAll(() => scratch.cleanup());

/** A bump allocator standing in for a module's heap, recording what the cache asks of it. */
function fakeHeap(limit = Infinity) {
  let next = 0x1000;
  const freed: number[] = [];
  const zeroed: [number, number][] = [];
  const heap: ModuleHeap = {
    alloc(size) {
      if (next + size > 0x1000 + limit) return 0;
      const p = next;
      next += size;
      return p;
    },
    free: (ptr) => void freed.push(ptr),
    zero: (ptr, size) => void zeroed.push([ptr, size]),
  };
  return { heap, freed, zeroed };
}

function cache(cap = 1 << 20, limit = Infinity) {
  const warnings: string[] = [];
  const h = fakeHeap(limit);
  const c = new KmallocCache("mod", cap, h.heap, (m) => void warnings.push(m));
  return { c, warnings, ...h };
}

describe("kmallocSizeRoundup", () => {
  it("serves small requests from the kmalloc caches", () => {
    const cases: [number, number][] = [[1, 8], [8, 8], [9, 16], [33, 64], [65, 96], [96, 96], [97, 128], [129, 192], [193, 256], [4097, 8192], [8192, 8192]];
    for (const [size, cls] of cases) expect(kmallocSizeRoundup(size), `${size}`).toBe(cls);
  });

  it("serves large requests in power-of-two pages", () => {
    expect(kmallocSizeRoundup(8193)).toBe(16384);
    expect(kmallocSizeRoundup(16384)).toBe(16384);
    expect(kmallocSizeRoundup(16385)).toBe(32768);
    expect(kmallocSizeRoundup(100000)).toBe(131072);
  });
});

describe("KmallocCache", () => {
  it("returns ZERO_SIZE_PTR (16) for kmalloc(0) without allocating", () => {
    const { c } = cache();
    expect(ZERO_SIZE_PTR).toBe(16);
    expect(c.kmalloc(0, GFP.GFP_KERNEL)).toBe(16);
    expect(c.bytes).toBe(0);
    expect(c.ksize(ZERO_SIZE_PTR)).toBe(0);
  });

  it("accounts the size class, which ksize reports", () => {
    const { c } = cache();
    const a = c.kmalloc(100, GFP.GFP_KERNEL);
    const b = c.kmalloc(10, GFP.GFP_KERNEL);
    expect(a).not.toBe(0);
    expect(b).not.toBe(a);
    expect(c.ksize(a)).toBe(128);
    expect(c.ksize(b)).toBe(16);
    expect(c.ksize(0x999999)).toBe(0);
    expect(c.bytes).toBe(144);
  });

  it("zeroes a block only for __GFP_ZERO", () => {
    const { c, zeroed } = cache();
    c.kmalloc(20, GFP.GFP_KERNEL);
    const p = c.kmalloc(20, GFP.GFP_KERNEL | GFP.__GFP_ZERO);
    expect(zeroed).toEqual([[p, 32]]);
  });

  it("frees blocks back to the heap and the accounting", () => {
    const { c, freed } = cache();
    const p = c.kmalloc(50, GFP.GFP_KERNEL);
    c.kfree(p);
    expect(freed).toEqual([p]);
    expect(c.bytes).toBe(0);
    expect(c.ksize(p)).toBe(0);
  });

  it("ignores kfree of NULL and ZERO_SIZE_PTR", () => {
    const { c, freed, warnings } = cache();
    c.kfree(0);
    c.kfree(ZERO_SIZE_PTR);
    expect(freed).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("warns about kfree of a pointer kmalloc did not return, and a double free", () => {
    const { c, freed, warnings } = cache();
    const p = c.kmalloc(8, GFP.GFP_KERNEL);
    c.kfree(0x1234);
    c.kfree(p);
    c.kfree(p);
    expect(warnings).toEqual([
      "mod: kfree of 00001234, which kmalloc did not return (double free?)",
      `mod: kfree of ${p.toString(16).padStart(8, "0")}, which kmalloc did not return (double free?)`,
    ]);
    expect(freed).toEqual([p]);
  });

  it("refuses past the cap with NULL and a warning", () => {
    const { c, warnings } = cache(256);
    expect(c.kmalloc(128, GFP.GFP_KERNEL)).not.toBe(0);
    expect(c.kmalloc(128, GFP.GFP_KERNEL)).not.toBe(0);
    expect(c.kmalloc(1, GFP.GFP_KERNEL)).toBe(0);
    expect(warnings).toEqual(["mod: kmalloc of 1 bytes failed, mode:0xcc0: over the module's cap (256 of 256 bytes in use)"]);
    expect(c.bytes).toBe(256);
  });

  it("stays silent with __GFP_NOWARN", () => {
    const { c, warnings } = cache(64);
    expect(c.kmalloc(128, GFP.GFP_KERNEL | GFP.__GFP_NOWARN)).toBe(0);
    expect(c.kmalloc(KMALLOC_MAX_SIZE + 1, GFP.GFP_ATOMIC | GFP.__GFP_NOWARN)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it("refuses more than KMALLOC_MAX_SIZE", () => {
    const { c, warnings } = cache(Infinity);
    expect(c.kmalloc(KMALLOC_MAX_SIZE + 1, GFP.GFP_KERNEL)).toBe(0);
    expect(warnings).toEqual([`mod: kmalloc of ${KMALLOC_MAX_SIZE + 1} bytes failed, mode:0xcc0: larger than KMALLOC_MAX_SIZE (${KMALLOC_MAX_SIZE})`]);
  });

  it("returns NULL with a warning when the module's heap is exhausted", () => {
    const { c, warnings } = cache(1 << 20, 64);
    expect(c.kmalloc(64, GFP.GFP_KERNEL)).not.toBe(0);
    expect(c.kmalloc(8, GFP.GFP_KERNEL)).toBe(0);
    expect(warnings).toEqual(["mod: kmalloc of 8 bytes failed, mode:0xcc0: the module's heap is exhausted"]);
    expect(c.bytes).toBe(64);
  });

  it("lets what the allocator throws through, unaccounted (the gate has made it an Oops)", () => {
    const { c, heap, warnings } = cache();
    const oops = new KernelError("EFAULT", "mod: Oops in __heap_alloc");
    heap.alloc = () => {
      throw oops;
    };
    expect(() => c.kmalloc(8, GFP.GFP_KERNEL)).toThrow(oops);
    expect(warnings).toEqual([]);
    expect(c.bytes).toBe(0);
  });

  it("reclaims what is still held and forgets it", () => {
    const { c, freed } = cache();
    const a = c.kmalloc(10, GFP.GFP_KERNEL);
    const b = c.kmalloc(3000, GFP.GFP_KERNEL);
    const d = c.kmalloc(5, GFP.GFP_KERNEL);
    c.kfree(d);
    const leaked = c.reclaim();
    expect(leaked.map((l) => [l.ptr, l.size, l.ksize])).toEqual([[a, 10, 16], [b, 3000, 4096]]);
    expect(c.bytes).toBe(0);
    expect(c.reclaim()).toEqual([]);
    expect(freed).toEqual([d]);
  });
});

describe("kmalloc in a module", () => {
  it("is NULL with kmalloc's warning when the module's allocator cannot grow its memory; the module lives on", () => {
    // 4 pages (256 KiB) of memory and no kmalloc cap to speak of: TLSF runs out growing past them.
    const k = new Kernel({ memoryMaxPages: 4, kmallocCap: 64 << 20 });
    expectRefused(k, () => k.insmod(greedy), "ENOMEM");
    const log = dmesg(k);
    expect(log.some((l) => l.startsWith("BUG:") || l.startsWith("Oops"))).toBe(false);
    expect(log).toContainEqual(expect.stringMatching(/^greedy: kmalloc of \d+ bytes failed, mode:0xcc0: the module's heap is exhausted$/));
    expect(k.taint.test("DIE")).toBe(false);
  });

  it("is NULL when the kernel allocates for a module past what its memory can hold, and the module goes on", () => {
    const k = new Kernel({ memoryMaxPages: 4 });
    k.insmod(loadBytes("hello"));
    const mod = k.modules.find("hello")!;
    k.log.clear();
    expect(mod.slab.kmalloc(1 << 20, GFP.GFP_KERNEL)).toBe(0);
    expect(dmesg(k)).toEqual(["hello: kmalloc of 1048576 bytes failed, mode:0xcc0: the module's heap is exhausted"]);
    expect(mod.dead).toBe(false);
    expect(mod.slab.kmalloc(64, GFP.GFP_KERNEL)).not.toBe(0);
    k.rmmod("hello");
  });
});
