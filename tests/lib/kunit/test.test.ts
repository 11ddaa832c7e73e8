// KUnit in modules: the KTAP a module's suites print when it loads, case by case, and what ends a case.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LOGLEVELS } from "../../../abi/kern_levels.js";
import { Kernel } from "../../../host/init/main.js";
import { compileModule } from "../../../scripts/build.js";
import { modpost } from "../../../scripts/mod/modpost.js";
import { dmesg, scratchDir, writeModuleSource } from "../../helpers.js";

const HEADER = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE } from "@abi/include/kunit";
import * as K from "@abi/include/kunit";
import { ENOMEM, GFP_KERNEL, kmalloc } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
`;

/** A suite "pass" of two passing cases, and one "single" of one. */
const PASSING = `${HEADER}
function add_test(test: kunit): void { K.KUNIT_EXPECT_EQ(test, 1 + 1, 2); }
function sub_test(test: kunit): void { K.KUNIT_EXPECT_EQ(test, 3 - 1, 2); }
function only_test(test: kunit): void { K.KUNIT_EXPECT_TRUE(test, true); }
const pass: kunit_suite = { name: "pass", test_cases: [KUNIT_CASE(add_test), KUNIT_CASE(sub_test)] };
const single: kunit_suite = { name: "single", test_cases: [KUNIT_CASE(only_test)] };
kunit_test_suites(pass, single);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** One case per kind of check, each failing; lines marked @NAME are located by the tests. */
const CHECKS = `${HEADER}
function eq(test: kunit): void {
  const x: i32 = 2;
  K.KUNIT_EXPECT_EQ(test, x, 3); // @eq
  K.KUNIT_EXPECT_EQ(test, x - 3, x); // @eq2
}
function lt(test: kunit): void { const big: u64 = 0xffffffffffffffff; K.KUNIT_EXPECT_LT(test, big, <u64>1); } // @lt
function ptr(test: kunit): void { const p: usize = 64; K.KUNIT_EXPECT_PTR_EQ(test, p, <usize>65); } // @ptr
function null_(test: kunit): void { const p: usize = 64; K.KUNIT_EXPECT_NULL(test, p); } // @null
function str(test: kunit): void { const s = "ab" + "c"; K.KUNIT_EXPECT_STREQ(test, s, "abd"); K.KUNIT_EXPECT_STREQ(test, "x", "y"); } // @str
function mem(test: kunit): void {
  const a = K.kunit_kzalloc(test, 18);
  const b = K.kunit_kzalloc(test, 18);
  store<u8>(b + 17, 0xab);
  K.KUNIT_EXPECT_MEMEQ(test, a, b, 18); // @mem
}
function bool_(test: kunit): void { K.KUNIT_EXPECT_FALSE(test, 1 < 2); } // @bool
function err(test: kunit): void { K.KUNIT_EXPECT_NOT_ERR_OR_NULL(test, <usize>-ENOMEM); } // @err
function msg(test: kunit): void { const n: i32 = 7; K.KUNIT_EXPECT_NE_MSG(test, n, 7, "n was %d, %s", n, "again"); } // @msg
function fail(test: kunit): void { K.KUNIT_FAIL(test, "gave up after %d tries", 3); }
const checks: kunit_suite = {
  name: "checks",
  test_cases: [KUNIT_CASE(eq), KUNIT_CASE(lt), KUNIT_CASE(ptr), KUNIT_CASE(null_), KUNIT_CASE(str), KUNIT_CASE(mem), KUNIT_CASE(bool_),
    KUNIT_CASE(err), KUNIT_CASE(msg), KUNIT_CASE(fail)],
};
kunit_test_suites(checks);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** What ends a case: an assertion, kunit_skip, a trap, an endless loop; and what runs around each case. */
const ENDINGS = `${HEADER}
import { pr_info } from "@abi/include/kernel";
let exits: i32 = 0;
function expect_goes_on(test: kunit): void { K.KUNIT_EXPECT_EQ(test, 1, 2); pr_info("after expect\\n"); }
function assert_ends(test: kunit): void { K.KUNIT_ASSERT_EQ(test, 1, 2); pr_info("after assert\\n"); }
function deep(test: kunit, n: i32): void { const s = "frame" + n.toString(); if (n > 0) deep(test, n - 1); K.KUNIT_ASSERT_STREQ(test, s, ""); }
function assert_deep(test: kunit): void { deep(test, 20); }
function skips(test: kunit): void { K.kunit_skip(test, "no %s here", "hardware"); pr_info("after skip\\n"); }
function marks(test: kunit): void { K.kunit_mark_skipped(test, "later"); pr_info("after mark\\n"); }
function traps(test: kunit): void { K.KUNIT_EXPECT_EQ(test, 0, 0); store<u32>(0xfffffff0, 1); } // @trap
function passes(test: kunit): void { K.kunit_info(test, "exits so far: %d", exits); }
function counting_exit(test: kunit): void { exits++; }
const endings: kunit_suite = {
  name: "endings",
  exit: counting_exit,
  test_cases: [KUNIT_CASE(expect_goes_on), KUNIT_CASE(assert_ends), KUNIT_CASE(assert_deep), KUNIT_CASE(skips), KUNIT_CASE(marks),
    KUNIT_CASE(traps), KUNIT_CASE(passes)],
};
kunit_test_suites(endings);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** A case that never ends, between two that pass. */
const SPINS = `${HEADER}
let n: i32 = 0;
function before(test: kunit): void { K.KUNIT_EXPECT_EQ(test, n, 0); }
function spins(test: kunit): void { while (n >= 0) K.kunit_kzalloc(test, 0); }
function after(test: kunit): void { K.KUNIT_EXPECT_EQ(test, n, 0); }
const spinning: kunit_suite = { name: "spinning", test_cases: [KUNIT_CASE(before), KUNIT_CASE(spins), KUNIT_CASE(after)] };
kunit_test_suites(spinning);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** init, exit, suite_init and suite_exit, and kunit_kzalloc blocks; init fails for the case named fails_init. */
const LIFECYCLE = `${HEADER}
import { pr_info } from "@abi/include/kernel";
let runs: i32 = 0;
function suite_init(s: kunit_suite): i32 { pr_info("suite_init %s\\n", s.name); return 0; }
function suite_exit(s: kunit_suite): void { pr_info("suite_exit %s\\n", s.name); }
function init(test: kunit): i32 {
  runs++;
  test.priv = K.kunit_kzalloc(test, 100);
  pr_info("init %d\\n", runs);
  return runs == 2 ? -ENOMEM : 0;
}
function exit(test: kunit): void { pr_info("exit %d\\n", runs); }
function uses_priv(test: kunit): void { K.KUNIT_ASSERT_NOT_NULL(test, test.priv); K.kunit_kzalloc(test, 4000); }
function fails_init(test: kunit): void { pr_info("fails_init ran\\n"); }
function frees_early(test: kunit): void { const p = K.kunit_kzalloc(test, 10); K.kunit_kfree(test, p); K.kunit_kfree(test, 8); }
const lifecycle: kunit_suite = {
  name: "lifecycle", init: init, exit: exit, suite_init: suite_init, suite_exit: suite_exit,
  test_cases: [KUNIT_CASE(uses_priv), KUNIT_CASE(fails_init), KUNIT_CASE(frees_early)],
};
function refuses(s: kunit_suite): i32 { return -22; }
function never(test: kunit): void { pr_info("never ran\\n"); }
const broken: kunit_suite = { name: "broken", suite_init: refuses, test_cases: [KUNIT_CASE(never)] };
kunit_test_suites(lifecycle, broken);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** Only skipped cases. */
const SKIPPED = `${HEADER}
function a(test: kunit): void { K.kunit_skip(test, "not today"); }
const skipped: kunit_suite = { name: "skipped", test_cases: [KUNIT_CASE(a)] };
kunit_test_suites(skipped);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

const SOURCES: Record<string, string> = {
  kt_passing: PASSING, kt_checks: CHECKS, kt_endings: ENDINGS, kt_spins: SPINS, kt_lifecycle: LIFECYCLE, kt_skipped: SKIPPED,
};
const scratch = scratchDir("kunit");
const fixtures = new Map<string, Uint8Array>();
const paths = new Map<string, string>();

beforeAll(async () => {
  const objs = [];
  for (const [name, source] of Object.entries(SOURCES)) {
    const entry = writeModuleSource(scratch.dir, name, source);
    paths.set(name, entry.slice(entry.indexOf("build/")));
    objs.push(await compileModule(entry, true));
  }
  for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
});
afterAll(() => scratch.cleanup());

/** "file:line" of the line marked @tag in a fixture, as the check on it reports its place. */
function loc(name: string, tag: string): string {
  const line = SOURCES[name]!.split("\n").findIndex((l) => l.includes(`// @${tag}`)) + 1;
  return `${paths.get(name)}:${line}`;
}

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

