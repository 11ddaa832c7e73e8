// KUnit's core (lib/kunit/test.c): the suites modules register, running them case by case, and the KTAP
// lines that report them.
//
//   suite_init ▶ "# Subtest" header ▶ for each case: [init ▶ run_case] ▶ [exit ▶ free its blocks] ▶ "ok N case"
//   ▶ suite_exit ▶ "# suite: pass:.." ▶ "ok N suite"
//
// Each bracket runs as one kunit_try_catch (try_catch.ts): a failed assertion, a trap or the watchdog ends
// only it, the case fails, and the next case runs. A suite is the module's own object; the kernel keeps its
// name, its functions (table indices) and its cases, registered while the module loads.

import { LOGLEVELS } from "../../../abi/kern_levels.js";
import { errno } from "../../../abi/errno.js";
import { KUNIT_STATUS_COMMENT_SIZE } from "../../../abi/kunit.js";
import { STRUCTS } from "../../../abi/kernel.js";
import { layoutStruct } from "../../../abi/types.js";
import { GFP } from "../../../abi/gfp.js";
import { KernelError } from "../../kernel/error.js";
import type { Taint } from "../../kernel/panic.js";
import type { Module } from "../../module/internal.js";
import { moduleFunction } from "../../module/fnptr.js";
import { hex, type ModPtr } from "../../mm/maccess.js";
import { ZERO_SIZE_PTR } from "../../mm/slab.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import {
  binaryFormat, binaryPtrFormat, binaryStrFormat, memFormat, prologue, ptrNotErrFormat, SUBTEST_INDENT, unaryFormat, type Operands,
} from "./assert.js";
import { KunitAbort, kunitTryCatch, type TryCall, type TryResult } from "./try_catch.js";

export type KunitStatus = "SUCCESS" | "FAILURE" | "SKIPPED";

export interface KunitCase {
  readonly name: string;
  /** run_case(test): a table index into its module. */
  readonly runCase: number;
  /** test_case->status after the last run; SKIPPED until it has run. */
  status: KunitStatus;
  /** test_case->log: the lines the case logged in its last run (its debugfs results). */
  log: string[];
  /** The reason it was skipped, or the empty string. */
  comment: string;
}

export interface KunitSuite {
  readonly module: Module;
  readonly name: string;
  /** The module's own suite object, handed to suite_init and suite_exit. */
  readonly ptr: number;
  readonly init: number;
  readonly exit: number;
  readonly suiteInit: number;
  readonly suiteExit: number;
  readonly cases: KunitCase[];
  /** suite_init's error, 0 when it succeeded or there is none. */
  suiteInitErr: number;
  /** suite->log: the suite's own lines (its statistics), for its debugfs results. */
  log: string[];
}

/** What KUnit needs from the kernel. */
export interface KunitContext {
  printk(message: string, level: number): void;
  warn(message: string): void;
  readonly taint: Taint;
  /** The gate's try: a fault of the module's own code ends only the call (ModuleLoader.tryCall). */
  readonly tryCall: TryCall;
  /** Each case starts a fresh soft-lockup period, as each of Linux's runs in a kthread of its own. */
  touchWatchdog(): void;
}

/** A case while it runs: its struct kunit in the module's memory and what the checks made of it. */
export interface RunningTest {
  readonly mod: Module;
  readonly ptr: ModPtr;
  readonly name: string;
  readonly testCase: KunitCase;
  status: KunitStatus;
  comment: string;
  /** A _MSG check's message, for the failure report that follows it. */
  message: string | null;
  /** kunit_kmalloc blocks, freed in reverse order when the case ends. */
  readonly blocks: ModPtr[];
}

const KUNIT = layoutStruct("kunit", STRUCTS.kunit);
const LAST_SEEN = KUNIT.fields.find((f) => f.name === "last_seen")!.offset;

export function kunitStatusToOkNotOk(status: KunitStatus): string {
  return status === "FAILURE" ? "not ok" : "ok";
}

/** KTAP's " # SKIP reason" directive after a skipped test's name. */
function directive(status: KunitStatus, comment: string): string {
  return status === "SKIPPED" ? ` # SKIP ${comment}` : "";
}

interface Stats {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
}

function count(stats: Stats, status: KunitStatus): void {
  if (status === "SUCCESS") stats.passed++;
  else if (status === "FAILURE") stats.failed++;
  else stats.skipped++;
  stats.total++;
}

/** kunit_suite_has_succeeded(): a failure anywhere fails it, else one success passes it, else it was skipped. */
export function suiteStatus(suite: KunitSuite): KunitStatus {
  if (suite.suiteInitErr !== 0 || suite.cases.some((c) => c.status === "FAILURE")) return "FAILURE";
  return suite.cases.some((c) => c.status === "SUCCESS") ? "SUCCESS" : "SKIPPED";
}

