// Timing of call loops: sized to a run length, a warm-up run, then the spread over several timed runs.

import type { BenchContext, Paired, Stats } from "./path.js";
import { isWasmFunction, optimise, type Tier } from "./v8.js";

/** What timing needs of a run's context. */
export type TimingContext = Pick<BenchContext, "runs" | "runMs">;

/** A loop that makes n calls of the thing measured (in wasm, in one call from here, where it can). */
export type Loop = (n: number) => unknown;

export interface Timed {
  readonly stats: Stats;
  readonly runs: number;
  readonly iterations: number;
  /** The tier of the wasm code the loop runs, after its warm-up and after asking V8 to optimise it. */
  readonly tier?: { readonly before: Tier; readonly after: Tier };
}

/** The spread of samples: least, 10th percentile, middle, 90th percentile and greatest (nearest rank). */
export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error("stats: no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const rank = (p: number) => sorted[Math.round(p * (sorted.length - 1))]!;
  return { min: sorted[0]!, p10: rank(0.1), median, p90: rank(0.9), max: sorted[sorted.length - 1]! };
}

/** A figure's spread over the one timed alongside it (named `id`): the ratios of their medians and 10th percentiles. */
export function paired(id: string, timed: Pick<Timed, "stats">, other: Pick<Timed, "stats">): Paired {
  return { id, ratio: timed.stats.median / other.stats.median, p10: timed.stats.p10 / other.stats.p10 };
}

const TIER_RANK: readonly Tier[] = ["uncompiled", "liftoff", "turbofan"];

/** The lowest tier before and after among several functions' tiers. */
function lowest(tiers: readonly NonNullable<Timed["tier"]>[]): NonNullable<Timed["tier"]> {
  const min = (pick: (t: NonNullable<Timed["tier"]>) => Tier) => TIER_RANK[Math.min(...tiers.map((t) => TIER_RANK.indexOf(pick(t))))]!;
  return { before: min((t) => t.before), after: min((t) => t.after) };
}

/** The process's CPU time in milliseconds. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU time, not wall time: on a machine shared with other work, a run that was preempted would count
 * time spent running someone else. The loops are single-threaded and warm, so the CPU time is theirs.
 */
async function timeMs(loop: Loop, n: number): Promise<number> {
  const t0 = cpuMs();
  await loop(n);
  return cpuMs() - t0;
}

/** The iteration count that makes one run last about `ms`, found by growing n from `start`. */
async function calibrate(loop: Loop, ms: number, start: number): Promise<number> {
  let n = start;
  for (;;) {
    const t = await timeMs(loop, n);
    if (t >= ms / 8 || n >= 2 ** 30) return Math.max(1, Math.round((n * ms) / Math.max(t, 0.001)));
    n *= 8;
  }
}

export interface LoopOptions {
  /** The iteration count calibration starts from (small for slow calls). */
  readonly start?: number;
  /** The wasm function a loop runs, where the loop is a JS function calling it (the loop itself when it is one). */
  readonly code?: Readonly<Record<string, (...args: never[]) => unknown>>;
  /** Wasm functions of other instances a loop calls (the kernel core's, a module's kmalloc fast path): tiered up
   *  with the loop, since a callee left on Liftoff slows the figure as much as the loop would; the figure's tier
   *  is the lowest of them all. */
  readonly callees?: Readonly<Record<string, readonly ((...args: never[]) => unknown)[]>>;
}

/**
 * Nanoseconds per iteration of `loop`: calibrated to ctx.runMs per run, one warm-up run so V8 has
 * tiered the code up, then ctx.runs timed runs.
 */
export async function perCall(ctx: TimingContext, loop: Loop, opts: LoopOptions = {}): Promise<Timed> {
  return (await perCallEach(ctx, { loop }, opts)).loop;
}

/**
 * perCall for several loops whose figures are compared with each other: their timed runs alternate, so a
 * burst of load from elsewhere on the machine falls on all of them rather than on one.
 */
export async function perCallEach<K extends string>(
  ctx: TimingContext,
  loops: Readonly<Record<K, Loop>>,
  opts: LoopOptions = {},
): Promise<Record<K, Timed>> {
  const keys = Object.keys(loops) as K[];
  const n = {} as Record<K, number>;
  const samples = {} as Record<K, number[]>;
  const tiers: Partial<Record<K, Timed["tier"]>> = {};
  for (const key of keys) {
    n[key] = await calibrate(loops[key], ctx.runMs, opts.start ?? 1000);
    await loops[key](n[key]);
    samples[key] = [];
    const code = opts.code?.[key] ?? loops[key];
    const wasm = [code, ...(opts.callees?.[key] ?? [])].filter(isWasmFunction);
    if (wasm.length > 0) tiers[key] = lowest(wasm.map(optimise));
  }
  for (let r = 0; r < ctx.runs; r++) {
    for (const key of keys) samples[key].push(((await timeMs(loops[key], n[key])) * 1e6) / n[key]);
  }
  const out = {} as Record<K, Timed>;
  for (const key of keys) {
    const tier = tiers[key];
    out[key] = { stats: stats(samples[key]), runs: ctx.runs, iterations: n[key], ...(tier ? { tier } : {}) };
  }
  return out;
}
