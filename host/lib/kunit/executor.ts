// KUnit's executor (lib/kunit/executor.c) and its module notifier (kunit_module_init in test.c): the suites a
// module registers while it loads run once it is live, as a KTAP document in the kernel log.
//
//   registered suites ▶ kunit.filter_glob ("suite_glob.test_glob") ▶ kunit.action: run (the default) or list
//   ▶ "KTAP version 1" "1..N" ▶ kunit.enable? ▶ each suite: its debugfs files, then kunit_run_tests
//
// The parameters are those of Linux's built-in kunit, given on the kernel command line (kunit.enable=0).

import { LOGLEVELS } from "../../../abi/kern_levels.js";
import type { Kernfs } from "../../fs/kernfs.js";
import { KernelError, refusal } from "../../kernel/error.js";
import { fnmatch } from "../../kmod/fnmatch.js";
import { moduleFunction } from "../../module/fnptr.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { parseBool } from "../../module/params.js";
import { KUNIT_DEBUGFS_ROOT, kunitDebugfsCreateSuite } from "./debugfs.js";
import { KunitRunner, kunitRunnerSymbols, type KunitContext, type KunitSuite, type ModuleFormat } from "./test.js";

/** kunit.enable, kunit.filter_glob and kunit.action, as Linux's built-in kunit takes them. */
export interface KunitParams {
  /** CONFIG_KUNIT_DEFAULT_ENABLED=y: suites run unless kunit.enable=0. */
  readonly enable: boolean;
  readonly filterGlob: string | null;
  readonly action: string | null;
}

export const KUNIT_DEFAULT_PARAMS: KunitParams = { enable: true, filterGlob: null, action: null };

/** The kunit.* parameters of a kernel command line's name/value pairs; others are not KUnit's. */
export function kunitParams(args: readonly (readonly [name: string, value: string | undefined])[]): KunitParams {
  let params = KUNIT_DEFAULT_PARAMS;
  for (const [name, value] of args) {
    if (name === "kunit.enable") params = { ...params, enable: parseBool(value ?? "y") ?? params.enable };
    else if (name === "kunit.filter_glob") params = { ...params, filterGlob: value ?? "" };
    else if (name === "kunit.action") params = { ...params, action: value ?? "" };
  }
  return params;
}

export interface KunitExecContext extends KunitContext {
  readonly debugfs: Kernfs;
}

/** kunit_parse_glob_filter(): "suite_glob.test_glob", or a suite glob alone for every test of those suites. */
function parseGlob(glob: string): { suite: string; test: string | null } {
  const dot = glob.indexOf(".");
  return dot < 0 ? { suite: glob, test: null } : { suite: glob.slice(0, dot), test: glob.slice(dot + 1) };
}

/** kunit_filter_suites(): copies of the suites that match, each with only its matching cases; empty ones go. */
function filterSuites(suites: readonly KunitSuite[], glob: string): KunitSuite[] {
  const filter = parseGlob(glob);
  return suites.flatMap((s) => {
    if (!fnmatch(filter.suite, s.name)) return [];
    const cases = s.cases.filter((c) => filter.test === null || fnmatch(filter.test, c.name));
    return cases.length === 0 ? [] : [{ ...s, cases: cases.map((c) => ({ ...c, log: [] })), log: [] }];
  });
}

/** Why a suite or case name cannot be one (null when it can): empty, or not a debugfs file name. */
function badName(name: string): string | null {
  if (name === "") return "empty name";
  if (name.includes("/") || name === "." || name === "..") return `name '${name}' is not a file name`;
  return null;
}

export class Kunit {
  readonly runner: KunitRunner;
  /** Suites as modules registered them, in order, until the module is live. */
  private readonly registered = new Map<Module, KunitSuite[]>();
  /** The suites a live module ran (filtered) and their debugfs directories. */
  private readonly live = new Map<Module, { suites: KunitSuite[]; dirs: string[] }>();

  constructor(
    private readonly ctx: KunitExecContext,
    readonly params: KunitParams,
  ) {
    this.runner = new KunitRunner(ctx);
    ctx.debugfs.addDir(KUNIT_DEBUGFS_ROOT);
  }

  /** The suites of a live module as they last ran: what its debugfs results show. */
  suites(mod: Module): readonly KunitSuite[] {
    return this.live.get(mod)?.suites ?? [];
  }

  /** kunit_module_init(): a module is live; its suites are filtered, then run or listed. */
  moduleLive(mod: Module): void {
    const registered = this.registered.get(mod) ?? [];
    this.registered.delete(mod);
    if (registered.length === 0) return;
    const suites = filterSuites(registered, this.params.filterGlob ?? "*.*");
    if (this.params.action === null) this.runSuites(mod, suites);
    else if (this.params.action === "list") this.listSuites(suites);
    else this.ctx.printk(`kunit: unknown action '${this.params.action}'`, LOGLEVELS.KERN_ERR);
  }