/** Load a fixture and return what it logged from its suites' KTAP header on. */
function run(name: string, kernel: Kernel = k): string[] {
  kernel.log.clear();
  kernel.insmod(fixtures.get(name)!);
  const lines = dmesg(kernel);
  return lines.slice(lines.indexOf("KTAP version 1"));
}

describe("a module's suites", () => {
  it("run when it loads, and print KTAP version 1 as Linux's KUnit does", () => {
    expect(run("kt_passing")).toEqual([
      "KTAP version 1",
      "1..2",
      "    KTAP version 1",
      "    # Subtest: pass",
      "    1..2",
      "    ok 1 add_test",
      "    ok 2 sub_test",
      "# pass: pass:2 fail:0 skip:0 total:2",
      "# Totals: pass:2 fail:0 skip:0 total:2",
      "ok 1 pass",
      "    KTAP version 1",
      "    # Subtest: single",
      "    1..1",
      "    ok 1 only_test",
      "ok 2 single",
    ]);
  });

  it("log the headers and results at KERN_INFO", () => {
    run("kt_passing");
    expect(k.log.read().filter((r) => r.text.includes("ok ")).every((r) => r.level === LOGLEVELS.KERN_INFO)).toBe(true);
  });

  it("taint the kernel N, and the module is marked a test module", () => {
    k.log.clear();
    k.insmod(fixtures.get("kt_passing")!);
    expect(dmesg(k)[0]).toBe("kt_passing: loading test module taints kernel.");
    expect(k.taint.test("TEST")).toBe(true);
    expect(k.read("/proc/modules")).toMatch(/^kt_passing \d+ 0 - Live 0x[0-9a-f]+ \(N\)\n$/);
  });
});

