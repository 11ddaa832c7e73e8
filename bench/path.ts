// What a benchmark path is and what it hands back: figures, proofs that calls were kept, and skips.

import { join } from "node:path";
import { ROOT } from "../scripts/paths.js";
import type { Tier } from "./v8.js";

/** The spread of one figure over its runs. */
export interface Stats {
  readonly min: number;
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
}

export type Unit = "ns" | "µs" | "ms" | "s" | "KiB" | "MiB" | "GiB" | "MB/s" | "count";

/**
 * Which empty loop a call figure is measured against: the loop's own cost is subtracted for the `net`
 * column (wasm: the loop in bench_intra_empty; c and js: their own empty loops).
 */
export type LoopKind = "wasm" | "c" | "js";

/** The chart groups call paths by who would pick them. */
export type Family = "baseline" | "wasm-lkm" | "peer";

export interface Figure {
  /** Stable key, "group.name": intra.direct, kernel.printk, load.hello_cold. */
  readonly id: string;
  /** What the table prints. */
  readonly label: string;
  readonly unit: Unit;
  readonly stats: Stats;
  /** Runs the stats are over, and the loop iterations (or operations) per run. */
  readonly runs: number;
  readonly iterations: number;
  /** A call figure: drawn on the chart, and its empty loop subtracted for `net`. */
  readonly call?: { readonly family: Family; readonly loop?: LoopKind };
  /**
   * This figure's median over that of another figure's loop timed alongside it (runs alternating), for
   * the targets: a ratio of two figures timed seconds apart carries whatever the machine did in between.
   */
  readonly paired?: Paired;
  /** The tier of the wasm code the loop ran (bench/v8.ts): "turbofan" after, or the figure is not of optimised code. */
  readonly tier?: { readonly before: Tier; readonly after: Tier };
  readonly note?: string;
  /** The 1-minute load average when the figure's path finished (other work on the machine shows in the spread). */
  readonly load?: number;
}

/** A figure over another timed alongside it: the ratio of their medians, and of their 10th percentiles. */
export interface Paired {
  readonly id: string;
  readonly ratio: number;
  readonly p10: number;
}

/** Proof that the emitted code of a loop still makes the call it claims to measure. */
export interface CallCheck {
  readonly id: string;
  /** Where the loop lives: a function of a wasm module, or of the native object. */
  readonly where: string;
  /** The instruction looked for inside the loop ("call $bench_callee", "call_indirect"). */
  readonly instruction: string;
  readonly kept: boolean;
}

/** A figure the run could not make here, and why. */
export interface Skip {
  readonly id: string;
  readonly label: string;
  readonly reason: string;
}

/** Something found rather than timed: the breaking point of the module count, say. */
export interface Finding {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly detail: Readonly<Record<string, string | number | null>>;
}

/**
 * A wasm loop whose emitted code must still make its call. The driver checks them all after the last
 * figure is timed: printing a binary (a large wasm program of its own) changes how V8 tiers up the code
 * that runs next, and made module_put's JS implementation stay unoptimised in some runs.
 */
export interface LoopCall {
  readonly id: string;
  readonly binary: Uint8Array;
  /** The function whose loop makes the call (its short name). */
  readonly func: string;
  /** "call NAME" or "call_indirect". */
  readonly instruction: string;
}

export interface PathResult {
  readonly figures: Figure[];
  /** Checks the path made itself (native code, JS). */
  readonly checks: CallCheck[];
  readonly loops: LoopCall[];
  readonly skips: Skip[];
  readonly findings: Finding[];
}

export interface BenchContext {
  /** Tiny iteration counts, no scale or breaking-point search: for the test suite. */
  readonly quick: boolean;
  /** Timed runs per figure (after one warm-up run). */
  readonly runs: number;
  /** How long one timed run of a loop should take, in milliseconds. */
  readonly runMs: number;
  /** A scratch directory for this run (native binaries, transpiled components). */
  readonly tmp: string;
  /** The bench modules (bench/modules/NAME.ts), built once per run: NAME → module binary. */
  benchModule(name: string): Promise<Uint8Array>;
  /** Progress lines for the terminal. */
  log(line: string): void;
}

export interface BenchPath {
  readonly name: string;
  run(ctx: BenchContext): Promise<Partial<PathResult>>;
}

/**
 * The compiled script of a path, for the paths that measure in a child process (node runs dist/, also
 * when the parent is the test suite running the TypeScript sources).
 */
export function childScript(path: string): string {
  return join(ROOT, "dist", "bench", "paths", `${path}.js`);
}