  /** kunit_exec_run_tests() and __kunit_test_suites_init(). */
  private runSuites(mod: Module, suites: KunitSuite[]): void {
    const info = (line: string) => this.ctx.printk(line, LOGLEVELS.KERN_INFO);
    if (suites.length === 0) return;
    info("KTAP version 1");
    info(`1..${suites.length}`);
    if (!this.params.enable) return info("kunit: disabled");
    const dirs = suites.flatMap((s) => kunitDebugfsCreateSuite(this.ctx.debugfs, s, () => this.rerun(s), (m) => this.ctx.warn(m)) ?? []);
    this.live.set(mod, { suites, dirs });
    suites.forEach((s, i) => this.runner.runTests(s, i + 1));
  }

  /** A write to a suite's debugfs run file: __kunit_test_suites_init() of that suite alone. */
  private rerun(suite: KunitSuite): void {
    if (suite.module.dead) throw new KernelError("ENODEV", `${suite.module.name}: module is dead`);
    this.runner.runTests(suite, 1);
  }

  /** kunit_exec_list_tests(): a KTAP header for kunit.py to find, then each suite and its suite.case names. */
  private listSuites(suites: readonly KunitSuite[]): void {
    const info = (line: string) => this.ctx.printk(line, LOGLEVELS.KERN_INFO);
    info("KTAP version 1");
    for (const s of suites) {
      info(s.name);
      for (const c of s.cases) info(`${s.name}.${c.name}`);
    }
  }

  /** The module goes (unloaded, or its load failed): its suites and their debugfs directories with it. */
  reclaim(mod: Module): void {
    this.registered.delete(mod);
    for (const dir of this.live.get(mod)?.dirs ?? []) this.ctx.debugfs.removeTree(dir);
    this.live.delete(mod);
  }

  /** The KUnit symbols as module `mod` imports them; `format` is printk's formatting of its arguments. */
  symbols(mod: Module, format: ModuleFormat): Pick<KernelFunctions, "__kunit_test_suite" | "__kunit_test_case"> & ReturnType<typeof kunitRunnerSymbols> {
    return {
      __kunit_test_suite: (ptr, name, init, exit, suiteInit, suiteExit) => {
        try {
          return this.registerSuite(mod, ptr, mod.memory.readString(name, 256), [init, exit, suiteInit, suiteExit]);
        } catch (e) {
          return refusal(e);
        }
      },
      __kunit_test_case: (id, name, runCase) => {
        try {
          return this.registerCase(mod, id, mod.memory.readString(name, 256), runCase);
        } catch (e) {
          return refusal(e);
        }
      },
      ...kunitRunnerSymbols(this.runner, mod, format, (m) => this.ctx.warn(m)),
    };
  }

  /** kunit_test_suites(): the suite's id, its position among the module's suites from 1. */
  private registerSuite(mod: Module, ptr: number, name: string, fns: readonly number[]): number {
    const suites = this.registering(mod);
    const bad = badName(name);
    if (bad) throw new KernelError("EINVAL", `${mod.name}: kunit suite: ${bad}`);
    for (const fn of fns) if (fn !== 0) moduleFunction(mod, fn, `kunit suite ${name}`);
    const [init, exit, suiteInit, suiteExit] = fns as [number, number, number, number];
    suites.push({ module: mod, name, ptr: ptr >>> 0, init, exit, suiteInit, suiteExit, cases: [], suiteInitErr: 0, log: [] });
    return suites.length;
  }

  private registerCase(mod: Module, id: number, name: string, runCase: number): number {
    const suite = this.registering(mod)[id - 1];
    if (!suite) throw new KernelError("EINVAL", `${mod.name}: kunit case ${name}: no suite ${id}`);
    const bad = badName(name);
    if (bad) throw new KernelError("EINVAL", `${mod.name}: kunit case in ${suite.name}: ${bad}`);
    moduleFunction(mod, runCase, `kunit case ${name}`);
    suite.cases.push({ name, runCase, status: "SKIPPED", log: [], comment: "" });
    return 0;
  }

  /** The module's suites while it may still register them: only before it is live (EBUSY after). */
  private registering(mod: Module): KunitSuite[] {
    if (mod.state === "LIVE") throw new KernelError("EBUSY", `${mod.name}: kunit suites are registered while the module loads`);
    let suites = this.registered.get(mod);
    if (!suites) this.registered.set(mod, (suites = []));
    return suites;
  }
}
