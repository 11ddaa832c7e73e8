// The count .ci/run prints last: every test that did not pass, and every file that failed without a
// failed test, is a failure. The sample reports are what vitest 3's JSON reporter wrote for such runs.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ciLine, countReport, type JsonReport } from "../../scripts/ci_count.js";
import { ROOT } from "../../scripts/paths.js";
import { scratchDir } from "../helpers.js";

const test = (status: string) => ({ status });

/** Two files that pass. */
const GREEN: JsonReport = {
  success: true,
  testResults: [
    { name: "/t/a.test.ts", status: "passed", assertionResults: [test("passed"), test("passed")] },
    { name: "/t/b.test.ts", status: "passed", assertionResults: [test("passed")] },
  ],
};

/** A file that failed to import: a failed suite with no tests, and vitest's own count says 0 failed tests. */
const IMPORT_FAILED: JsonReport = {
  success: false,
  testResults: [
    { name: "/t/a.test.ts", status: "passed", assertionResults: [test("passed"), test("passed")] },
    { name: "/t/b.test.ts", status: "failed", assertionResults: [] },
  ],
};

/** A beforeAll that threw: its describe's tests skipped, the file failed, no test failed. */
const HOOK_FAILED: JsonReport = {
  success: false,
  testResults: [{ name: "/t/a.test.ts", status: "failed", assertionResults: [test("skipped"), test("skipped"), test("passed")] }],
};

describe("countReport", () => {
  it("counts a green run as it is", () => {
    expect(countReport(GREEN)).toEqual({ passed: 3, failed: 0 });
  });

  it("counts a file that failed to import as a failure", () => {
    expect(countReport(IMPORT_FAILED)).toEqual({ passed: 2, failed: 1 });
  });

  it("counts each test a failed hook skipped, and the file", () => {
    expect(countReport(HOOK_FAILED)).toEqual({ passed: 1, failed: 3 });
  });

  it("counts skipped, pending and todo tests as failures in a file that passed", () => {
    const report: JsonReport = {
      success: true,
      testResults: [{ status: "passed", assertionResults: ["passed", "skipped", "pending", "todo"].map(test) }],
    };
    expect(countReport(report)).toEqual({ passed: 1, failed: 3 });
  });

  it("counts a failed test once, not again for its file", () => {
    const report: JsonReport = { success: false, testResults: [{ status: "failed", assertionResults: [test("failed"), test("passed")] }] };
    expect(countReport(report)).toEqual({ passed: 1, failed: 1 });
  });

  it("counts a failed run with no test files as one failure", () => {
    expect(countReport({ success: false, testResults: [] })).toEqual({ passed: 0, failed: 1 });
  });
});

describe("ciLine", () => {
  it("prints the count", () => {
    expect(ciLine(JSON.stringify(IMPORT_FAILED))).toBe("2 passed, 1 failed");
  });

  it("prints 0 passed, 1 failed for no report, a torn one, or JSON that is not a report", () => {
    expect(ciLine(null)).toBe("0 passed, 1 failed");
    expect(ciLine('{"numPassedTests": 3, "testRes')).toBe("0 passed, 1 failed");
    expect(ciLine('{"numPassedTests": 3}')).toBe("0 passed, 1 failed");
  });

  it("is what the built script prints for .ci/run, given the report's path", () => {
    const scratch = scratchDir("ci_count");
    try {
      const path = join(scratch.dir, "report.json");
      writeFileSync(path, JSON.stringify(HOOK_FAILED));
      const run = (p: string) => execFileSync(process.execPath, [join(ROOT, "dist/scripts/ci_count.js"), p], { encoding: "utf8" });
      expect(run(path)).toBe("1 passed, 3 failed\n");
      expect(run(join(scratch.dir, "missing.json"))).toBe("0 passed, 1 failed\n");
    } finally {
      scratch.cleanup();
    }
  });
});
