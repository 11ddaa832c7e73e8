import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBench, updateReadme, writeResults, type BenchResults } from "../../bench/run.js";

/** Every call path that exists today; native.* may be skipped instead, on a machine without cc. */
const CALL_PATHS = [
  "native.direct", "native.pointer", "js.call", "intra.direct", "intra.indirect", "kernel.trivial", "kernel.printk",
  "kernel.kmalloc", "module.direct", "module.trampoline", "extism.host_fn", "extism.call", "jco.u32", "jco.string",
  "fops.read", "syscall.getpid", "memdev.zero_4k", "ramfs.rw_4k",
];

let results: BenchResults;
const out = mkdtempSync(join(tmpdir(), "wasm-lkm-bench-test-"));

beforeAll(async () => {
  results = await runBench({ quick: true });
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("runBench (quick)", () => {
  it("names the machine, Node and V8 and the date", () => {
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.cpu).not.toBe("");
    expect(results.node).toBe(process.version);
    expect(results.v8).toBe(process.versions.v8);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    expect(results.quick).toBe(true);
  });

  it("measures or skips with a reason every call path", () => {
    const measured = new Set(results.figures.map((f) => f.id));
    const skipped = new Set(results.skips.map((s) => s.id));
    for (const id of CALL_PATHS) expect(measured.has(id) || skipped.has(id), id).toBe(true);
    for (const s of results.skips) expect(s.reason).not.toBe("");
  });

  it("times modprobe of the ten-deep chain and its removal, cold and warm", () => {
    const ids = new Set(results.figures.map((f) => f.id));
    for (const kind of ["cold", "warm"]) {
      expect(ids.has(`load.modprobe_chain_${kind}`), kind).toBe(true);
      expect(ids.has(`load.modprobe_chain_${kind}_remove`), kind).toBe(true);
    }
  });

  it("gives every figure min ≤ median ≤ max over its runs", () => {
    for (const f of results.figures) {
      expect(f.stats.min, f.id).toBeLessThanOrEqual(f.stats.median);
      expect(f.stats.median, f.id).toBeLessThanOrEqual(f.stats.max);
      expect(f.runs, f.id).toBeGreaterThan(0);
      expect(f.iterations, f.id).toBeGreaterThan(0);
    }
  });

  it("checks that every call loop still makes its call, and every check passes", () => {
    const checked = new Set(results.checks.map((c) => c.id));
    for (const f of results.figures.filter((f) => f.call?.loop)) expect(checked.has(f.id), f.id).toBe(true);
    for (const c of results.checks) expect(c.kept, `${c.id}: ${c.where} ${c.instruction}`).toBe(true);
  });

  it("reports every target, with a ratio where both figures were measured", () => {
    const byId = new Map(results.targets.map((t) => [t.id, t]));
    expect([...byId.keys()]).toEqual([
      "module_call", "kernel_call", "kernel_vs_extism", "fops_call", "watchdog_intra", "watchdog_module", "hello_cold", "scale_load",
    ]);
    expect(byId.get("module_call")!.value).toBeGreaterThan(0);
    expect(byId.get("watchdog_intra")!.formula).toBe("watchdog.intra / watchdog.intra_bare, timed together");
    expect(byId.get("watchdog_module")!.formula).toBe("watchdog.module / watchdog.module_bare, timed together");
    expect(byId.get("fops_call")!.value).toBeGreaterThan(0);
  });

  it("skips the 1,000 modules and the breaking-point search", () => {
    expect(results.skips.map((s) => s.id)).toContain("scale");
    expect(results.findings).toEqual([]);
  });
});

describe("writeResults", () => {
  it("writes latest.json as the results and calls.svg with a bar per call figure", () => {
    writeResults(results, out);
    expect(JSON.parse(readFileSync(join(out, "latest.json"), "utf8"))).toEqual(JSON.parse(JSON.stringify(results)));
    expect(existsSync(join(out, "calls.svg"))).toBe(true);
    const svg = readFileSync(join(out, "calls.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const f of results.figures.filter((f) => f.call)) expect(svg).toContain(f.label.replace(/"/g, "&quot;"));
  });
});

describe("updateReadme", () => {
  it("rewrites the latest-figures block and nothing else", () => {
    const readme = join(out, "README.md");
    writeFileSync(readme, "before\n<!-- latest:begin -->\nold figures\n<!-- latest:end -->\nafter\n");
    updateReadme(results, readme);
    const text = readFileSync(readme, "utf8");
    expect(text.startsWith("before\n<!-- latest:begin -->\nFrom `npm run bench` on ")).toBe(true);
    expect(text.endsWith("<!-- latest:end -->\nafter\n")).toBe(true);
    expect(text).not.toContain("old figures");
    expect(text).toMatch(/^\| intra-module direct call \| [\d.,]+ \|/m);
  });
});
