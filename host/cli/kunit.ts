// wasm-lkm kunit run|parse: kunit.py for modules. `run` builds what it is given, loads it in a fresh kernel
// and prints the suites' results (kunit.py's summary, or the KTAP itself); `parse` reads KTAP saved elsewhere
// (a debugfs results file, a dmesg) and summarises it. Both exit 1 when any test failed or crashed.

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { countCases, extractKtap, formatSummary, ktapDocuments, parseKtap, type KtapTest } from "../../testing/ktap.js";
import { resolveModules } from "../../testing/build.js";
import { installedTestModules, runKunitModules } from "../../testing/kunit.js";
import { releaseDir } from "../kmod/depmod.js";
import { ROOT } from "../init/paths.js";

interface Output {
  out(text: string): void;
  err(text: string): void;
}

interface RunOptions {
  readonly raw_output?: boolean;
  readonly filter_glob?: string;
  readonly list_tests?: boolean;
  readonly kernel_args?: string;
}

/** kunit.py's timestamp before each line it prints. */
function stamp(): string {
  return `[${new Date().toTimeString().slice(0, 8)}] `;
}

/** 0 when every document ran tests and none failed, crashed or failed to parse; else 1. */
function verdict(docs: readonly KtapTest[]): number {
  const counts = docs.map(countCases);
  const ran = counts.some((c) => c.passed + c.failed + c.crashed + c.skipped > 0);
  return ran && counts.every((c) => c.failed + c.crashed + c.errors === 0) ? 0 : 1;
}

/** No KTAP at all: kunit.py's complaint. */
function missing(io: Output): number {
  io.out(`${stamp()}[ERROR] Test: <missing>: Could not find any KTAP output. Did any KUnit tests run?\n`);
  return 1;
}

/** `wasm-lkm kunit run [MODULE|SOURCE...]`: with none given, every installed *_test module. */
export async function kunitRun(targets: readonly string[], opts: RunOptions, io: Output): Promise<number> {
  const given = targets.length > 0 ? targets : installedTestModules(releaseDir(ROOT));
  const { BuildError } = await import("../../scripts/build.js");
  let built: Awaited<ReturnType<typeof resolveModules>>;
  try {
    built = await resolveModules(given);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    io.err(`${e.message}\n`);
    return 1;
  }
  try {
    const run = runKunitModules(built.modules, {
      filterGlob: opts.filter_glob, list: opts.list_tests, kernelArgs: opts.kernel_args, err: io.err,
    });
    if (opts.raw_output || opts.list_tests) {
      io.out(extractKtap(run.log).map((l) => `${l}\n`).join(""));
      return run.failedLoads.length > 0 ? 1 : 0;
    }
    if (run.documents.length === 0) return missing(io);
    io.out(formatSummary(run.documents, stamp()));
    return run.failedLoads.length > 0 ? 1 : verdict(run.documents);
  } finally {
    built.cleanup();
  }
}

/** `wasm-lkm kunit parse [FILE]`: KTAP from a file (or standard input), as kunit.py parse reads it. */
export function kunitParse(file: string | undefined, io: Output): number {
  const lines = readFileSync(file ?? 0, "utf8").split("\n");
  const docs = ktapDocuments(extractKtap(lines)).map(parseKtap);
  if (docs.length === 0) return missing(io);
  io.out(formatSummary(docs, stamp()));
  return verdict(docs);
}

/** The kunit command and its subcommands, on the wasm-lkm program. */
export function addKunitCommand(program: Command, io: Output): void {
  const kunit = program.command("kunit").description("run KUnit test modules in a fresh kernel, or read their KTAP, as kunit.py does");
  kunit
    .command("run")
    .description("build the sources given, load every module given (default: each installed *_test module) and report its suites")
    .argument("[modules...]", "module names, .wasm files or .ts sources")
    .option("--raw_output", "print the KTAP the kernel logged instead of the summary")
    .option("--filter_glob <glob>", "run only the suites and cases matching suite_glob[.test_glob]")
    .option("--list_tests", "list the suites and cases instead of running them")
    .option("--kernel_args <args>", "more kernel command line")
    .action(async (modules: string[], opts: RunOptions) => {
      process.exitCode = await kunitRun(modules, opts, io);
    });
  kunit
    .command("parse")
    .description("summarise KTAP from a file or standard input")
    .argument("[file]")
    .action((file: string | undefined) => {
      process.exitCode = kunitParse(file, io);
    });
}
