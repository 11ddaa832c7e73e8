import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stats } from "../../bench/measure.js";
import { enginesNodeMajor, quotesReadme, resultsName, runBench, updateReadme, writeResults, type BenchResults } from "../../bench/run.js";

/** Every call path that exists today; native.* may be skipped instead, on a machine without cc, and nothing else. */
const CALL_PATHS = [
  "native.direct", "native.pointer", "js.call", "intra.direct", "intra.indirect", "kernel.trivial", "kernel.jiffies", "kernel.printk",
  "kernel.kmalloc", "kernel.kmalloc_checked", "kernel.module_put", "kernel.module_ref", "module.direct", "module.direct_bare", "module.floor", "module.floor_intra",
  "module.trampoline", "extism.host_fn",
  "extism.kernel_trivial", "extism.bind", "extism.plain", "extism.call", "jco.u32", "jco.string",
  "jco.u32_env_once", "jco.string_env_once",
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

  it("times hello's cold loads after loads of their own, which it reports apart", () => {
    const byId = new Map(results.figures.map((f) => [f.id, f]));
    expect(byId.get("load.hello_first")!.label).toBe("hello insmod + init (cold, the path's first 1: the loader not yet optimised)");
    expect([byId.get("load.hello_first")!.runs, byId.get("load.hello_cold")!.runs]).toEqual([1, 3]);
  });

  it("times modprobe of the ten-deep chain and its removal, cold and warm", () => {
    const ids = new Set(results.figures.map((f) => f.id));
    for (const kind of ["cold", "warm"]) {
      expect(ids.has(`load.modprobe_chain_${kind}`), kind).toBe(true);
      expect(ids.has(`load.modprobe_chain_${kind}_remove`), kind).toBe(true);
    }
  });

  it("times V8's compile of hello-shaped binaries without and with hello's imported signatures", () => {
    const byId = new Map(results.figures.map((f) => [f.id, f]));
    const bare = byId.get("load.compile_bare")!;
    const imports = byId.get("load.compile_imports")!;
    expect(bare.label).toMatch(/^V8 compile: \d+ empty functions$/);
    // abort's and _printk's: the watchdog's tick is reached through a table, not a function import.
    expect(imports.label).toBe("V8 compile: the same, importing hello's 2 signatures");
    for (const f of [bare, imports]) expect([f.unit, f.stats.min > 0]).toEqual(["ms", true]);
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

  it("measures a ping round trip over SLIP at 115200 baud in simulated and wall time, no shorter than the bytes take on the line", () => {
    const slip = new Map(results.figures.filter((f) => f.id.startsWith("slip.")).map((f) => [f.id, f]));
    expect([...slip.values()].map((f) => [f.id, f.unit])).toEqual([
      ["slip.ping_115200_simulated", "ms"], ["slip.ping_115200_wall", "ms"], ["slip.ping_instant", "µs"],
    ]);
    // Each way: an 84-byte packet between two ENDs, 10 bits a character at 115200 baud.
    expect(slip.get("slip.ping_115200_simulated")!.stats.min).toBeGreaterThanOrEqual((2 * 86 * 10 * 1000) / 115200);
    expect(slip.get("slip.ping_115200_simulated")!.stats.max).toBeLessThan(20);
  });

  it("times each call path not skipped once, in ns an iteration, over the quick run's three runs", () => {
    const ids = results.figures.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const skipped = new Set(results.skips.map((s) => s.id));
    const timed = results.figures.filter((f) => CALL_PATHS.includes(f.id));
    expect(timed.map((f) => f.id).sort()).toEqual(CALL_PATHS.filter((id) => !skipped.has(id)).sort());
    for (const f of timed) expect([f.id, f.unit, f.runs]).toEqual([f.id, "ns", 3]);
  });

  it("names the V8 flags it set: natives always, --no-wasm-inlining where this V8 has the flag", () => {
    const options = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout;
    const hasFlag = /^\s+--wasm-inlining \(/m.test(options);
    expect(results.v8Flags[0]).toBe("--allow-natives-syntax");
    expect(results.v8Flags.slice(1)).toEqual(hasFlag ? ["--no-wasm-inlining"] : []);
    // Node 22's V8 (12.4) has only the experimental flag, and it is off.
    if (!hasFlag && options.includes("--experimental-wasm-inlining ")) {
      expect(options).toMatch(/--experimental-wasm-inlining .*\n\s+type: bool\s+default: --no-experimental-wasm-inlining/);
    }
  });

  it("finds the reference call kept: intra.direct's p10 above its empty loop's p90", () => {
    const stat = (id: string) => results.figures.find((f) => f.id === id)!.stats;
    expect(results.reference).toEqual({ kept: true, direct: stat("intra.direct"), empty: stat("intra.empty") });
    expect(results.reference!.direct.p10).toBeGreaterThan(results.reference!.empty.p90);
  });

  it("times every wasm loop of wasm-lkm's paths in optimised (TurboFan) code", () => {
    const own = results.figures.filter((f) => f.call?.loop === "wasm" && f.call.family === "wasm-lkm");
    expect(own.length).toBeGreaterThan(0);
    for (const f of own) expect([f.id, f.tier?.after]).toEqual([f.id, "turbofan"]);
  });

  it("records the load average beside every figure", () => {
    for (const f of results.figures) expect([f.id, typeof f.load]).toEqual([f.id, "number"]);
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
      "module_call", "module_floor", "kernel_call", "jiffies_call", "module_put_call", "kmalloc_fast", "kernel_vs_extism", "fops_call", "watchdog_intra",
      "watchdog_module", "hello_cold", "scale_load", "scale_linear", "vfat_brd_read", "vfat_loop_read", "ext2_brd_read", "ext2_loop_read",
    ]);
    // The paired ratio where the two were timed together, else the ratio of the medians.
    const ratio = (a: string, b: string) => {
      const fa = figure.get(a)!;
      return fa.paired?.id === b ? fa.paired.ratio : fa.stats.median / figure.get(b)!.stats.median;
    };
    const pairs = [
      ["module_call", "module.direct", "intra.direct", 1.2],
      ["module_floor", "module.direct_bare", "module.floor", 1.1],
      ["jiffies_call", "kernel.jiffies", "intra.direct", 1.8],
      ["module_put_call", "kernel.module_put", "intra.direct", 1.8],
      ["kmalloc_fast", "kernel.kmalloc", "kernel.kmalloc_checked", 0.2],
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
    // A disk filesystem's read against ramfs's in MB/s: ramfs over it, so a slower read is a larger ratio.
    for (const [id, a, b] of [
      ["vfat_brd_read", "fat.ramfs_read", "fat.vfat_brd_read"], ["ext2_loop_read", "ext2.ramfs_read", "ext2.loop_read"],
    ] as const) {
      if (figure.has(b)) expect(byId.get(id)).toMatchObject({ value: ratio(a, b), met: ratio(a, b) <= 3 });
      else expect(byId.get(id)).toMatchObject({ value: null, met: null });
    }
    for (const id of ["scale_load", "scale_linear"]) expect(byId.get(id)).toMatchObject({ value: null, met: null, note: "not measured in this run" });
  });

  it("skips the 5,000 modules and the breaking-point search", () => {
    expect(results.skips.map((s) => s.id)).toContain("scale");
    expect(results.findings).toEqual([]);
  });
});

describe("stats", () => {
  it("gives the least, the 10th percentile, the middle (the mean of the two middles for an even count), the 90th and the greatest", () => {
    expect(stats([5, 1, 3])).toEqual({ min: 1, p10: 1, median: 3, p90: 5, max: 5 });
    expect(stats([4, 1, 3, 2])).toEqual({ min: 1, p10: 1, median: 2.5, p90: 4, max: 4 });
    expect(stats([7])).toEqual({ min: 7, p10: 7, median: 7, p90: 7, max: 7 });
    const hundred = Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(stats(hundred)).toEqual({ min: 0, p10: 10, median: 50, p90: 90, max: 100 });
    expect(() => stats([])).toThrow("stats: no samples");
  });
});

describe("writeResults", () => {
  it("writes the results and the chart, with a bar per call figure, under the machine's name", () => {
    writeResults(results, out);
    const name = resultsName(results);
    expect(JSON.parse(readFileSync(join(out, `${name}.json`), "utf8"))).toEqual(JSON.parse(JSON.stringify(results)));
    expect(existsSync(join(out, `${name}.svg`))).toBe(true);
    const svg = readFileSync(join(out, `${name}.svg`), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const f of results.figures.filter((f) => f.call)) expect(svg).toContain(f.label.replace(/"/g, "&quot;"));
  });
});

describe("resultsName", () => {
  it("names a machine's results by its CPU model and Node's major version", () => {
    const named = (cpu: string, node: string) => resultsName({ machine: { ...results.machine, cpu }, node });
    expect(named("Intel(R) Xeon(R) Processor", "v20.20.2")).toBe("intel-xeon-processor-node20");
    expect(named("AMD EPYC 7B13 64-Core Processor", "v24.1.0")).toBe("amd-epyc-7b13-64-core-processor-node24");
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

  it("is written only by a run under the Node major package.json's engines start from", () => {
    const pkg = join(out, "package.json");
    writeFileSync(pkg, JSON.stringify({ engines: { node: ">=20" } }));
    expect([quotesReadme("v20.20.2", pkg), quotesReadme("v22.23.5", pkg), quotesReadme("v2.0.0", pkg)]).toEqual([true, false, false]);
    expect(quotesReadme("v20.20.2")).toBe(true);
    writeFileSync(pkg, JSON.stringify({ engines: { node: "^20 || ^22" } }));
    expect(() => enginesNodeMajor(pkg)).toThrow(/engines.node is not ">=N" but "\^20 \|\| \^22"/);
  });
});
