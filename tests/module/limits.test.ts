// layout_and_allocate()'s limits (host/module/main.ts, abi/wasm.ts): what a module may declare of tables and
// memory, and how many modules a kernel holds, each refused with ENOMEM before anything is instantiated.

import { beforeEach, describe, expect, it } from "vitest";
import { leb128 } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import { MAX_MODULES, MODULE_TABLE_ELEMENTS_MAX } from "../../host/module/internal.js";
import { dmesg, expectRefused, loadBytes, rewriteSections, setModinfo } from "../helpers.js";

const SECTION_TABLE = 4;

/** The binary with its one funcref table declared as `initial` elements, and a maximum if given. */
function withTable(bytes: Uint8Array, initial: number, maximum?: number): Uint8Array {
  const limits = maximum === undefined ? [0, ...leb128(initial)] : [1, ...leb128(initial), ...leb128(maximum)];
  return rewriteSections(bytes, (ss) => ss.map((s) => (s.id === SECTION_TABLE ? { id: s.id, payload: new Uint8Array([1, 0x70, ...limits]) } : s)));
}

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("tables", () => {
  it("refuses a module declaring more table elements than the cap, before instantiating it", () => {
    k.insmod(loadBytes("counter"));
    k.log.clear();
    const message = `hello: needs 10000000 table elements, the cap is ${MODULE_TABLE_ELEMENTS_MAX}`;
    expectRefused(k, () => k.insmod(withTable(loadBytes("hello"), 10_000_000)), "ENOMEM", message);
    expect(dmesg(k)).toEqual([message]);
  });

  it("loads a module at the cap, and its table cannot grow past it", () => {
    const mod = k.insmod(withTable(loadBytes("hello"), MODULE_TABLE_ELEMENTS_MAX));
    const table = mod.exports!.table!;
    expect(table.length).toBe(MODULE_TABLE_ELEMENTS_MAX);
    expect(() => table.grow(1)).toThrow(RangeError);
  });

  it("lowers a larger declared maximum, or none, to the cap", () => {
    for (const maximum of [undefined, 10_000_000]) {
      const mod = k.insmod(withTable(loadBytes("hello"), 4, maximum));
      const table = mod.exports!.table!;
      expect(table.grow(MODULE_TABLE_ELEMENTS_MAX - 4)).toBe(4);
      expect(() => table.grow(1)).toThrow(RangeError);
      k.rmmod("hello");
    }
  });

  it("keeps a smaller declared maximum", () => {
    const table = k.insmod(withTable(loadBytes("hello"), 2, 8)).exports!.table!;
    expect(table.grow(6)).toBe(2);
    expect(() => table.grow(1)).toThrow(RangeError);
  });
});

describe("memory", () => {
  it("refuses a module whose initial memory exceeds the cap, naming it in dmesg", () => {
    k = new Kernel({ memoryMaxPages: 0 });
    const err = expectRefused(k, () => k.insmod(loadBytes("hello")), "ENOMEM", /^hello: needs \d+ pages of memory, the cap is 0$/);
    expect(dmesg(k)).toEqual([err.message]);
  });
});

describe("instances", () => {
  it(`holds at most ${MAX_MODULES} modules; the next is ENOMEM, and once one goes another fits`, () => {
    const named = (i: number) => setModinfo(loadBytes("hello"), "name", `m${i}`);
    for (let i = 0; i < MAX_MODULES; i++) k.insmod(named(i));
    k.log.clear();
    const message = `m${MAX_MODULES}: cannot load: ${MAX_MODULES} modules are loaded already`;
    expectRefused(k, () => k.insmod(named(MAX_MODULES)), "ENOMEM", message);
    expect(dmesg(k)).toEqual([message]);
    k.rmmod("m0");
    expect(k.insmod(named(MAX_MODULES)).state).toBe("LIVE");
  });

  it("holds at most the kernel's maxModules when one is given, with the same refusal", () => {
    k = new Kernel({ maxModules: 2 });
    const named = (i: number) => setModinfo(loadBytes("hello"), "name", `m${i}`);
    k.insmod(named(0));
    k.insmod(named(1));
    k.log.clear();
    expectRefused(k, () => k.insmod(named(2)), "ENOMEM", "m2: cannot load: 2 modules are loaded already");
    expect(dmesg(k)).toEqual(["m2: cannot load: 2 modules are loaded already"]);
  });
});
