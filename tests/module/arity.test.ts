import { describe, expect, it } from "vitest";
import { withArity } from "../../host/module/arity.js";

describe("withArity", () => {
  it("gives a variadic function the declared parameters and forwards every argument", () => {
    const seen: unknown[][] = [];
    const printk = (level: number, fmt: number, ...args: number[]) => {
      seen.push([level, fmt, ...args]);
      return 7;
    };
    const bound = withArity(printk, 8) as (...a: number[]) => number;
    expect(bound.length).toBe(8);
    expect(bound(1, 2, 3, 4, 5, 6, 7, 8)).toBe(7);
    expect(seen).toEqual([[1, 2, 3, 4, 5, 6, 7, 8]]);
  });

  it("keeps a function that already has them, a memory, and an arity it has no adapter for", () => {
    const abort = (_a: number, _b: number, _c: number, _d: number) => {};
    const memory = new WebAssembly.Memory({ initial: 1 });
    const variadic = (..._args: number[]) => 0;
    expect(withArity(abort, 4)).toBe(abort);
    expect(withArity(memory, undefined)).toBe(memory);
    expect(withArity(variadic, undefined)).toBe(variadic);
    expect(withArity(variadic, 40)).toBe(variadic);
  });
});
