// The count CI reads, "N passed, N failed", from vitest's JSON report (`--reporter=json`, jest's format).
//
// Passed is every test that ran and passed; failed is everything else that should have passed, so a run
// that lost tests can never say "0 failed":
// - each failed test;
// - each test skipped, pending or todo (a failing beforeAll marks its file's tests skipped, and this suite
//   skips nothing on purpose);
// - each test file that failed with no failed test in it (a file that failed to import, or whose
//   afterAll threw: vitest lists it as a failed suite and counts no failed test);
// - a report that says the run failed while the counts above show nothing (no test files at all);
// - no report, or one that is not vitest's JSON: "0 passed, 1 failed".

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The parts of vitest's JSON report the count reads. */
export interface JsonReport {
  readonly success?: boolean;
  readonly testResults?: {
    readonly status: string;
    readonly name?: string;
    readonly assertionResults?: { readonly status: string }[];
  }[];
}

export interface Count {
  readonly passed: number;
  readonly failed: number;
}

export function countReport(report: JsonReport): Count {
  if (!Array.isArray(report.testResults)) return { passed: 0, failed: 1 };
  let passed = 0;
  let failed = 0;
  for (const file of report.testResults) {
    const tests = file.assertionResults ?? [];
    const ok = tests.filter((t) => t.status === "passed").length;
    passed += ok;
    failed += tests.length - ok;
    if (file.status === "failed" && !tests.some((t) => t.status === "failed")) failed++;
  }
  if (report.success === false && failed === 0) failed = 1;
  return { passed, failed };
}

/** The closing line for a report's text (null: there is no report). */
export function ciLine(text: string | null): string {
  let count: Count = { passed: 0, failed: 1 };
  if (text) {
    try {
      count = countReport(JSON.parse(text) as JsonReport);
    } catch {
      // not JSON, or not a report: the run broke before vitest finished writing one
    }
  }
  return `${count.passed} passed, ${count.failed} failed`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = process.argv[2];
  console.log(ciLine(path && existsSync(path) ? readFileSync(path, "utf8") : null));
}
