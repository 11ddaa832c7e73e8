// Reading KTAP as kunit.py reads it, and its readable summary.

import { describe, expect, it } from "vitest";
import { countCases, extractKtap, formatSummary, ktapDocuments, parseKtap } from "../../testing/ktap.js";

const PASSING = [
  "KTAP version 1",
  "1..1",
  "    KTAP version 1",
  "    # Subtest: example",
  "    1..3",
  "    # a: initializing",
  "    ok 1 a",
  "    ok 2 b # SKIP no hardware",
  "    ok 3 c",
  "# example: pass:2 fail:0 skip:1 total:3",
  "ok 1 example",
];

describe("parseKtap", () => {
  it("reads suites, cases, skip reasons and diagnostic lines", () => {
    const main = parseKtap(PASSING);
    expect(main.status).toBe("SUCCESS");
    const [suite] = main.subtests;
    expect(suite!.name).toBe("example");
    expect(suite!.subtests.map((t) => [t.name, t.status, t.skipReason])).toEqual([
      ["a", "SUCCESS", ""], ["b", "SKIPPED", "no hardware"], ["c", "SUCCESS", ""],
    ]);
    expect(suite!.subtests[0]!.log).toEqual(["    # a: initializing"]);
    expect(countCases(main)).toEqual({ passed: 2, failed: 0, crashed: 0, skipped: 1, errors: 0 });
  });

  it("counts a suite whose cases stop early as crashed, with kunit.py's error", () => {
    const main = parseKtap(PASSING.slice(0, 7));
    const suite = main.subtests[0]!;
    expect(suite.errors).toContain("missing expected subtest!");
    expect(main.status).toBe("TEST_CRASHED");
    expect(countCases(main)).toMatchObject({ passed: 1, crashed: 2 });
  });

  it("reads the older 'ok 1 - name' lines and reports a wrong test number", () => {
    const main = parseKtap(["TAP version 14", "1..1", "not ok 2 - lonely"]);
    expect(main.subtests[0]).toMatchObject({ name: "lonely", status: "FAILURE", errors: ["Expected test number 1 but found 2"] });
  });

  it("finds KTAP in a dmesg, dropping the timestamp prefix, one document per top-level version line", () => {
    const log = ["[    0.100000] other", "[    0.200000] KTAP version 1", "[    0.200001] 1..1", "[    0.200002] ok 1 x"];
    expect(extractKtap(log)).toEqual(["KTAP version 1", "1..1", "ok 1 x"]);
    expect(ktapDocuments(["KTAP version 1", "1..1", "ok 1 x", "noise", "KTAP version 1", "1..1", "not ok 1 y"])).toEqual([
      ["KTAP version 1", "1..1", "ok 1 x", "noise"], ["KTAP version 1", "1..1", "not ok 1 y"],
    ]);
  });
});

describe("formatSummary", () => {
  it("prints kunit.py's dividers, results and totals", () => {
    expect(formatSummary([parseKtap(PASSING)], "")).toBe(
      [
        "============================================================",
        "=================== example (3 subtests) ===================",
        "[PASSED] a",
        "[SKIPPED] b (no hardware)",
        "[PASSED] c",
        "===================== [PASSED] example =====================",
        "============================================================",
        "Testing complete. Ran 3 tests: passed: 2, skipped: 1",
        "",
      ].join("\n"),
    );
  });

  it("prints a failed case's log, dedented, before its result", () => {
    const failing = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..1", "    # f: EXPECTATION FAILED at x.ts:3", "    Expected 1 == 2, but", "    not ok 1 f", "not ok 1 s"];
    expect(formatSummary([parseKtap(failing)], "[t] ").split("\n").slice(2, 5)).toEqual([
      "[t] # f: EXPECTATION FAILED at x.ts:3", "[t] Expected 1 == 2, but", "[t] [FAILED] f",
    ]);
  });
});
