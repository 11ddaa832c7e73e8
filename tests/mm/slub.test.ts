// The kmalloc fast path (host/mm/slub.ts): a module's kmalloc, kzalloc, kfree and ksize as wasm functions over its
// own memory, with the accounting, the warnings and the leak report of the cold path (host/mm/slab.ts).

import { describe, expect, it } from "vitest";
import { GFP } from "../../abi/gfp.js";
import { Kernel } from "../../host/init/main.js";
import { hex } from "../../host/mm/maccess.js";
import { kernelSymbolCrc } from "../../host/module/kallsyms.js";
import { bindKernelSymbols } from "../../host/module/ksyms.js";
import { dmesg, moduleFixtures } from "../helpers.js";

const fixtures = moduleFixtures("slub", {
  slubby: `
import { kfree, kmalloc, ksize, kzalloc } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function s_alloc(size: u32, flags: u32): usize { return kmalloc(size, flags); }
EXPORT_SYMBOL(s_alloc);
export function s_zalloc(size: u32): usize { return kzalloc(size, 0xcc0); }
EXPORT_SYMBOL(s_zalloc);
export function s_free(ptr: usize): void { kfree(ptr); }
EXPORT_SYMBOL(s_free);
export function s_ksize(ptr: usize): usize { return ksize(ptr); }
EXPORT_SYMBOL(s_ksize);
export function s_fill(ptr: usize, n: u32, value: u8): void { memory.fill(ptr, value, n); }
EXPORT_SYMBOL(s_fill);
export function s_sum(ptr: usize, n: u32): u32 { let s: u32 = 0; for (let i: u32 = 0; i < n; i++) s += load<u8>(ptr + i); return s; }
EXPORT_SYMBOL(s_sum);
export function s_poke(addr: usize, value: u32): void { store<u32>(addr, value); }
EXPORT_SYMBOL(s_poke);
export function s_greedy(size: u32): i32 { let n = 0; while (kmalloc(size, 0xcc0) != 0) n++; return n; }
EXPORT_SYMBOL(s_greedy);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`,
});

/** The fixture's functions, called as its own code calls kmalloc and friends. */
function slubby(k: Kernel) {
  const fn = <F>(name: string) => k.kallsyms.find(name)!.value as F;
  return {
    alloc: fn<(size: number, flags: number) => number>("s_alloc"),
    zalloc: fn<(size: number) => number>("s_zalloc"),
    free: fn<(ptr: number) => void>("s_free"),
    ksize: fn<(ptr: number) => number>("s_ksize"),
    fill: fn<(ptr: number, n: number, value: number) => void>("s_fill"),
    sum: fn<(ptr: number, n: number) => number>("s_sum"),
    poke: fn<(addr: number, value: number) => void>("s_poke"),
    greedy: fn<(size: number) => number>("s_greedy"),
  };
}

function loaded(opts: ConstructorParameters<typeof Kernel>[0] = {}) {
  const k = new Kernel(opts);
  const mod = k.insmod(fixtures.get("slubby")!);
  k.log.clear();
  return { k, mod, s: slubby(k) };
}

