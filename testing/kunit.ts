// Running KUnit test modules as kunit.py runs a kernel: build what is given as source, boot a fresh kernel
// with the kunit.* command line, load each module with what it depends on (modprobe), and read the KTAP the
// suites printed from the kernel log.

import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { Kernel, type KernelOptions } from "../host/init/main.js";
import { runProgram } from "../host/cli/session.js";
import { moduleInfo } from "../host/kmod/elf.js";
import { KernelError } from "../host/kernel/error.js";
import { ktapDocuments, parseKtap, type KtapTest } from "./ktap.js";

export interface KunitRunOptions {
  /** kunit.filter_glob: "suite_glob.test_glob". */
  readonly filterGlob?: string;
  /** kunit.action=list: name the suites and cases instead of running them. */
  readonly list?: boolean;
  /** More kernel command line, after the kunit.* parameters. */
  readonly kernelArgs?: string;
  /** Options for the kernel booted (its module directory...). */
  readonly kernel?: KernelOptions;
  /** What modprobe prints to its error output: why a module did not load. */
  readonly err?: (text: string) => void;
}

export interface KunitRun {
  readonly kernel: Kernel;
  /** The kernel log, a line per line (records with several lines split). */
  readonly log: string[];
  /** Each module's KTAP document, parsed. */
  readonly documents: KtapTest[];
  /** The modules (as given) that did not load, with modprobe's status. */
  readonly failedLoads: { readonly module: string; readonly status: number }[];
}

/** The kernel command line the options make. */
export function kunitCmdline(opts: KunitRunOptions): string {
  const args = [
    ...(opts.filterGlob !== undefined ? [`kunit.filter_glob=${opts.filterGlob}`] : []),
    ...(opts.list ? ["kunit.action=list"] : []),
    ...(opts.kernelArgs ? [opts.kernelArgs] : []),
  ];
  return [opts.kernel?.cmdline ?? "", ...args].filter((a) => a !== "").join(" ");
}

/** The KUnit test modules installed in a module directory (lib/modules/<release>): every *_test.wasm, by name. */
export function installedTestModules(moduleDir: string): string[] {
  return readdirSync(join(moduleDir, "kernel"))
    .filter((f) => f.endsWith("_test.wasm"))
    .map((f) => basename(f, ".wasm"))
    .sort();
}

/** A field of a module file's .modinfo ("" when it has none, or the file is not a module). */
function modinfoField(path: string, key: string): string {
  try {
    return moduleInfo(path).find(([k]) => k === key)?.[1] ?? "";
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    return "";
  }
}

/**
 * What modprobe is given for a module: a file's dependencies first, then the file; a name alone. modules.dep
 * does not know a file built outside the module directory, nor its dependencies when they were built there
 * too: a dependency already loaded is skipped (insmod would find its symbols), one of the files given is
 * loaded from that file, any other is modprobed by name.
 */
function probeOrder(kernel: Kernel, module: string, given: readonly string[]): string[] {
  if (!module.endsWith(".wasm")) return [module];
  const byName = new Map(given.filter((g) => g.endsWith(".wasm")).map((g) => [modinfoField(g, "name"), g]));
  const depends = modinfoField(module, "depends").split(",").filter((d) => d !== "" && !kernel.modules.find(d));
  return [...depends.map((d) => byName.get(d) ?? d), module];
}

/**
 * Boot a kernel and modprobe each module (a name from the module directory or a .wasm path), in order:
 * their suites run as each loads.
 */
export function runKunitModules(modules: readonly string[], opts: KunitRunOptions = {}): KunitRun {
  const kernel = new Kernel({ ...opts.kernel, cmdline: kunitCmdline(opts) });
  const failedLoads: { module: string; status: number }[] = [];
  for (const module of modules) {
    // A file given also as another's dependency is loaded already.
    if (module.endsWith(".wasm") && kernel.modules.find(modinfoField(module, "name"))) continue;
    const status = probeOrder(kernel, module, modules).reduce(
      (s, name) => s || runProgram(kernel, ["modprobe", name], () => undefined, opts.err ?? (() => undefined)),
      0,
    );
    if (status !== 0) failedLoads.push({ module, status });
  }
  const log = kernel.log.read().flatMap((r) => r.text.split("\n"));
  return { kernel, log, documents: ktapDocuments(log).map(parseKtap), failedLoads };
}
