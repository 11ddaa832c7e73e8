// Interrupt handlers in modules, against the emulated PIT: one that traps, one that never claims its
// interrupts, and a line shared between a good handler and a bad one.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, scratchDir, writeModuleSource } from "../helpers.js";

/** A module that programs the PIT at `hz` and puts `body` in its IRQ 0 handler, on a shared line. */
const pitDriver = (hz: number, body: string) => `
import { free_irq, IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, outb, release_region, request_irq, request_region } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let calls: i32 = 0;
function handler(irq: i32, dev: u32): i32 { calls++; ${body} }
export function init_module(): i32 {
  const divisor = 1193182 / ${hz};
  if (!request_region(0x40, 4, "timer0")) return -16;
  outb(0x34, 0x43);
  outb(divisor & 0xff, 0x40);
  outb(divisor >> 8, 0x40);
  return request_irq(0, handler.index, IRQF_SHARED, "pitdrv", 7);
}
export function cleanup_module(): void {
  free_irq(0, 7);
  release_region(0x40, 4);
}
`;

/** A second handler on IRQ 0 that always claims the interrupt. */
const WITNESS = `
import { free_irq, IRQ_HANDLED, IRQF_SHARED, request_irq } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let seen: i32 = 0;
function handler(irq: i32, dev: u32): i32 { seen++; return IRQ_HANDLED; }
export function init_module(): i32 { return request_irq(0, handler.index, IRQF_SHARED, "witness", 9); }
export function cleanup_module(): void { free_irq(0, 9); }
`;

const fixtures = new Map<string, Uint8Array>();
const scratch = scratchDir("irq");

beforeAll(async () => {
  const sources: [string, string][] = [
    ["trapper_irq", pitDriver(100, "return load<i32>(<usize>0xfffffff0);")],
    ["deaf_irq", pitDriver(1_000_000, "return IRQ_NONE;")],
    ["witness", WITNESS],
  ];
  const objs = [];
  for (const [name, source] of sources) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
  for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
});

afterAll(() => scratch.cleanup());

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
  k.machine.attach("pit");
});

describe("an interrupt handler that traps", () => {
  it("is an Oops; the handler is removed and the shared line keeps working for the others", () => {
    k.insmod(fixtures.get("witness")!);
    k.insmod(fixtures.get("trapper_irq")!);
    k.log.clear();
    k.tick(5e7);
    const lines = dmesg(k);
    expect(lines[0]).toBe("BUG: wasm trap in trapper_irq: memory access out of bounds");
    expect(lines.some((l) => l.startsWith("RIP: handler [trapper_irq] "))).toBe(true);
    expect(k.read("/proc/modules")).toMatch(/^trapper_irq \d+ 0 \[dead\], Live/m);
    expect(k.read("/proc/interrupts")).toMatch(/ {2}0: +\d+ +XT-PIC +0-edge +witness\n$/);
    const count = () => Number(/ 0: +(\d+)/.exec(k.read("/proc/interrupts"))![1]);
    // 100 Hz for 50 ms: five interrupts, the first of which the trapper's handler took down with it.
    expect(count()).toBe(5);
    k.tick(5e7);
    expect(count()).toBe(10);
    // One Oops, and nothing logged since: the dead handler is not called again.
    expect(lines.filter((l) => l.startsWith("BUG:"))).toHaveLength(1);
    expect(dmesg(k)).toEqual(lines);
  });
});

describe("an interrupt nobody handles", () => {
  it("disables the line after 100,000: irq 0: nobody cared", () => {
    k.insmod(fixtures.get("deaf_irq")!);
    k.log.clear();
    k.tick(1.2e8);
    expect(dmesg(k)).toEqual([
      'irq 0: nobody cared (try booting with the "irqpoll" option)',
      "handlers:",
      "[<0000000000000000>] pitdrv",
      "Disabling IRQ #0",
    ]);
    const count = Number(/ 0: +(\d+)/.exec(k.read("/proc/interrupts"))![1]);
    expect(count).toBe(100_000);
    k.tick(1e7);
    expect(Number(/ 0: +(\d+)/.exec(k.read("/proc/interrupts"))![1])).toBe(100_000);
  });
});
