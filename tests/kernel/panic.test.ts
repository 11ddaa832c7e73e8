import { describe, expect, it } from "vitest";
import { moduleTaintLetters, Taint, TAINT_FLAGS, type TaintName } from "../../host/kernel/panic.js";
import { Kernel } from "../../host/init/main.js";

function taint(...names: TaintName[]): Taint {
  const t = new Taint();
  for (const n of names) t.add(n);
  return t;
}

describe("Taint", () => {
  it("reads Not tainted when clean", () => {
    expect(new Taint().toString()).toBe("Not tainted");
    expect(new Taint().value).toBe(0);
  });

  it("prints one character per flag, G while P is clear", () => {
    expect(taint("OOT_MODULE").toString()).toBe("Tainted: G           O       ");
    expect(taint("FWCTL").toString()).toBe(`Tainted: G${" ".repeat(18)}J`);
  });

  it("prints P and O in their places, 20 characters in all", () => {
    const s = taint("PROPRIETARY_MODULE", "OOT_MODULE").toString();
    expect(s).toBe("Tainted: P           O       ");
    expect(s.slice("Tainted: ".length)).toHaveLength(20);
  });

  it("prints every flag in bit order", () => {
    const all = taint(...(Object.keys(TAINT_FLAGS) as TaintName[]));
    expect(all.toString()).toBe("Tainted: PFSRMBUDAWCIOELKXTNJ");
    expect(all.value).toBe(2 ** 20 - 1);
  });

  it("has the value of its bits: P+W+O is 4609", () => {
    expect(taint("PROPRIETARY_MODULE", "WARN", "OOT_MODULE").value).toBe(4609);
    expect(taint("DIE").value).toBe(128);
  });

  it("never clears a flag and counts it once", () => {
    const t = taint("DIE", "DIE");
    expect(t.value).toBe(128);
    expect(t.test("DIE")).toBe(true);
    expect(t.test("WARN")).toBe(false);
  });

  it("shows in /proc/sys/kernel/tainted as a decimal, read-only", () => {
    const k = new Kernel();
    expect(k.read("/proc/sys/kernel/tainted")).toBe("0\n");
    k.taint.add("PROPRIETARY_MODULE");
    k.taint.add("WARN");
    k.taint.add("OOT_MODULE");
    expect(k.read("/proc/sys/kernel/tainted")).toBe("4609\n");
    expect(() => k.write("/proc/sys/kernel/tainted", "0\n")).toThrow(expect.objectContaining({ code: "EACCES" }));
    expect(k.taint.value).toBe(4609);
  });
});

describe("moduleTaintLetters", () => {
  it("lists a module's letters in bit order", () => {
    expect(moduleTaintLetters(new Set<TaintName>(["UNSIGNED_MODULE", "OOT_MODULE"]))).toBe("OE");
    expect(moduleTaintLetters(new Set<TaintName>(["OOT_MODULE", "PROPRIETARY_MODULE", "FORCED_MODULE"]))).toBe("PFO");
  });

  it("leaves out flags a module cannot carry", () => {
    expect(moduleTaintLetters(new Set<TaintName>(["DIE", "WARN", "FORCED_RMMOD", "PROPRIETARY_MODULE"]))).toBe("P");
  });

  it("is empty for an untainted module", () => {
    expect(moduleTaintLetters(new Set())).toBe("");
  });
});
