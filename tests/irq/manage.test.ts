// The interrupt controller on its own: edges, masking, sharing, the kernel's own running, spurious lines.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  IRQ_HANDLED, IRQ_NONE, IRQF_ONESHOT, IRQF_PERCPU, IRQF_PROBE_SHARED, IRQF_SHARED, IRQF_TRIGGER_FALLING, IRQF_TRIGGER_RISING,
} from "../../abi/irq.js";
import { Kernel } from "../../host/init/main.js";
import { type IrqAction } from "../../host/irq/manage.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, expectErrno, expectRefused, scratchDir, writeModuleSource } from "../helpers.js";

/** A module whose handler on IRQ 6 (shared, dev_id 1, named "bad") traps. */
const IRQ_TRAP = `
import { free_irq, IRQF_SHARED, request_irq } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
function handler(irq: i32, dev: u32): i32 { return load<i32>(<usize>0xfffffff0); }
export function init_module(): i32 { return request_irq(6, handler.index, IRQF_SHARED, "bad", 1); }
export function cleanup_module(): void { free_irq(6, 1); }
`;

let irqTrap: Uint8Array;
const scratch = scratchDir("manage");

beforeAll(async () => {
  const [r] = modpost([await compileModule(writeModuleSource(scratch.dir, "irq_trap", IRQ_TRAP), true)]);
  irqTrap = r!.binary;
});

afterAll(() => scratch.cleanup());

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

function action(name: string, handler: IrqAction["handler"], flags = 0, devId = 1): IrqAction {
  return { name, flags, devId, owner: null, handler };
}

/** A handler that counts its calls and answers `ret`. */
function counter(ret: number): { calls: number; fn: IrqAction["handler"] } {
  const c = { calls: 0, fn: (() => 0) as IrqAction["handler"] };
  c.fn = () => {
    c.calls++;
    return ret;
  };
  return c;
}

const edge = (irq: number) => {
  k.irqs.setLevel(irq, true);
  k.irqs.setLevel(irq, false);
};