export class KunitRunner {
  /** The cases running now, innermost last (a case may load a module whose suites run inside it). */
  private readonly running: RunningTest[] = [];

  constructor(private readonly ctx: KunitContext) {}

  /** The running case a symbol's `test` argument names; a WARN and undefined when it names none of the caller's. */
  test(mod: Module, ptr: number, sym: string): RunningTest | undefined {
    const t = [...this.running].reverse().find((r) => r.mod === mod && r.ptr === ptr);
    if (!t) this.ctx.warn(`${mod.name}: ${sym}: ${hex(ptr)} is not a running KUnit test`);
    return t;
  }

  /** kunit_log(): a line into the kernel log and the case's results. */
  log(t: RunningTest, level: number, line: string): void {
    this.ctx.printk(line, level);
    t.testCase.log.push(line);
  }

  /** kunit_printk(): "    # CASE: message". */
  printk(t: RunningTest, level: number, message: string): void {
    this.log(t, level, `${SUBTEST_INDENT}# ${t.name}: ${message}`);
  }

  /** kunit_fail(): the case fails, and the check's report is logged as kunit_err() logs it. */
  fail(t: RunningTest, type: number, loc: string, format: (message: string | null) => string): void {
    t.status = "FAILURE";
    const message = t.message;
    t.message = null;
    this.printk(t, LOGLEVELS.KERN_ERR, `${prologue(type, loc)}${format(message)}`);
  }

  /** kunit_mark_skipped(): the status and its reason, cut as scnprintf() into the comment buffer cuts it. */
  markSkipped(t: RunningTest, reason: string): void {
    t.status = "SKIPPED";
    t.comment = Buffer.from(reason).subarray(0, KUNIT_STATUS_COMMENT_SIZE - 1).toString();
  }

  /** kunit_run_tests(): one suite, its cases in order, reported as a KTAP subtest numbered `number`. */
  runTests(suite: KunitSuite, number: number): void {
    const info = (line: string) => this.ctx.printk(line, LOGLEVELS.KERN_INFO);
    this.ctx.taint.add("TEST");
    suite.suiteInitErr = 0;
    suite.log = [];
    if (suite.suiteInit !== 0) suite.suiteInitErr = this.suiteCall(suite, suite.suiteInit);
    if (suite.suiteInitErr !== 0) {
      this.suiteLog(suite, LOGLEVELS.KERN_ERR, `${SUBTEST_INDENT}# ${suite.name}: ${SUBTEST_INDENT}# failed to initialize (${suite.suiteInitErr})`);
    } else {
      info(`${SUBTEST_INDENT}KTAP version 1`);
      info(`${SUBTEST_INDENT}# Subtest: ${suite.name}`);
      info(`${SUBTEST_INDENT}1..${suite.cases.length}`);
      const stats: Stats = { passed: 0, failed: 0, skipped: 0, total: 0 };
      suite.cases.forEach((c, i) => {
        const t = this.runCase(suite, c);
        c.status = t.status;
        c.comment = t.comment;
        this.log(t, LOGLEVELS.KERN_INFO, `${SUBTEST_INDENT}${kunitStatusToOkNotOk(c.status)} ${i + 1} ${c.name}${directive(c.status, c.comment)}`);
        count(stats, c.status);
      });
      if (suite.suiteExit !== 0) this.suiteCall(suite, suite.suiteExit);
      if (stats.total > 1) {
        const line = `pass:${stats.passed} fail:${stats.failed} skip:${stats.skipped} total:${stats.total}`;
        this.suiteLog(suite, LOGLEVELS.KERN_INFO, `# ${suite.name}: ${line}`);
        this.suiteLog(suite, LOGLEVELS.KERN_INFO, `# Totals: ${line}`);
      }
    }
    const status = suiteStatus(suite);
    info(`${kunitStatusToOkNotOk(status)} ${number} ${suite.name}${directive(status, "")}`);
  }

  private suiteLog(suite: KunitSuite, level: number, line: string): void {
    this.ctx.printk(line, level);
    suite.log.push(line);
  }

  /** suite_init(suite) or suite_exit(suite): its return (0 for suite_exit), or the -errno of a fault. */
  private suiteCall(suite: KunitSuite, fn: number): number {
    let ret = 0;
    const result = kunitTryCatch(this.ctx.tryCall, suite.module, () => {
      ret = moduleFunction<(s: number) => number>(suite.module, fn, "kunit suite function")(suite.ptr) | 0;
    });
    return result.code !== 0 ? result.code : ret;
  }

