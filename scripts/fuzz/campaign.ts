// A fuzzing campaign: inputs 0..count-1 of a seed, run in a worker thread that is ended and restarted past
// an input that hangs; failing inputs are written out to reproduce with insmod.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { BUILD_DIR, ROOT } from "../paths.js";
import { fuzzInput } from "./mutate.js";
import { loadCorpus, type Failure, type FailureKind } from "./target.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** An input that runs longer than this is a hang (default 10 s). */
  readonly timeoutMs?: number;
  /** Where failing inputs are written (default build/fuzz). */
  readonly outDir?: string;
  /** The built modules to mutate (default build/modules). */
  readonly corpusDir?: string;
}

export interface FailedInput {
  readonly index: number;
  /** Which module, mutated how. */
  readonly what: string;
  readonly failures: readonly Failure[];
  /** The input, written out. */
  readonly file: string;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly inputs: number;
  readonly loaded: number;
  readonly refused: number;
  readonly failed: readonly FailedInput[];
}

/** The compiled worker: a thread runs JavaScript, so the fuzzer needs `tsc` to have run. */
const WORKER = join(ROOT, "dist", "scripts", "fuzz", "worker.js");

/** Run a campaign. Rejects only when the fuzzer itself breaks (a worker that dies outside an input). */
export async function fuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const corpusDir = opts.corpusDir ?? BUILD_DIR;
  const outDir = opts.outDir ?? join(ROOT, "build", "fuzz");
  const scratch = mkdtempSync(join(tmpdir(), "wasm-lkm-fuzz-"));
  const counts = { loaded: 0, refused: 0 };
  const failed: FailedInput[] = [];
  const fail = (index: number, failures: readonly Failure[]) => {
    const input = fuzzInput(loadCorpus(corpusDir), opts.seed, index);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `fuzz-${opts.seed}-${index}.wasm`);
    writeFileSync(file, input.bytes);
    failed.push({ index, what: input.what, failures, file });
  };
  try {
    let start = 0;
    while (start < opts.count) {
      const job: WorkerJob = { seed: opts.seed, start, count: opts.count, corpusDir, scratch };
      start = await runWorker(job, opts.timeoutMs ?? 10_000, (m) => {
        if (m.type !== "result") return;
        if (m.failures.length > 0) fail(m.index, m.failures);
        else counts[m.loaded ? "loaded" : "refused"]++;
      }, (index, failure) => fail(index, [failure]));
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { seed: opts.seed, inputs: opts.count, ...counts, failed };
}

/**
 * One worker from job.start on; resolves with where the next one should start: job.count when it got
 * through, or past the input it stopped at (reported to onStop) when that input hung or killed the thread
 * (out of memory). Rejects when the worker dies before its first input: the fuzzer itself is broken.
 */
function runWorker(job: WorkerJob, timeoutMs: number, onMessage: (m: WorkerMessage) => void, onStop: (index: number, failure: Failure) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    let current: number | undefined;
    let stop: { index: number | undefined; failure: Failure } | undefined;
    let timer: NodeJS.Timeout | undefined;
    worker.on("message", (m: WorkerMessage) => {
      if (stop) return;
      current = m.index;
      clearTimeout(timer);
      if (m.type === "start") {
        timer = setTimeout(() => {
          stop = { index: m.index, failure: { kind: "hang", detail: `still running after ${timeoutMs} ms` } };
          void worker.terminate();
        }, timeoutMs);
      }
      onMessage(m);
    });
    worker.on("error", (e) => {
      stop ??= { index: current, failure: { kind: "host exception", detail: `the worker died: ${e.stack ?? e.message}` } };
    });
    worker.on("exit", () => {
      clearTimeout(timer);
      if (!stop) resolve(job.count);
      else if (stop.index === undefined) reject(new Error(`fuzz: the worker died before its first input: ${stop.failure.detail}`));
      else {
        onStop(stop.index, stop.failure);
        resolve(stop.index + 1);
      }
    });
  });
}

/** The summary line and one line per failed input, as `npm run fuzz` prints them. */
export function report(s: FuzzSummary): string[] {
  const count = (kind: FailureKind) => s.failed.filter((f) => f.failures.some((x) => x.kind === kind)).length;
  const lines = [
    `${s.inputs} inputs: ${s.loaded} loaded, ${s.refused} refused, ${count("host exception")} host exceptions, ` +
      `${count("kernel state changed")} kernel state changes, ${count("hang")} hangs`,
  ];
  for (const f of s.failed) {
    lines.push(`FAIL seed ${s.seed} input ${f.index} (${f.what}), written to ${f.file}:`);
    for (const x of f.failures) lines.push(`  ${x.kind}: ${x.detail.split("\n").join("\n    ")}`);
  }
  return lines;
}