describe("interrupt delivery", () => {
  it("takes one interrupt per rising edge, not per level", () => {
    const h = counter(IRQ_HANDLED);
    k.irqs.request(4, action("serial", h.fn));
    k.irqs.setLevel(4, true);
    k.irqs.setLevel(4, true);
    expect(h.calls).toBe(1);
    k.irqs.setLevel(4, false);
    k.irqs.setLevel(4, true);
    expect(h.calls).toBe(2);
  });

  it("holds an edge while the line is disabled and delivers it on enable, once", () => {
    const h = counter(IRQ_HANDLED);
    k.irqs.request(3, action("x", h.fn));
    k.irqs.disable(3);
    k.irqs.disable(3);
    edge(3);
    edge(3);
    k.irqs.enable(3);
    expect(h.calls).toBe(0);
    k.irqs.enable(3);
    expect(h.calls).toBe(1);
    expect(() => k.irqs.enable(3)).toThrow(expect.objectContaining({ code: "EINVAL", message: "Unbalanced enable for IRQ 3" }));
    expect(dmesg(k)).toContain("Unbalanced enable for IRQ 3");
  });

  it("waits while kernel code runs and delivers when it returns", () => {
    const h = counter(IRQ_HANDLED);
    k.irqs.request(5, action("x", h.fn));
    k.irqs.enter(() => {
      edge(5);
      expect(h.calls).toBe(0);
    });
    expect(h.calls).toBe(1);
  });

  it("calls every handler on a shared line and counts the interrupt once", () => {
    const a = counter(IRQ_HANDLED);
    const b = counter(IRQ_NONE);
    k.irqs.request(7, action("a", a.fn, IRQF_SHARED, 1));
    k.irqs.request(7, action("b", b.fn, IRQF_SHARED, 2));
    edge(7);
    expect([a.calls, b.calls]).toEqual([1, 1]);
    expect(k.read("/proc/interrupts")).toBe("           CPU0       \n  7:          1    XT-PIC   7-edge      a, b\n");
  });

  it("refuses to share without IRQF_SHARED on both, with Linux's message, and SHARED without dev_id", () => {
    k.irqs.request(9, action("first", () => IRQ_HANDLED, IRQF_SHARED, 1));
    expect(() => k.irqs.request(9, action("second", () => IRQ_HANDLED, 0, 2))).toThrow(expect.objectContaining({ code: "EBUSY" }));
    expect(dmesg(k)).toContain("genirq: Flags mismatch irq 9. 00000000 (second) vs. 00000080 (first)");
    expect(() => k.irqs.request(10, action("x", () => 1, IRQF_SHARED, 0))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => k.irqs.request(16, action("x", () => 1))).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("shares a line only between handlers alike in trigger, IRQF_ONESHOT and IRQF_PERCPU", () => {
    const interrupts = () => k.read("/proc/interrupts");
    k.irqs.request(3, action("first", () => IRQ_HANDLED, IRQF_SHARED | IRQF_TRIGGER_RISING | IRQF_ONESHOT, 1));
    const refusals: [string, number, string][] = [
      ["falling", IRQF_SHARED | IRQF_TRIGGER_FALLING | IRQF_ONESHOT, "00002082"],
      ["threaded", IRQF_SHARED | IRQF_TRIGGER_RISING, "00000081"],
      ["percpu", IRQF_SHARED | IRQF_TRIGGER_RISING | IRQF_ONESHOT | IRQF_PERCPU, "00002481"],
    ];
    for (const [name, flags, hex] of refusals) {
      k.log.clear();
      expectRefused(interrupts, () => k.irqs.request(3, action(name, () => IRQ_HANDLED, flags, 2)), "EBUSY", `${name}: irq 3 is busy`);
      expect(dmesg(k)).toEqual([`genirq: Flags mismatch irq 3. ${hex} (${name}) vs. 00002081 (first)`]);
    }
    k.irqs.request(3, action("alike", () => IRQ_HANDLED, IRQF_SHARED | IRQF_TRIGGER_RISING | IRQF_ONESHOT, 2));
    expect(interrupts()).toBe("           CPU0       \n  3:          0    XT-PIC   3-edge      first, alike\n");
  });

  it("says nothing of a mismatch when either asks only to probe (IRQF_PROBE_SHARED)", () => {
    k.irqs.request(3, action("first", () => IRQ_HANDLED, IRQF_SHARED, 1));
    k.log.clear();
    expectErrno(() => k.irqs.request(3, action("probe", () => IRQ_HANDLED, IRQF_PROBE_SHARED, 2)), "EBUSY", "probe: irq 3 is busy");
    expect(dmesg(k)).toEqual([]);
  });

  it("removes a module's handler that traps (an Oops) and keeps the line for the others", () => {
    k.insmod(irqTrap);
    const good = counter(IRQ_HANDLED);
    k.irqs.request(6, action("good", good.fn, IRQF_SHARED, 2));
    expect(k.read("/proc/interrupts")).toContain("6-edge      bad, good\n");
    k.log.clear();
    edge(6);
    edge(6);
    expect(good.calls).toBe(2);
    expect(k.read("/proc/interrupts")).toMatch(/ {2}6: +2 +XT-PIC +6-edge +good\n/);
    const log = dmesg(k);
    expect(log.filter((l) => l.startsWith("BUG: "))).toEqual(["BUG: wasm trap in irq_trap: memory access out of bounds"]);
    expect(log.some((l) => l.startsWith("RIP: handler [irq_trap] "))).toBe(true);
    expect(k.read("/proc/modules")).toMatch(/^irq_trap \d+ 0 \[dead\], Live /);
  });

  it("warns on a bogus return value and on freeing an irq twice", () => {
    k.irqs.request(11, action("odd", () => 7));
    edge(11);
    expect(dmesg(k)).toContain("irq event 11: bogus return value 7");
    k.irqs.free(11, 1, null);
    expect(() => k.irqs.free(11, 1, null)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(dmesg(k)).toContain("Trying to free already-free IRQ 11");
  });

  it("disables a line nobody handles after 99,900 of 100,000 interrupts: irq N: nobody cared", () => {
    const h = counter(IRQ_NONE);
    k.irqs.request(12, action("deaf", h.fn));
    for (let i = 0; i < 100_000; i++) edge(12);
    expect(dmesg(k)).toEqual([
      'irq 12: nobody cared (try booting with the "irqpoll" option)',
      "handlers:",
      "[<0000000000000000>] deaf",
      "Disabling IRQ #12",
    ]);
    expect(k.irqs.isDisabled(12)).toBe(true);
    edge(12);
    expect(h.calls).toBe(100_000);
  });

  it("leaves a line alone when enough of its interrupts are handled", () => {
    let n = 0;
    k.irqs.request(13, action("sometimes", () => (++n % 500 === 0 ? IRQ_HANDLED : IRQ_NONE)));
    for (let i = 0; i < 100_000; i++) edge(13);
    expect(k.irqs.isDisabled(13)).toBe(false);
    expect(dmesg(k)).toEqual([]);
  });
});
