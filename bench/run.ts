// npm run bench: every registered path in one run; the table on the terminal, bench/results/latest.json
// and the chart bench/results/calls.svg.
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
import { extism } from "./paths/extism.js";
import { intra } from "./paths/intra.js";
import { jco } from "./paths/jco.js";
import { js } from "./paths/js.js";
import { kernel } from "./paths/kernel.js";
import { load } from "./paths/load.js";
import { module } from "./paths/module.js";
import { native } from "./paths/native.js";
import { net } from "./paths/net.js";
import { scale } from "./paths/scale.js";
import { vfs } from "./paths/vfs.js";
import { watchdog } from "./paths/watchdog.js";
import { markdownLines, reportLines } from "./report.js";
import { evaluateTargets, type TargetResult } from "./targets.js";
import { checkLoops } from "./wat.js";

export const PATHS: readonly BenchPath[] = [native, js, intra, kernel, module, watchdog, vfs, block, net, extism, jco, load, scale];

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
  readonly date: string;
  readonly quick: boolean;
  readonly figures: ReportedFigure[];
  readonly checks: CallCheck[];
  readonly skips: Skip[];
  readonly findings: Finding[];
  readonly targets: TargetResult[];
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
    return { ...f, net: { min: f.stats.min - empty, median: f.stats.median - empty, max: f.stats.max - empty } };
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
      figures.push(...(r.figures ?? []));
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
    machine: host, node: process.version, v8: process.versions.v8, date, quick,
    figures: reported, checks, skips, findings, targets: evaluateTargets(reported),
  };
}

const README = join(ROOT, "bench", "README.md");
const LATEST = /(<!-- latest:begin -->\n)[\s\S]*?(<!-- latest:end -->)/;

/** Rewrite the latest figures' block of bench/README.md, so what it quotes is what latest.json holds. */
export function updateReadme(r: BenchResults, path: string = README): void {
  const text = readFileSync(path, "utf8");
  if (!LATEST.test(text)) throw new Error(`${path}: no <!-- latest:begin --> … <!-- latest:end --> block`);
  writeFileSync(path, text.replace(LATEST, (_m, begin: string, end: string) => `${begin}${markdownLines(r).join("\n")}\n${end}`));
}

/** Write latest.json and calls.svg into dir. */
export function writeResults(r: BenchResults, dir: string = RESULTS_DIR): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(r, null, 2)}\n`);
  const chart = callChart(r.figures, `wasm-lkm call paths — ${r.machine.cpu}, Node ${r.node}, ${r.date.slice(0, 10)}`);
  if (chart) writeFileSync(join(dir, "calls.svg"), chart);
}

function parseArgs(argv: readonly string[]): BenchOptions {
  const at = argv.indexOf("--only");
  return { quick: argv.includes("--quick"), ...(at >= 0 ? { only: (argv[at + 1] ?? "").split(",") } : {}) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const results = await runBench({ ...opts, log: (line) => console.error(line) });
  console.log(reportLines(results).join("\n"));
  if (!opts.quick && !opts.only) {
    writeResults(results);
    updateReadme(results);
  }
}
