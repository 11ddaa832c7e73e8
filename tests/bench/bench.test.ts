import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stats } from "../../bench/measure.js";
import { runBench, updateReadme, writeResults, type BenchResults } from "../../bench/run.js";

/** Every call path that exists today; native.* may be skipped instead, on a machine without cc, and nothing else. */
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

  it("measures every call path, skipping only native ones, and only for want of a C compiler", () => {
    const measured = new Set(results.figures.map((f) => f.id));
    const skips = new Map(results.skips.map((s) => [s.id, s.reason]));
    for (const id of CALL_PATHS) {
      if (measured.has(id)) continue;
      expect(id.startsWith("native."), `${id} skipped: ${skips.get(id)}`).toBe(true);
      expect(skips.get(id), id).toBe("no C compiler (cc) on this machine");
    }
  });

  it("times modprobe of the ten-deep chain and its removal, cold and warm", () => {
    const ids = new Set(results.figures.map((f) => f.id));
    for (const kind of ["cold", "warm"]) {
      expect(ids.has(`load.modprobe_chain_${kind}`), kind).toBe(true);
      expect(ids.has(`load.modprobe_chain_${kind}_remove`), kind).toBe(true);
    }
  });

  it("measures sequential reads and writes in MB/s on brd, loop, the IDE disk and the host's image file", () => {
    const block = results.figures.filter((f) => f.id.startsWith("block."));
    const expected = ["brd", "loop", "ide", "host"].flatMap((d) => [`block.${d}_read`, `block.${d}_write`]);
    expect(block.map((f) => f.id).sort()).toEqual(expected.sort());
    for (const f of block) expect([f.id, f.unit, f.stats.median > 0]).toEqual([f.id, "MB/s", true]);
  });

  it("measures ping round trips in µs and UDP throughput in MB/s between two kernels on a wire and over lo", () => {
    const net = results.figures.filter((f) => f.id.startsWith("net."));
    expect(net.map((f) => [f.id, f.unit, f.stats.median > 0])).toEqual([
      ["net.ping_wire", "µs", true], ["net.ping_lo", "µs", true], ["net.udp_wire", "MB/s", true], ["net.udp_lo", "MB/s", true],
    ]);
  });

  it("times each call path not skipped once, in ns an iteration, over the quick run's three runs", () => {
    const ids = results.figures.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const skipped = new Set(results.skips.map((s) => s.id));
    const timed = results.figures.filter((f) => CALL_PATHS.includes(f.id));
    expect(timed.map((f) => f.id).sort()).toEqual(CALL_PATHS.filter((id) => !skipped.has(id)).sort());
    for (const f of timed) expect([f.id, f.unit, f.runs]).toEqual([f.id, "ns", 3]);
  });

  it("checks that every call loop still makes its call, and every check passes", () => {
    const checked = new Set(results.checks.map((c) => c.id));
    for (const f of results.figures.filter((f) => f.call?.loop)) expect(checked.has(f.id), f.id).toBe(true);
    for (const c of results.checks) expect(c.kept, `${c.id}: ${c.where} ${c.instruction}`).toBe(true);
  });

  it("reports every target, its value made from the figures it names, and none for what was not measured", () => {
    const byId = new Map(results.targets.map((t) => [t.id, t]));
    const figure = new Map(results.figures.map((f) => [f.id, f]));
    expect([...byId.keys()]).toEqual([
      "module_call", "kernel_call", "kernel_vs_extism", "fops_call", "watchdog_intra", "watchdog_module", "hello_cold", "scale_load",
    ]);
    // The paired ratio where the two were timed together, else the ratio of the medians.
    const ratio = (a: string, b: string) => {
      const fa = figure.get(a)!;
      return fa.paired?.id === b ? fa.paired.ratio : fa.stats.median / figure.get(b)!.stats.median;
    };
    const pairs = [
      ["module_call", "module.direct", "intra.direct", 1.2],
      ["fops_call", "fops.read", "intra.direct", 3],
      ["watchdog_intra", "watchdog.intra", "watchdog.intra_bare", 1.1],
      ["watchdog_module", "watchdog.module", "watchdog.module_bare", 1.1],
    ] as const;
    for (const [id, a, b, limit] of pairs) {
      const t = byId.get(id)!;
      expect(t.value, id).toBe(ratio(a, b));
      expect(t.met, id).toBe(t.value! <= limit);
    }
    expect(byId.get("hello_cold")!.value).toBe(figure.get("load.hello_cold")!.stats.median);
    expect(byId.get("scale_load")).toMatchObject({ value: null, met: null, note: "not measured in this run" });
  });

  it("skips the 1,000 modules and the breaking-point search", () => {
    expect(results.skips.map((s) => s.id)).toContain("scale");
    expect(results.findings).toEqual([]);
  });
});

describe("stats", () => {
  it("gives the least, the middle (the mean of the two middles for an even count) and the greatest sample", () => {
    expect(stats([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5 });
    expect(stats([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(stats([7])).toEqual({ min: 7, median: 7, max: 7 });
    expect(() => stats([])).toThrow("stats: no samples");
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
