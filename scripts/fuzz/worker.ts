// The fuzzer's worker thread: runs inputs start..count-1 of a campaign, saying which one it starts before
// each, so the main thread can tell a hang from slow progress and end it.

import { join } from "node:path";
import { parentPort, threadId, workerData } from "node:worker_threads";
import { fuzzInput } from "./mutate.js";
import { FuzzTarget, loadCorpus, type Outcome } from "./target.js";

/** What the main thread gives the worker. */
export interface WorkerJob {
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  readonly corpusDir: string;
  /** A scratch directory for the input file the commands read. */
  readonly scratch: string;
}

/** What the worker says: an input started, or its outcome. */
export type WorkerMessage = { readonly type: "start"; readonly index: number } | ({ readonly type: "result"; readonly index: number } & Outcome);

const job = workerData as WorkerJob;
const corpus = loadCorpus(job.corpusDir);
const file = join(job.scratch, `input-${threadId}.wasm`);
let target = new FuzzTarget(file, corpus);
for (let index = job.start; index < job.count; index++) {
  parentPort!.postMessage({ type: "start", index } satisfies WorkerMessage);
  const outcome = target.run(fuzzInput(corpus, job.seed, index).bytes);
  parentPort!.postMessage({ type: "result", index, ...outcome } satisfies WorkerMessage);
  // A failure may have left the kernel in any state: the next input gets a fresh one.
  if (outcome.failures.length > 0) target = new FuzzTarget(file, corpus);
}