describe("the kmalloc fast path", () => {
  it("is bound to a module as wasm functions of its own; the symbols keep their CRC, licence and kallsyms entry", () => {
    const { k, mod } = loaded();
    const names = ["kmalloc", "kzalloc", "kfree", "ksize"] as const;
    const bound = bindKernelSymbols(k, mod, names);
    for (const name of names) {
      expect(bound.get(name)).toBe(mod.slab.fastPath()!.symbols.get(name));
      expect(String(bound.get(name))).toMatch(/^function \d+\(\) \{ \[native code\] \}$/);
      expect(k.kallsyms.find(name)).toEqual({ name, owner: null, crc: kernelSymbolCrc(name), gpl: false, type: "T" });
    }
  });

  it("is not bound with slub_debug on the command line: the checked path keeps each block's bookkeeping in the kernel", () => {
    const { k, mod, s } = loaded({ cmdline: "slub_debug" });
    const bound = bindKernelSymbols(k, mod, ["kmalloc", "kfree"]);
    expect(mod.slab.fastPath()).toBeDefined();
    expect(bound.get("kmalloc")).not.toBe(mod.slab.fastPath()!.symbols.get("kmalloc"));
    expect(String(bound.get("kmalloc"))).not.toMatch(/\[native code\]/);
    const a = s.alloc(40, GFP.GFP_KERNEL);
    expect([s.ksize(a), mod.slab.bytes]).toEqual([64, 64]);
    s.free(a);
    s.free(a);
    expect(dmesg(k)).toEqual([`slubby: kfree of ${hex(a)}, which kmalloc did not return (double free?)`]);
    expect(mod.slab.bytes).toBe(0);
  });

  it("accounts size classes with the kernel's own kmallocs, and ksize reports them", () => {
    const { mod, s } = loaded();
    const a = s.alloc(65, GFP.GFP_KERNEL);
    const b = s.alloc(130, GFP.GFP_KERNEL);
    const c = mod.slab.kmalloc(10, GFP.GFP_KERNEL);
    expect([s.ksize(a), s.ksize(b), s.ksize(c), mod.slab.ksize(a)]).toEqual([96, 192, 16, 96]);
    expect(mod.slab.bytes).toBe(96 + 192 + 16);
    s.free(c);
    mod.slab.kfree(a);
    s.free(b);
    expect(mod.slab.bytes).toBe(0);
    expect([s.alloc(0, GFP.GFP_KERNEL), s.ksize(16), s.ksize(0)]).toEqual([16, 0, 0]);
  });

  it("gives kzalloc's blocks as zeros, even where a freed block was written", () => {
    const { s } = loaded();
    const a = s.alloc(256, GFP.GFP_KERNEL);
    s.fill(a, 256, 0xff);
    s.free(a);
    const b = s.zalloc(256);
    expect(s.sum(b, 256)).toBe(0);
  });

  it("warns about kfree of a pointer kmalloc did not return and about a double free, the accounting untouched", () => {
    const { k, mod, s } = loaded();
    const a = s.alloc(100, GFP.GFP_KERNEL);
    s.free(a);
    s.free(a);
    s.free(0x1234);
    s.free(0x7fff_fff0);
    expect(dmesg(k)).toEqual([
      `slubby: kfree of ${hex(a)}, which kmalloc did not return (double free?)`,
      "slubby: kfree of 00001234, which kmalloc did not return (double free?)",
      "slubby: kfree of 7ffffff0, which kmalloc did not return (double free?)",
    ]);
    expect([mod.slab.bytes, mod.dead]).toEqual([0, false]);
  });

  it("refuses a block whose header the module overwrote: a warning, the block still accounted and reported", () => {
    const { k, mod, s } = loaded();
    const a = s.alloc(40, GFP.GFP_KERNEL);
    s.poke(a - 16, 0);
    s.free(a);
    expect(dmesg(k)).toEqual([`slubby: kfree of ${hex(a)}, which kmalloc did not return (double free?)`]);
    expect([mod.slab.bytes, s.ksize(a)]).toEqual([64, 0]);
  });

  it("reuses a freed block for the next kmalloc of its class, and drops a cached block the module wrote over", () => {
    const { k, mod, s } = loaded();
    const a = s.alloc(64, GFP.GFP_KERNEL);
    s.free(a);
    expect(s.alloc(60, GFP.GFP_KERNEL)).toBe(a);
    s.free(a);
    s.poke(a - 16, 0);
    const b = s.alloc(64, GFP.GFP_KERNEL);
    expect(b).not.toBe(a);
    s.free(b);
    s.poke(b - 16 + 12, 0x7fff_fff0);
    expect(s.alloc(64, GFP.GFP_KERNEL)).toBe(b);
    expect(s.alloc(64, GFP.GFP_KERNEL)).not.toBe(0);
    expect([dmesg(k), mod.dead, mod.slab.bytes]).toEqual([[], false, 128]);
  });

  it("turns a trap in the fast path (a header link the module pointed out of its memory) into an Oops of the module", () => {
    const { k, mod, s } = loaded();
    s.alloc(32, GFP.GFP_KERNEL);
    const b = s.alloc(32, GFP.GFP_KERNEL);
    // b's prev link, which kfree follows to unchain it.
    s.poke(b - 16 + 8, 0x7fff_fff0);
    expect(() => k.modules.call(mod, () => s.free(b))).toThrow(expect.objectContaining({ code: "EFAULT" }));
    expect(dmesg(k).some((l) => l.startsWith("BUG: unable to handle") || l.startsWith("Oops"))).toBe(true);
    expect(mod.dead).toBe(true);
    expect(mod.slab.bytes).toBe(0);
    k.log.clear();
    k.rmmod("slubby");
    expect(k.modules.find("slubby")).toBeUndefined();
  });

  it("refuses a kmalloc over the module's cap with the cold path's warning, and GFP_NOWARN quietly", () => {
    const { k, mod, s } = loaded({ kmallocCap: 4096 });
    expect(s.greedy(1024)).toBe(4);
    expect(s.alloc(8, GFP.GFP_KERNEL | GFP.__GFP_NOWARN)).toBe(0);
    expect(dmesg(k)).toEqual(["slubby: kmalloc of 1024 bytes failed, mode:0xcc0: over the module's cap (4096 of 4096 bytes in use)"]);
    expect(mod.slab.bytes).toBe(4096);
  });

  it("is NULL with the heap-exhausted warning when the memory is at its maximum, never a trap", () => {
    const { k, mod, s } = loaded({ memoryMaxPages: 4, kmallocCap: 64 << 20 });
    expect(s.greedy(4096)).toBeGreaterThan(0);
    expect(dmesg(k)).toEqual(["slubby: kmalloc of 4096 bytes failed, mode:0xcc0: the module's heap is exhausted"]);
    expect([mod.dead, k.taint.test("DIE")]).toEqual([false, false]);
  });

  it("reports what the module leaked at rmmod, oldest first, the kernel's blocks after its own", () => {
    const { k, mod, s } = loaded();
    const a = s.alloc(100, GFP.GFP_KERNEL);
    const host = mod.slab.kmalloc(50, GFP.GFP_KERNEL);
    const b = s.zalloc(3000);
    const c = s.alloc(8, GFP.GFP_KERNEL);
    s.free(c);
    k.rmmod("slubby");
    expect(dmesg(k)).toEqual([
      `slubby: leaked 100 bytes of kmalloc memory at ${hex(a)}; reclaimed`,
      `slubby: leaked 3000 bytes of kmalloc memory at ${hex(b)}; reclaimed`,
      `slubby: leaked 50 bytes of kmalloc memory at ${hex(host)}; reclaimed`,
    ]);
    expect(mod.slab.bytes).toBe(0);
  });
});