  /** kunit_run_case_catch_errors(): init and the case in one try, exit and the clean-up in another. */
  private runCase(suite: KunitSuite, testCase: KunitCase): RunningTest {
    testCase.log = [];
    const { module: mod } = suite;
    const ptr = mod.dead ? (0 as ModPtr) : mod.slab.kmalloc(KUNIT.size, GFP.GFP_KERNEL | GFP.__GFP_ZERO);
    const t: RunningTest = { mod, ptr, name: testCase.name, testCase, status: "SUCCESS", comment: "", message: null, blocks: [] };
    if (ptr === 0) {
      t.status = "FAILURE";
      const code = -errno(mod.dead ? "ENODEV" : "ENOMEM");
      this.printk(t, LOGLEVELS.KERN_ERR, `internal error occurred preventing test case from running: ${code}\n`);
      return t;
    }
    this.running.push(t);
    try {
      this.ctx.touchWatchdog();
      this.caught(t, kunitTryCatch(this.ctx.tryCall, mod, () => this.runCaseInternal(suite, t)), "run");
      this.ctx.touchWatchdog();
      this.caught(t, kunitTryCatch(this.ctx.tryCall, mod, () => this.runCaseCleanup(suite, t)), "cleanup");
    } finally {
      this.running.pop();
      if (!mod.dead) for (const block of [...t.blocks.reverse(), ptr]) mod.slab.kfree(block);
    }
    return t;
  }

  /** kunit_run_case_internal(): init(test), then the case unless init failed. */
  private runCaseInternal(suite: KunitSuite, t: RunningTest): void {
    if (suite.init !== 0) {
      const ret = moduleFunction<(p: number) => number>(t.mod, suite.init, "kunit init")(t.ptr) | 0;
      if (ret !== 0) {
        this.printk(t, LOGLEVELS.KERN_ERR, `failed to initialize: ${ret}\n`);
        t.status = "FAILURE";
        return;
      }
    }
    moduleFunction<(p: number) => void>(t.mod, t.testCase.runCase, "kunit case")(t.ptr);
  }

  /** kunit_run_case_cleanup(): exit(test) (kunit_cleanup's freeing follows in runCase, whatever happens). */
  private runCaseCleanup(suite: KunitSuite, t: RunningTest): void {
    if (suite.exit !== 0) moduleFunction<(p: number) => void>(t.mod, suite.exit, "kunit exit")(t.ptr);
  }

  /** kunit_try_catch_run()'s report of how a try ended, then kunit_catch_run_case(_cleanup)'s. */
  private caught(t: RunningTest, result: TryResult, phase: "run" | "cleanup"): void {
    const err = (m: string) => this.printk(t, LOGLEVELS.KERN_ERR, m);
    if (result.code === -errno("EINTR")) {
      const seen = this.lastSeen(t);
      err(seen ? `try faulted: last line seen ${seen}\n` : "try faulted\n");
    } else if (result.code === -errno("ETIMEDOUT")) err("try timed out\n");
    else if (result.code !== 0) err(`Unknown error: ${result.code}\n`);
    if (phase === "cleanup" && (result.code !== 0 || ("aborted" in result && result.aborted))) {
      t.status = "FAILURE";
      if (result.code === 0) err("test aborted during cleanup. continuing without cleaning up\n");
      else if (result.code === -errno("ETIMEDOUT")) err("test case cleanup timed out\n");
      else err(`internal error occurred during test case cleanup: ${result.code}\n`);
    } else if (phase === "run" && result.code !== 0) {
      t.status = "FAILURE";
      if (result.code === -errno("ETIMEDOUT")) err("test case timed out\n");
      else err(`internal error occurred preventing test case from running: ${result.code}\n`);
    }
  }

  /** test->last_seen: where the case's latest check was, read from its struct kunit. */
  private lastSeen(t: RunningTest): string | null {
    try {
      const ptr = t.mod.memory.view(t.ptr + LAST_SEEN, 4).getUint32(0, true);
      const loc = ptr === 0 ? "" : t.mod.memory.readString(ptr, 4096);
      return loc === "" ? null : loc;
    } catch (e) {
      if (e instanceof KernelError) return null;
      throw e;
    }
  }

  /** kunit_kmalloc(): a block the case holds until it ends. */
  kmalloc(t: RunningTest, size: number, flags: number): ModPtr {
    const ptr = t.mod.slab.kmalloc(size, flags);
    if (ptr !== 0 && ptr !== ZERO_SIZE_PTR) t.blocks.push(ptr);
    return ptr;
  }

  /** kunit_kfree(): a block not from kunit_kmalloc is a WARN, as kunit_release_action() gives. */
  kfree(t: RunningTest, ptr: number): void {
    if (ptr === 0) return;
    const at = t.blocks.lastIndexOf(ptr as ModPtr);
    if (at < 0) {
      this.ctx.warn(`${t.mod.name}: kunit_kfree of ${hex(ptr)}, which kunit_kmalloc did not return for ${t.name}`);
      return;
    }
    t.blocks.splice(at, 1);
    t.mod.slab.kfree(ptr);
  }
}

