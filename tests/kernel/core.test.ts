// The kernel core in wasm (host/kernel/core.ts): get_jiffies and the module references as wasm-to-wasm calls, their
// state out of modules' reach.

import { describe, expect, it } from "vitest";
import { HZ } from "../../abi/poll.js";
import { Kernel } from "../../host/init/main.js";
import { kernelSymbolCrc } from "../../host/module/kallsyms.js";
import { bindKernelSymbols } from "../../host/module/ksyms.js";
import { INITIAL_JIFFIES } from "../../host/kernel/time/timer.js";
import { dmesg, expectRefused, loadBytes, moduleFixtures } from "../helpers.js";

const fixtures = moduleFixtures("kcore", {
  ticker: `
import { get_jiffies } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function ticker_jiffies(): u32 { return get_jiffies(); }
EXPORT_SYMBOL(ticker_jiffies);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`,
  holder: `
import { module_put, module_refcount, THIS_MODULE, try_module_get } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let going_refcount: i32 = 0;
export function hold_get(h: u32): bool { return try_module_get(h); }
EXPORT_SYMBOL(hold_get);
export function hold_put(h: u32): void { module_put(h); }
EXPORT_SYMBOL(hold_put);
export function hold_count(h: u32): i32 { return module_refcount(h); }
EXPORT_SYMBOL(hold_count);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void { going_refcount = module_refcount(THIS_MODULE); }
`,
  peeker: `
// @ts-ignore: decorator
@external("kernel", "memory")
declare function memory(): u32;
MODULE_LICENSE("GPL");
export function init_module(): i32 { return <i32>memory(); }
export function cleanup_module(): void {}
`,
  forger: `
// @ts-ignore: decorator
@external("kernel", "set_jiffies")
declare function set_jiffies(value: u32): void;
MODULE_LICENSE("GPL");
export function init_module(): i32 { set_jiffies(0); return 0; }
export function cleanup_module(): void {}
`,
});

/** The jiffies a module reads with get_jiffies, as a u32. */
function moduleJiffies(k: Kernel): number {
  return (k.kallsyms.find("ticker_jiffies")!.value as () => number)() >>> 0;
}

describe("get_jiffies in the kernel core", () => {
  it("reads the clock's jiffies from a module, as time moves and across the 32-bit wrap", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("ticker")!);
    expect(moduleJiffies(k)).toBe(INITIAL_JIFFIES);
    k.tick(1e9);
    expect(moduleJiffies(k)).toBe(INITIAL_JIFFIES + HZ);
    k.tick(300e9);
    expect(moduleJiffies(k)).toBe(k.clock.jiffies);
    expect(k.clock.jiffies).toBe(HZ);
  });

  it("keeps each kernel's jiffies its own", () => {
    const [a, b] = [new Kernel(), new Kernel()];
    a.insmod(fixtures.get("ticker")!);
    b.insmod(fixtures.get("ticker")!);
    a.tick(5e9);
    expect([moduleJiffies(a), moduleJiffies(b)]).toEqual([INITIAL_JIFFIES + 5 * HZ, INITIAL_JIFFIES]);
  });

  it("is bound to a module as the core's wasm function, the symbol unchanged in kallsyms", () => {
    const k = new Kernel();
    const mod = k.insmod(fixtures.get("ticker")!);
    expect(bindKernelSymbols(k, mod, ["get_jiffies"]).get("get_jiffies")).toBe(k.core.symbols.get("get_jiffies"));
    expect(String(k.core.symbols.get("get_jiffies"))).toMatch(/^function \d+\(\) \{ \[native code\] \}$/);
    expect(k.kallsyms.find("get_jiffies")).toEqual({ name: "get_jiffies", owner: null, crc: kernelSymbolCrc("get_jiffies"), gpl: false, type: "T" });
    expect(k.read("/proc/kallsyms")).toContain("0000000000000000 T get_jiffies\n");
  });

  it("gives no module a way to write the core's state: set_jiffies is an unknown symbol", () => {
    const k = new Kernel();
    k.log.clear();
    expectRefused(k, () => k.insmod(fixtures.get("forger")!), "ENOENT", "forger: Unknown symbol set_jiffies (err -2)");
    expect(k.clock.jiffies).toBe(INITIAL_JIFFIES);
  });
});

/** The holder fixture's reference functions, as a module calls them (through the core's wasm functions). */
function holder(k: Kernel) {
  const fn = <F>(name: string) => k.kallsyms.find(name)!.value as F;
  return {
    get: fn<(h: number) => number>("hold_get"),
    put: fn<(h: number) => void>("hold_put"),
    count: fn<(h: number) => number>("hold_count"),
  };
}

/** Modules that load alone, as targets of references. */
const TARGETS = ["hello", "counter", "dummy", "ticker", "sys_hello", "memdev", "scull"] as const;

