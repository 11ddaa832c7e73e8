// npm run bench: every registered path in one run; the table on the terminal, and the machine's results,
// bench/results/<cpu>-node<major>.json, and chart, <cpu>-node<major>.svg.
//
//   node dist/bench/run.js [--quick] [--only PATH[,PATH...]]
//
// A new path is one file in bench/paths/ exporting a BenchPath, added to PATHS below.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { arch, cpus, loadavg, release, tmpdir, totalmem, type as osType } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../scripts/paths.js";
import { callChart } from "./chart.js";
import { buildBenchModules } from "./kbuild.js";
import type { BenchContext, BenchPath, CallCheck, Figure, Finding, LoopCall, LoopKind, Skip, Stats } from "./path.js";
import { block } from "./paths/block.js";
import { ext2 } from "./paths/ext2.js";
import { extism } from "./paths/extism.js";
import { fat } from "./paths/fat.js";
import { intra } from "./paths/intra.js";
import { jco } from "./paths/jco.js";
import { js } from "./paths/js.js";
import { kernel } from "./paths/kernel.js";
import { load } from "./paths/load.js";
import { module } from "./paths/module.js";
import { native } from "./paths/native.js";
import { net } from "./paths/net.js";
import { scale } from "./paths/scale.js";
import { slip } from "./paths/slip.js";
import { vfs } from "./paths/vfs.js";
import { watchdog } from "./paths/watchdog.js";
import { markdownLines, reportLines } from "./report.js";
import { evaluateTargets, type TargetResult } from "./targets.js";
import { REFERENCE } from "./lkm.js";
import { V8_FLAGS } from "./v8.js";
import { checkLoops } from "./wat.js";

export const PATHS: readonly BenchPath[] = [native, js, intra, kernel, module, watchdog, vfs, block, ext2, fat, net, slip, extism, jco, load, scale];

export const RESULTS_DIR = join(ROOT, "bench", "results");

/** The empty loop each kind of call loop is measured against. */
const EMPTY_LOOPS: Record<LoopKind, string> = { wasm: "intra.empty", c: "native.empty", js: "js.empty" };

export interface BenchOptions {
  readonly quick?: boolean;
  /** Run only these paths (by name). */
  readonly only?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface ReportedFigure extends Figure {
  /** The stats less the median of the figure's empty loop: the call alone. */
  readonly net?: Stats;
}

/**
 * Whether the reference loop still calls: its 10th percentile above its empty loop's 90th. On a V8 that
 * inlined bench_callee (≥ 13.6 without --no-wasm-inlining) intra.direct becomes the empty loop, every ratio
 * to it reads 9–30× while the emitted code (read before V8 compiles it) still shows the call.
 */
export interface ReferenceCheck {
  readonly kept: boolean;
  readonly direct: Stats;
  readonly empty: Stats;
}

export interface BenchResults {
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    /** The 1-minute load average when the run began: other work on the machine shows in the spread. */
    readonly loadAverage: number;
  };
  readonly node: string;
  readonly v8: string;
  /** The V8 flags the run set (bench/v8.ts). */
  readonly v8Flags: readonly string[];
  readonly date: string;
  readonly quick: boolean;
  readonly figures: ReportedFigure[];
  readonly checks: CallCheck[];
  /** null when the intra path was not run. */
  readonly reference: ReferenceCheck | null;
  readonly skips: Skip[];
  readonly findings: Finding[];
  readonly targets: TargetResult[];
}

function referenceCheck(figures: readonly Figure[]): ReferenceCheck | null {
  const direct = figures.find((f) => f.id === REFERENCE.id)?.stats;
  const empty = figures.find((f) => f.id === EMPTY_LOOPS.wasm)?.stats;
  return direct && empty ? { kept: direct.p10 > empty.p90, direct, empty } : null;
}

