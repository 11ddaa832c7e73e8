// wasm-lkm kunit run and parse: kunit.py's summary of the suites a fresh kernel ran, and its exit status.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { kunitParse, kunitRun } from "../../host/cli/kunit.js";
import { scratchDir, writeModuleSource } from "../helpers.js";

const FAILING = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ } from "@abi/include/kunit";
import { counter_add } from "@modules/include/counter";
MODULE_LICENSE("GPL");
function adds(test: kunit): void { KUNIT_EXPECT_EQ(test, counter_add(1), 1); }
function wrong(test: kunit): void { KUNIT_EXPECT_EQ(test, counter_add(1), 5); }
const cli_failing: kunit_suite = { name: "cli_failing", test_cases: [KUNIT_CASE(adds), KUNIT_CASE(wrong)] };
kunit_test_suites(cli_failing);
`;

// A module outside the tree and its test module, which uses its symbol: modules.dep knows neither.
const OOT_LIB = `
MODULE_LICENSE("GPL");
export function oot_double(n: i32): i32 { return 2 * n; }
EXPORT_SYMBOL(oot_double);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

const OOT_LIB_TEST = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ } from "@abi/include/kunit";
MODULE_LICENSE("GPL");
// @ts-ignore: decorator
@external("kernel", "oot_double")
declare function oot_double(n: i32): i32;
function doubles(test: kunit): void { KUNIT_EXPECT_EQ(test, oot_double(21), 42); }
const oot_lib: kunit_suite = { name: "oot_lib", test_cases: [KUNIT_CASE(doubles)] };
kunit_test_suites(oot_lib);
`;

const scratch = scratchDir("cli-kunit");
let source = "";
afterAll(() => scratch.cleanup());
beforeAll(() => {
  source = writeModuleSource(scratch.dir, "cli_failing_test", FAILING);
});

/** Run with captured output; the timestamps kunit.py puts before each line are dropped. */
async function kunit(targets: string[], opts = {}): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await kunitRun(targets, opts, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { status, out: out.join("").replace(/^\[\d\d:\d\d:\d\d\] /gm, ""), err: err.join("") };
}

describe("wasm-lkm kunit run", () => {
  it("runs every installed test module by default and prints kunit.py's summary", async () => {
    const r = await kunit([]);
    expect(r.status).toBe(0);
    expect(r.out).toContain("=================== counter (5 subtests) ===================\n[PASSED] counter_add_returns_new_value\n");
    expect(r.out).toContain("[SKIPPED] example_skip_test (this test should be skipped)\n");
    expect(r.out).toMatch(/Testing complete\. Ran (\d+) tests: passed: \d+, skipped: 2\n$/);
  });

  it("builds a source it is given against the tree, loads what it depends on, and exits 1 when a case fails", async () => {
    const r = await kunit([source]);
    expect(r.err).toBe("");
    expect(r.status).toBe(1);
    expect(r.out).toContain("[PASSED] adds\n");
    expect(r.out).toMatch(/# wrong: EXPECTATION FAILED at \S+cli_failing_test\.ts:6\nExpected counter_add\(1\) == 5, but\n {4}counter_add\(1\) == 2 \(0x2\)\n\[FAILED\] wrong\n/);
    expect(r.out).toMatch(/Testing complete\. Ran 2 tests: passed: 1, failed: 1\n$/);
  }, 30_000);

  it("loads an out-of-tree module its test module depends on from the files given with it, whichever comes first", async () => {
    const lib = writeModuleSource(scratch.dir, "oot_lib", OOT_LIB);
    const test = writeModuleSource(scratch.dir, "oot_lib_test", OOT_LIB_TEST);
    for (const order of [[test, lib], [lib, test]]) {
      const r = await kunit(order);
      expect(r.err).toBe("");
      expect(r.out).toContain("[PASSED] doubles\n");
      expect(r.out).toMatch(/Testing complete\. Ran 1 tests: passed: 1\n$/);
      expect(r.status).toBe(0);
    }
  }, 60_000);

  it("prints the KTAP the kernel logged with --raw_output, and runs only what --filter_glob matches", async () => {
    const r = await kunit(["counter_test"], { raw_output: true, filter_glob: "counter.counter_reset*" });
    expect(r.out).toBe(
      "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: counter\n    1..1\n    ok 1 counter_reset_zeroes\nok 1 counter\n",
    );
  });

  it("lists suites and cases with --list_tests", async () => {
    const r = await kunit(["scull_test"], { list_tests: true });
    expect(r.out.split("\n").slice(0, 3)).toEqual(["KTAP version 1", "scull", "scull.scull_follow_makes_sets_on_the_way"]);
  });

  it("says why a module did not load and exits 1", async () => {
    const r = await kunit(["no_such_test"]);
    expect(r.err).toBe("modprobe: FATAL: Module no_such_test not found in directory " + r.err.split("directory ")[1]);
    expect(r.status).toBe(1);
  });

  it("prints modpost's error and exits 1 for a source that does not build", async () => {
    const bad = writeModuleSource(scratch.dir, "bad_test", "MODULE_LICENSE(\"GPL\");\nexport function init_module(): i32 { return undefined_thing; }\n");
    const r = await kunit([bad]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^ERROR TS2304: Cannot find name 'undefined_thing'\./);
    expect(r.err).toContain("bad_test.ts(2,45)");
    expect(r.err).toMatch(/\nbad_test: 1 compile error\(s\)\n$/);
  });
});

describe("wasm-lkm kunit parse", () => {
  it("summarises KTAP saved from debugfs", () => {
    const file = join(scratch.dir, "results");
    writeFileSync(file, "KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: s\n    1..1\n    ok 1 a\nok 1 s\n");
    const out: string[] = [];
    expect(kunitParse(file, { out: (t) => void out.push(t), err: () => undefined })).toBe(0);
    expect(out.join("")).toMatch(/Testing complete\. Ran 1 tests: passed: 1\n$/);
  });
});