describe("module references in the kernel core", () => {
  it("binds try_module_get, module_put and module_refcount as wasm functions of the module's own, symbols unchanged in kallsyms", () => {
    const k = new Kernel();
    const a = k.insmod(fixtures.get("holder")!);
    const bound = bindKernelSymbols(k, a, ["try_module_get", "module_put", "module_refcount"]);
    for (const name of ["try_module_get", "module_put", "module_refcount"] as const) {
      expect(String(bound.get(name))).toMatch(/^function \d+\(\) \{ \[native code\] \}$/);
      expect(k.kallsyms.find(name)).toEqual({ name, owner: null, crc: kernelSymbolCrc(name), gpl: false, type: "T" });
    }
    expect(bindKernelSymbols(k, a, ["module_put"]).get("module_put")).toBe(bound.get("module_put"));
    const b = k.insmod(loadBytes("hello"));
    expect(bindKernelSymbols(k, b, ["module_put"]).get("module_put")).not.toBe(bound.get("module_put"));
  });

  it("counts a module's references where lsmod and rmmod see them, and only its own puts drop them", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    const hello = k.insmod(loadBytes("hello"));
    const h = holder(k);
    expect([h.get(hello.handle), h.get(hello.handle), h.count(hello.handle)]).toEqual([1, 1, 2]);
    expect(hello.refcnt).toBe(2);
    expect(k.read("/sys/module/hello/refcnt")).toBe("2\n");
    expectRefused(k, () => k.rmmod("hello"), "EAGAIN", "hello: module is in use (refcount 2)");
    h.put(hello.handle);
    h.put(hello.handle);
    k.log.clear();
    h.put(hello.handle);
    expect(dmesg(k)).toEqual(["holder: module_put of hello without a reference"]);
    expect(h.count(hello.handle)).toBe(0);
    k.rmmod("hello");
  });

  it("does not let a put drop a reference the kernel holds (an open file's, say)", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    const hello = k.insmod(loadBytes("hello"));
    hello.refcnt++;
    k.log.clear();
    holder(k).put(hello.handle);
    expect(dmesg(k)).toEqual(["holder: module_put of hello without a reference"]);
    expect(holder(k).count(hello.handle)).toBe(1);
  });

  it("answers NULL, unknown and gone handles as before: NULL always succeeds, the others fail, -EINVAL, a warning", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    const hello = k.insmod(loadBytes("hello"));
    const h = holder(k);
    expect([h.get(0), h.count(0)]).toEqual([1, -22]);
    k.rmmod("hello");
    const again = k.insmod(loadBytes("hello"));
    expect(again.handle).not.toBe(hello.handle);
    expect([h.get(hello.handle), h.count(hello.handle), h.count(again.handle)]).toEqual([0, -22, 0]);
    expect([h.get(hello.handle + (1 << 16)), h.get(-1)]).toEqual([0, 0]);
    k.log.clear();
    h.put(hello.handle);
    expect(dmesg(k)).toEqual([`holder: module_put of unknown module ${hello.handle} without a reference`]);
  });

  it("keeps references on more modules than the core's slots hold, and drops each at unload with a line per module", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    const targets = TARGETS.map((name) => k.insmod(loadBytes(name)));
    const h = holder(k);
    for (const t of targets) expect([h.get(t.handle), h.get(t.handle)]).toEqual([1, 1]);
    expect(targets.map((t) => t.refcnt)).toEqual(TARGETS.map(() => 2));
    h.put(targets[6]!.handle);
    h.put(targets[0]!.handle);
    expect(h.get(targets[6]!.handle)).toBe(1);
    expect(targets.map((t) => k.modules.find("holder")!.held.get(t))).toEqual([1, 2, 2, 2, 2, 2, 2]);
    k.log.clear();
    k.rmmod("holder");
    expect(dmesg(k)).toEqual(TARGETS.map((name, i) => `holder: ${i === 0 ? 1 : 2} reference(s) on module ${name} still held at unload; dropped`));
    expect(targets.map((t) => t.refcnt)).toEqual(TARGETS.map(() => 0));
  });

  it("refuses references on a module going away or dead, and reads -1 as it unloads", () => {
    const k = new Kernel();
    const holderMod = k.insmod(fixtures.get("holder")!);
    const faulty = k.insmod(loadBytes("hello"));
    faulty.dead = true;
    expect(holder(k).get(faulty.handle)).toBe(0);
    faulty.dead = false;
    expect(holder(k).get(faulty.handle)).toBe(1);
    holder(k).put(faulty.handle);
    k.rmmod("holder");
    expect((holderMod.exports!.raw["going_refcount"] as WebAssembly.Global).value).toBe(-1);
  });

  it("keeps a reference on a module forced out, named at the holder's unload; a put of it warns", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    const hello = k.insmod(loadBytes("hello"));
    expect(holder(k).get(hello.handle)).toBe(1);
    k.rmmod("hello", true);
    k.log.clear();
    holder(k).put(hello.handle);
    k.rmmod("holder");
    expect(dmesg(k)).toEqual([
      `holder: module_put of unknown module ${hello.handle} without a reference`,
      "holder: 1 reference(s) on module hello still held at unload; dropped",
    ]);
  });

  it("gives a module no way to the core's memory or its cold paths: they are unknown symbols", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("holder")!);
    expectRefused(k, () => k.insmod(fixtures.get("peeker")!), "ENOENT", "peeker: Unknown symbol memory (err -2)");
    expect(["memory", "caller", "get_slow", "put_slow"].map((name) => k.kallsyms.find(name))).toEqual([undefined, undefined, undefined, undefined]);
  });
});