/** printk's formatting of a module's format string and six argument slots (host/module/ksyms.ts). */
export type ModuleFormat = (fmt: number, args: readonly number[]) => string;

type RunnerSymbols = Pick<
  KernelFunctions,
  | "__kunit_fail_binary" | "__kunit_fail_binary_ptr" | "__kunit_fail_binary_str" | "__kunit_fail_unary" | "__kunit_fail_ptr_not_err"
  | "__kunit_fail_mem" | "__kunit_fail" | "__kunit_assert_message" | "__kunit_abort" | "__kunit_mark_skipped" | "__kunit_printk"
  | "kunit_kmalloc" | "kunit_kfree"
>;

/** The most of a check's source text or string operand the report reads from the module. */
const TEXT_MAX = 1024;

/**
 * The running-case symbols as module `mod` imports them. A `test` that is not one of the caller's running
 * cases is a WARN and the call does nothing; a bad string pointer is a WARN naming the symbol.
 */
export function kunitRunnerSymbols(runner: KunitRunner, mod: Module, format: ModuleFormat, warn: (m: string) => void): RunnerSymbols {
  const str = (p: number) => (p === 0 ? "" : mod.memory.readString(p, TEXT_MAX));
  const mem = (p: number, n: number) => (p === 0 ? null : mod.memory.bytes(p, n).slice());
  /** Run a symbol's body on the case `test` names, with a bad pointer in its arguments a WARN (EFAULT). */
  const on = (sym: string, test: number, body: (t: RunningTest) => void): void => {
    const t = runner.test(mod, test, sym);
    if (!t) return;
    try {
      body(t);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      warn(`${mod.name}: ${sym}: ${e.message} (EFAULT)`);
    }
  };
  const operands = <T>(op: number, lt: number, l: T, rt: number, r: T): Operands<T> => ({
    op: str(op), leftText: str(lt), left: l, rightText: str(rt), right: r,
  });
  return {
    __kunit_fail_binary: (test, type, loc, op, lt, l, rt, r) =>
      on("__kunit_fail_binary", test, (t) => runner.fail(t, type, str(loc), (m) => binaryFormat(operands(op, lt, l, rt, r), m))),
    __kunit_fail_binary_ptr: (test, type, loc, op, lt, l, rt, r) =>
      on("__kunit_fail_binary_ptr", test, (t) => runner.fail(t, type, str(loc), (m) => binaryPtrFormat(operands(op, lt, l, rt, r), m))),
    __kunit_fail_binary_str: (test, type, loc, op, lt, l, rt, r) =>
      on("__kunit_fail_binary_str", test, (t) => runner.fail(t, type, str(loc), (m) => binaryStrFormat(operands(op, lt, str(l), rt, str(r)), m))),
    __kunit_fail_unary: (test, type, loc, condition, expectedTrue) =>
      on("__kunit_fail_unary", test, (t) => runner.fail(t, type, str(loc), (m) => unaryFormat(str(condition), expectedTrue, m))),
    __kunit_fail_ptr_not_err: (test, type, loc, text, value) =>
      on("__kunit_fail_ptr_not_err", test, (t) => runner.fail(t, type, str(loc), (m) => ptrNotErrFormat(str(text), value, m))),
    __kunit_fail_mem: (test, type, loc, op, lt, l, rt, r, size) =>
      on("__kunit_fail_mem", test, (t) => runner.fail(t, type, str(loc), (m) => memFormat(operands(op, lt, mem(l, size), rt, mem(r, size)), m))),
    __kunit_fail: (test, type, loc, fmt, ...args) => on("__kunit_fail", test, (t) => runner.fail(t, type, str(loc), () => format(fmt, args))),
    __kunit_assert_message: (test, fmt, ...args) => on("__kunit_assert_message", test, (t) => void (t.message = format(fmt, args))),
    __kunit_abort(test) {
      const t = runner.test(mod, test, "__kunit_abort");
      if (t) throw new KunitAbort(test);
    },
    __kunit_mark_skipped: (test, fmt, ...args) => on("__kunit_mark_skipped", test, (t) => runner.markSkipped(t, format(fmt, args))),
    __kunit_printk: (level, test, fmt, ...args) => on("__kunit_printk", test, (t) => runner.printk(t, level, format(fmt, args))),
    kunit_kmalloc(test, size, flags) {
      const t = runner.test(mod, test, "kunit_kmalloc");
      return t ? runner.kmalloc(t, size >>> 0, flags >>> 0) : 0;
    },
    kunit_kfree: (test, ptr) => on("kunit_kfree", test, (t) => runner.kfree(t, ptr >>> 0)),
  };
}
