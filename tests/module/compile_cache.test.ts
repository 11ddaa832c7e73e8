// The compiled-module cache (host/module/compile_cache.ts): a binary compiled once per process, whoever loads it.

import { describe, expect, it } from "vitest";
import { appendCustomSection } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import { CompiledModules, compiledModules } from "../../host/module/compile_cache.js";
import { loadBytes, setModinfo } from "../helpers.js";

/** The smallest module: a type-free binary with one custom section making its bytes unique. */
function tiny(tag: string): Uint8Array {
  return appendCustomSection(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]), "tag", new TextEncoder().encode(tag));
}

const compile = (bytes: Uint8Array) => () => new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);

describe("CompiledModules", () => {
  it("compiles a binary once per variant and hands back the same module after", () => {
    const cache = new CompiledModules({ entries: 8, bytes: 1 << 20 });
    const a = tiny("a");
    const first = cache.get(a, "x", compile(a));
    expect(cache.get(new Uint8Array(a), "x", () => expect.fail("compiled again"))).toBe(first);
    expect(cache.get(a, "y", compile(a))).not.toBe(first);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, entries: 2, bytes: 2 * a.length });
  });

  it("keeps at most its entries and bytes, dropping the least recently used", () => {
    const [a, b, c] = ["a", "b", "c"].map(tiny) as [Uint8Array, Uint8Array, Uint8Array];
    const cache = new CompiledModules({ entries: 2, bytes: 1 << 20 });
    const ma = cache.get(a, "", compile(a));
    cache.get(b, "", compile(b));
    cache.get(a, "", () => expect.fail("a was dropped"));
    cache.get(c, "", compile(c));
    expect(cache.stats().entries).toBe(2);
    expect(cache.get(a, "", () => expect.fail("a was dropped"))).toBe(ma);
    let recompiled = false;
    cache.get(b, "", () => ((recompiled = true), compile(b)()));
    expect(recompiled).toBe(true);
    const small = new CompiledModules({ entries: 8, bytes: a.length });
    small.get(a, "", compile(a));
    small.get(b, "", compile(b));
    expect(small.stats()).toMatchObject({ entries: 1, bytes: b.length });
  });

  it("caches nothing when the compile throws", () => {
    const cache = new CompiledModules({ entries: 8, bytes: 1 << 20 });
    const junk = new Uint8Array([1, 2, 3]);
    expect(() => cache.get(junk, "", compile(junk))).toThrow(WebAssembly.CompileError);
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, entries: 0, bytes: 0 });
  });
});

describe("the loader's cache", () => {
  it("compiles a module loaded again, or by another kernel, only once; a renamed one afresh", () => {
    const bytes = appendCustomSection(loadBytes("hello"), "test.nonce", new TextEncoder().encode(`${process.pid}-${Date.now()}`));
    const k = new Kernel();
    const before = compiledModules.stats();
    const first = k.insmod(bytes);
    k.rmmod("hello");
    const again = k.insmod(bytes);
    const other = new Kernel().insmod(bytes);
    expect(compiledModules.stats()).toMatchObject({ hits: before.hits + 2, misses: before.misses + 1 });
    expect([first.state, again.state, other.state]).toEqual(["UNFORMED", "LIVE", "LIVE"]);
    expect(k.read("/proc/modules")).toMatch(/^hello \d+ 0 - Live /);
    new Kernel().insmod(setModinfo(bytes, "name", "hello2"));
    expect(compiledModules.stats().misses).toBe(before.misses + 2);
  });

  it("keeps budget-checked and unchecked compiles apart", () => {
    const bytes = appendCustomSection(loadBytes("hello"), "test.nonce", new TextEncoder().encode(`bare-${Date.now()}`));
    const before = compiledModules.stats();
    new Kernel().insmod(bytes);
    new Kernel({ softlockupDetector: false }).insmod(bytes);
    new Kernel({ softlockupDetector: false }).insmod(bytes);
    expect(compiledModules.stats()).toMatchObject({ hits: before.hits + 1, misses: before.misses + 2 });
  });
});