describe("a failed check", () => {
  it("reports each kind of check as lib/kunit/assert.c formats it, with its place and its operands' source", () => {
    const lines = run("kt_checks");
    const c = (tag: string) => loc("kt_checks", tag);
    expect(lines).toContain(`    # eq: EXPECTATION FAILED at ${c("eq")}\n    Expected x == 3, but\n        x == 2 (0x2)`);
    expect(lines).toContain(`    # eq: EXPECTATION FAILED at ${c("eq2")}\n    Expected x - 3 == x, but\n        x - 3 == -1 (0xffffffffffffffff)\n        x == 2 (0x2)`);
    expect(lines).toContain(`    # lt: EXPECTATION FAILED at ${c("lt")}\n    Expected big < <u64>1, but\n        big == -1 (0xffffffffffffffff)\n        <u64>1 == 1 (0x1)`);
    expect(lines).toContain(`    # ptr: EXPECTATION FAILED at ${c("ptr")}\n    Expected p == <usize>65, but\n        p == 00000040\n        <usize>65 == 00000041`);
    expect(lines).toContain(`    # null_: EXPECTATION FAILED at ${c("null")}\n    Expected p == NULL, but\n        p == 00000040\n        NULL == 00000000`);
    expect(lines).toContain(`    # str: EXPECTATION FAILED at ${c("str")}\n    Expected s == "abd", but\n        s == "abc"`);
    expect(lines).toContain(`    # str: EXPECTATION FAILED at ${c("str")}\n    Expected "x" == "y", but`);
    const row = " 00 ".repeat(16);
    expect(lines).toContain(
      `    # mem: EXPECTATION FAILED at ${c("mem")}\n    Expected a == b, but\n` +
        `        a ==\n        ${row}\n         00 <00>\n        b ==\n        ${row}\n         00 <ab>`,
    );
    expect(lines).toContain(`    # bool_: EXPECTATION FAILED at ${c("bool")}\n    Expected 1 < 2 to be false, but is true`);
    expect(lines).toContain(`    # err: EXPECTATION FAILED at ${c("err")}\n    Expected <usize>-ENOMEM is not error, but is -ENOMEM`);
    expect(lines).toContain(`    # msg: EXPECTATION FAILED at ${c("msg")}\n    Expected n != 7, but\n        n == 7 (0x7)\n\nn was 7, again`);
    expect(lines.some((l) => /^ {4}# fail: EXPECTATION FAILED at \S+:\d+\ngave up after 3 tries$/.test(l))).toBe(true);
  });

  it("is logged at KERN_ERR and fails its case and the suite", () => {
    const lines = run("kt_checks");
    expect(k.log.read().find((r) => r.text.startsWith("    # eq: "))?.level).toBe(LOGLEVELS.KERN_ERR);
    for (const [i, name] of ["eq", "lt", "ptr", "null_", "str", "mem", "bool_", "err", "msg", "fail"].entries()) {
      expect(lines).toContain(`    not ok ${i + 1} ${name}`);
    }
    expect(lines.slice(-3)).toEqual(["# checks: pass:0 fail:10 skip:0 total:10", "# Totals: pass:0 fail:10 skip:0 total:10", "not ok 1 checks"]);
  });
});

describe("a case", () => {
  it("goes on after a failed EXPECT and ends at a failed ASSERT, its exit still running", () => {
    const lines = run("kt_endings");
    expect(lines).toContain("after expect");
    expect(lines).not.toContain("after assert");
    expect(lines).toContain("    not ok 1 expect_goes_on");
    expect(lines).toContain("    not ok 2 assert_ends");
    expect(lines).toContain("    # passes: exits so far: 6");
  });

  it("ends at kunit_skip and reports # SKIP with the reason; kunit_mark_skipped goes on", () => {
    const lines = run("kt_endings");
    expect(lines).not.toContain("after skip");
    expect(lines).toContain("    ok 4 skips # SKIP no hardware here");
    expect(lines).toContain("after mark");
    expect(lines).toContain("    ok 5 marks # SKIP later");
  });

  it("that traps fails with Linux's try-catch lines, after an Oops, and the next case runs in the same live module", () => {
    const lines = run("kt_endings");
    const oops = lines.indexOf("BUG: wasm trap in kt_endings: memory access out of bounds");
    expect(oops).toBeGreaterThan(0);
    expect(lines.slice(lines.indexOf("---[ end trace 0000000000000000 ]---") + 1, lines.indexOf("    not ok 6 traps") + 1)).toEqual([
      `    # traps: try faulted: last line seen ${loc("kt_endings", "trap")}`,
      "    # traps: internal error occurred preventing test case from running: -4",
      "    not ok 6 traps",
    ]);
    expect(lines).toContain("    ok 7 passes");
    const mod = k.modules.find("kt_endings")!;
    expect(mod.state).toBe("LIVE");
    expect(mod.dead).toBe(false);
    expect(k.taint.test("DIE")).toBe(true);
  });

  it("that the watchdog stops fails as timed out, and the suite goes on", () => {
    const fresh = new Kernel();
    fresh.write("/proc/sys/kernel/watchdog_thresh", "1\n");
    const lines = run("kt_spins", fresh);
    const at = lines.indexOf("    not ok 2 spins");
    expect(lines.slice(at - 2, at)).toEqual(["    # spins: try timed out", "    # spins: test case timed out"]);
    expect(lines.some((l) => l.startsWith("watchdog: BUG: soft lockup - CPU#0 stuck for "))).toBe(true);
    expect(lines.slice(-4)).toEqual([
      "    ok 3 after", "# spinning: pass:2 fail:1 skip:0 total:3", "# Totals: pass:2 fail:1 skip:0 total:3", "not ok 1 spinning",
    ]);
    expect(fresh.modules.find("kt_spins")!.dead).toBe(false);
  }, 20_000);

  it("leaves the module's shadow stack as it found it, however it ended", () => {
    const listing = new Kernel({ cmdline: "kunit.action=list" });
    listing.insmod(fixtures.get("kt_endings")!);
    const untouched = listing.modules.find("kt_endings")!.exports!.stackPointer!.value as number;
    run("kt_endings");
    expect(k.modules.find("kt_endings")!.exports!.stackPointer!.value).toBe(untouched);
  });
});

describe("init, exit, suite_init, suite_exit and kunit_kzalloc", () => {
  it("run around the cases in Linux's order; a failing init fails its case without running it", () => {
    const lines = run("kt_lifecycle");
    expect(lines.slice(0, 14)).toEqual([
      "KTAP version 1",
      "1..2",
      "suite_init lifecycle",
      "    KTAP version 1",
      "    # Subtest: lifecycle",
      "    1..3",
      "init 1",
      "exit 1",
      "    ok 1 uses_priv",
      "init 2",
      "    # fails_init: failed to initialize: -12",
      "exit 2",
      "    not ok 2 fails_init",
      "init 3",
    ]);
    expect(lines).not.toContain("fails_init ran");
  });

  it("free a case's kunit_kzalloc blocks when it ends; kunit_kfree of another pointer is a warning", () => {
    const lines = run("kt_lifecycle");
    expect(lines).toContain("kt_lifecycle: kunit_kfree of 00000008, which kunit_kmalloc did not return for frees_early");
    expect(lines).toContain("    ok 3 frees_early");
    expect(k.modules.find("kt_lifecycle")!.slab.bytes).toBe(0);
  });

  it("report a suite whose suite_init fails as failed, without running it", () => {
    const lines = run("kt_lifecycle");
    expect(lines.slice(-2)).toEqual(["    # broken:     # failed to initialize (-22)", "not ok 2 broken"]);
    expect(lines).not.toContain("never ran");
    expect(k.log.read().find((r) => r.text.includes("failed to initialize (-22)"))?.level).toBe(LOGLEVELS.KERN_ERR);
  });

  it("report a suite of skipped cases as skipped", () => {
    expect(run("kt_skipped").slice(-2)).toEqual(["    ok 1 a # SKIP not today", "ok 1 skipped # SKIP "]);
  });
});

describe("kunit.filter_glob, kunit.action and kunit.enable", () => {
  it("filter_glob runs only the matching suites and cases", () => {
    const lines = run("kt_passing", new Kernel({ cmdline: "kunit.filter_glob=pass.s*" }));
    expect(lines).toEqual(["KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: pass", "    1..1", "    ok 1 sub_test", "ok 1 pass"]);
  });

  it("a suite glob alone keeps every case of the suites it matches", () => {
    const lines = run("kt_passing", new Kernel({ cmdline: "kunit.filter_glob=sing*" }));
    expect(lines).toEqual(["KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: single", "    1..1", "    ok 1 only_test", "ok 1 single"]);
  });

  it("action=list lists suite and suite.case names without running them", () => {
    const kernel = new Kernel({ cmdline: "kunit.action=list" });
    expect(run("kt_passing", kernel)).toEqual(["KTAP version 1", "pass", "pass.add_test", "pass.sub_test", "single", "single.only_test"]);
    expect(kernel.debugfs.isDir("/sys/kernel/debug/kunit/pass")).toBe(false);
  });

  it("an unknown action is an error and runs nothing", () => {
    const kernel = new Kernel({ cmdline: "kunit.action=frobnicate" });
    kernel.insmod(fixtures.get("kt_passing")!);
    expect(dmesg(kernel)).toContain("kunit: unknown action 'frobnicate'");
    expect(dmesg(kernel)).not.toContain("KTAP version 1");
  });

  it("enable=0 prints the plan and says KUnit is disabled", () => {
    const kernel = new Kernel({ cmdline: "kunit.enable=0" });
    expect(run("kt_passing", kernel)).toEqual(["KTAP version 1", "1..2", "kunit: disabled"]);
    expect(kernel.read("/proc/cmdline")).toBe("kunit.enable=0\n");
  });
});

describe("debugfs", () => {
  it("shows each suite's last run at /sys/kernel/debug/kunit/SUITE/results as a KTAP document of its own", () => {
    run("kt_lifecycle");
    expect(k.read("/sys/kernel/debug/kunit/lifecycle/results")).toBe(
      [
        "KTAP version 1",
        "1..1",
        "    KTAP version 1",
        "    # Subtest: lifecycle",
        "    1..3",
        "    ok 1 uses_priv",
        "    # fails_init: failed to initialize: -12",
        "    not ok 2 fails_init",
        "    ok 3 frees_early",
        "# lifecycle: pass:2 fail:1 skip:0 total:3",
        "# Totals: pass:2 fail:1 skip:0 total:3",
        "not ok 1 lifecycle",
        "",
      ].join("\n"),
    );
  });

  it("runs a suite again when its run file is written", () => {
    run("kt_passing");
    k.log.clear();
    k.write("/sys/kernel/debug/kunit/single/run", "1\n");
    expect(dmesg(k)).toEqual(["    KTAP version 1", "    # Subtest: single", "    1..1", "    ok 1 only_test", "ok 1 single"]);
  });

  it("loses a module's suites when it is unloaded", () => {
    run("kt_passing");
    expect(k.debugfs.list("/sys/kernel/debug/kunit")).toEqual(["pass", "single"]);
    k.rmmod("kt_passing");
    expect(k.debugfs.list("/sys/kernel/debug/kunit")).toEqual([]);
    expect(k.read("/proc/mounts")).toContain("debugfs /sys/kernel/debug debugfs rw,relatime 0 0\n");
  });
});
