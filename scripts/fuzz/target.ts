// One fuzz input through the shell's own commands on a kernel: insmod (and rmmod, if it loaded), modinfo,
// modprobe --dump-modversions and --show-exports, with what each must guarantee checked.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import type { Module } from "../../host/module/internal.js";
import type { Seed } from "./mutate.js";
import { changedFields, snapshot } from "./snapshot.js";

/** The built modules, by file name: what the fuzzer mutates. */
export function loadCorpus(dir: string): Seed[] {
  return readdirSync(dir).filter((f) => f.endsWith(".wasm")).sort().map((file) => ({ file, bytes: new Uint8Array(readFileSync(join(dir, file))) }));
}

/** The kinds of failure, as the summary counts them. */
export type FailureKind = "host exception" | "kernel state changed" | "hang";

export interface Failure {
  readonly kind: FailureKind;
  readonly detail: string;
}

export interface Outcome {
  /** insmod accepted the input (and rmmod took it out again). */
  readonly loaded: boolean;
  readonly failures: readonly Failure[];
}

/** The read-only tools each input goes through; they may only succeed or fail with status 1. */
const TOOLS = [["modinfo"], ["modprobe", "--dump-modversions"], ["modprobe", "--show-exports"]];

/** A module the base kernel has loaded, so that mutants of its users resolve their symbols. */
const PRELOADED = "counter.wasm";

const hostException = (e: unknown): Failure => ({ kind: "host exception", detail: e instanceof Error ? e.stack ?? e.message : String(e) });

/** fn's result, or undefined when it threw: anything it throws reached the user as a host exception. */
function hostExceptions<T>(failures: Failure[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    failures.push(hostException(e));
    return undefined;
  }
}

export class FuzzTarget {
  readonly kernel = new Kernel();
  private readonly session: Session;
  /** The current input's failures: the session reports a host error a command ran into here. */
  private failures: Failure[] = [];

  /** `file`: where each input is written for the commands to read. */
  constructor(private readonly file: string, corpus: readonly Seed[]) {
    // The shell turns a command's host error into "internal error" and status 1; for the fuzzer it is a failure.
    this.session = new Session(this.kernel, () => {}, () => {}, { logInternalError: (_where, e) => void this.failures.push(hostException(e)) });
    // A soft lockup is reported at 2 × watchdog_thresh: at 1 s, an input whose code never ends is stopped in 2 s,
    // well inside the campaign's timeout, so what reaches the timeout is code the watchdog did not stop.
    this.kernel.write("/proc/sys/kernel/watchdog_thresh", "1\n");
    const base = corpus.find((s) => s.file === PRELOADED);
    if (base) this.kernel.insmod(base.bytes, { filename: PRELOADED });
  }

  run(bytes: Uint8Array): Outcome {
    writeFileSync(this.file, bytes);
    const failures: Failure[] = [];
    this.failures = failures;
    const loaded = hostExceptions(failures, () => this.insmod(failures)) ?? false;
    for (const tool of TOOLS) {
      const status = hostExceptions(failures, () => this.session.run([...tool, this.file]));
      if (status !== undefined && status !== 0 && status !== 1) failures.push({ kind: "host exception", detail: `${tool.join(" ")} exited ${status}` });
    }
    return { loaded, failures };
  }

  /** insmod, then rmmod of what it loaded; the kernel must be as before either way. */
  private insmod(failures: Failure[]): boolean {
    const k = this.kernel;
    const before = snapshot(k);
    const listed = new Set(k.modules.list());
    const status = this.session.run(["insmod", this.file]);
    const added = k.modules.list().filter((m) => !listed.has(m));
    if (status === 0 && added.length !== 1) failures.push({ kind: "kernel state changed", detail: `insmod succeeded, ${added.length} modules appeared` });
    for (const mod of added) this.unload(mod, failures);
    const changed = changedFields(before, snapshot(k));
    const what = status === 0 ? "insmod and rmmod" : "the refused insmod";
    if (changed.length > 0) failures.push({ kind: "kernel state changed", detail: `${what} changed ${changed.join(", ")}` });
    return status === 0;
  }

  /** rmmod -f; once more if the first left it dead (its cleanup trapped), as the next rmmod removes it. */
  private unload(mod: Module, failures: Failure[]): void {
    for (let attempt = 0; attempt < 2 && this.kernel.modules.list().includes(mod); attempt++) {
      try {
        this.kernel.rmmod(mod.name, true);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (attempt === 1) failures.push({ kind: "kernel state changed", detail: `rmmod ${mod.name}: ${e.message}` });
      }
    }
  }
}
