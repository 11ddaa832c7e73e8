// The kernel core in wasm (host/kernel/core.ts): get_jiffies as a wasm-to-wasm call, its state out of modules' reach.

import { describe, expect, it } from "vitest";
import { HZ } from "../../abi/poll.js";
import { Kernel } from "../../host/init/main.js";
import { kernelSymbolCrc } from "../../host/module/kallsyms.js";
import { bindKernelSymbols } from "../../host/module/ksyms.js";
import { INITIAL_JIFFIES } from "../../host/kernel/time/timer.js";
import { expectRefused, moduleFixtures } from "../helpers.js";

const fixtures = moduleFixtures("kcore", {
  ticker: `
import { get_jiffies } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function ticker_jiffies(): u32 { return get_jiffies(); }
EXPORT_SYMBOL(ticker_jiffies);
export function init_module(): i32 { return 0; }
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