function machine(): BenchResults["machine"] {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? "unknown CPU",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()} ${arch()}`,
    loadAverage: loadavg()[0]!,
  };
}

function withNet(figures: readonly Figure[]): ReportedFigure[] {
  const medians = new Map(figures.map((f) => [f.id, f.stats.median]));
  return figures.map((f) => {
    const empty = f.call?.loop ? medians.get(EMPTY_LOOPS[f.call.loop]) : undefined;
    if (empty === undefined) return f;
    const s = f.stats;
    return { ...f, net: { min: s.min - empty, p10: s.p10 - empty, median: s.median - empty, p90: s.p90 - empty, max: s.max - empty } };
  });
}

function context(quick: boolean, tmp: string, log: (line: string) => void): BenchContext {
  let modules: Promise<Map<string, Uint8Array>> | undefined;
  return {
    quick,
    runs: quick ? 3 : 21,
    runMs: quick ? 2 : 10,
    tmp,
    log,
    async benchModule(name) {
      modules ??= buildBenchModules();
      const binary = (await modules).get(name);
      if (!binary) throw new Error(`bench: no bench module ${name} (bench/modules/${name}.ts)`);
      return binary;
    },
  };
}

/** Run the paths (all, or opts.only) and collect what they found. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchResults> {
  const date = new Date().toISOString();
  const host = machine();
  const quick = opts.quick ?? false;
  const log = opts.log ?? (() => undefined);
  const tmp = mkdtempSync(join(tmpdir(), "wasm-lkm-bench-"));
  const ctx = context(quick, tmp, log);
  const figures: Figure[] = [];
  const checks: CallCheck[] = [];
  const loops: LoopCall[] = [];
  const skips: Skip[] = [];
  const findings: Finding[] = [];
  try {
    for (const path of PATHS.filter((p) => !opts.only || opts.only.includes(p.name))) {
      log(`  BENCH   ${path.name}`);
      const r = await path.run(ctx);
      const load = loadavg()[0]!;
      figures.push(...(r.figures ?? []).map((f) => ({ ...f, load })));
      checks.push(...(r.checks ?? []));
      loops.push(...(r.loops ?? []));
      skips.push(...(r.skips ?? []));
      findings.push(...(r.findings ?? []));
    }
    checks.push(...(await checkLoops(loops)));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const reported = withNet(figures);
  return {
    machine: host, node: process.version, v8: process.versions.v8, v8Flags: V8_FLAGS, date, quick,
    figures: reported, checks, reference: referenceCheck(figures), skips, findings, targets: evaluateTargets(reported),
  };
}

const README = join(ROOT, "bench", "README.md");
const LATEST = /(<!-- latest:begin -->\n)[\s\S]*?(<!-- latest:end -->)/;

/** Rewrite the latest figures' block of bench/README.md, so what it quotes is what the run's results file holds. */
export function updateReadme(r: BenchResults, path: string = README): void {
  const text = readFileSync(path, "utf8");
  if (!LATEST.test(text)) throw new Error(`${path}: no <!-- latest:begin --> … <!-- latest:end --> block`);
  writeFileSync(path, text.replace(LATEST, (_m, begin: string, end: string) => `${begin}${markdownLines(r).join("\n")}\n${end}`));
}

/** The Node major package.json's engines field starts from (">=20": 20): the Node CI and the machine run. */
export function enginesNodeMajor(pkg: string = join(ROOT, "package.json")): number {
  const range = (JSON.parse(readFileSync(pkg, "utf8")) as { engines?: { node?: string } }).engines?.node ?? "";
  const major = /^>=\s*(\d+)/.exec(range)?.[1];
  if (!major) throw new Error(`${pkg}: engines.node is not ">=N" but "${range}"`);
  return Number(major);
}

/** Whether a run under that Node version ("v20.20.2") writes the README's latest block: only the engines' own
 *  Node does, so the block quotes one Node whatever else a user runs the bench under (its results file it has). */
export function quotesReadme(node: string, pkg?: string): boolean {
  return Number(/^v?(\d+)/.exec(node)?.[1]) === enginesNodeMajor(pkg);
}

/**
 * The machine's name for its results: the CPU model and Node's major version ("intel-xeon-processor-node20"),
 * so a run elsewhere adds its own file instead of overwriting another machine's.
 */
export function resultsName(r: Pick<BenchResults, "machine" | "node">): string {
  const cpu = r.machine.cpu.toLowerCase().replace(/\((r|tm)\)/g, "").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return `${cpu}-node${/^v(\d+)/.exec(r.node)?.[1] ?? "x"}`;
}

/** Write the run's NAME.json and NAME.svg (the chart) into dir, NAME being resultsName(r). */
export function writeResults(r: BenchResults, dir: string = RESULTS_DIR): void {
  mkdirSync(dir, { recursive: true });
  const name = resultsName(r);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(r, null, 2)}\n`);
  const chart = callChart(r.figures, `wasm-lkm call paths — ${r.machine.cpu}, Node ${r.node}, ${r.date.slice(0, 10)}`);
  if (chart) writeFileSync(join(dir, `${name}.svg`), chart);
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const at = argv.indexOf("--only");
  return { quick: argv.includes("--quick"), ...(at >= 0 ? { only: (argv[at + 1] ?? "").split(",") } : {}) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const results = await runBench({ ...opts, log: (line) => console.error(line) });
  console.log(reportLines(results).join("\n"));
  // A reference that no longer calls makes every ratio meaningless: nothing of this run is written.
  if (results.reference && !results.reference.kept) process.exit(1);
  if (!opts.quick && !opts.only) {
    writeResults(results);
    if (quotesReadme(results.node)) updateReadme(results);
    else console.error(`bench: README's latest block is Node ${enginesNodeMajor()}'s; this run is in results/${resultsName(results)}.json`);
  }
}
