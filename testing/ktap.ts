// Reading KTAP (Documentation/dev-tools/ktap.rst) as kunit.py's parser reads it, and printing its readable
// summary: the KTAP a kernel log holds becomes a tree of tests with their status, skip reason and log lines.

/** kunit.py's TestStatus. */
export type KtapStatus = "SUCCESS" | "FAILURE" | "SKIPPED" | "TEST_CRASHED" | "NO_TESTS";

export interface KtapTest {
  name: string;
  status: KtapStatus;
  skipReason: string;
  /** Diagnostic lines before the test's result line (a failed check's report, kunit_info lines...). */
  log: string[];
  subtests: KtapTest[];
  /** What did not parse as KTAP should ("missing expected subtest!"...). */
  errors: string[];
}

export interface KtapCounts {
  passed: number;
  failed: number;
  crashed: number;
  skipped: number;
  errors: number;
}

const KTAP_START = /^\s*K?TAP version (\d+)$/;
const SUBTEST = /^\s*# Subtest: (.*)$/;
const PLAN = /^\s*1\.\.(\d+)/;
const RESULT = /^\s*(ok|not ok) (\d+) ?(?:- )?([^#]*?)(?: # (.*))?$/;
const SKIP = /^SKIP ?(.*)$/s;

/** The lines from the first KTAP version line on, each without the prefix that line had (a dmesg timestamp). */
export function extractKtap(log: readonly string[]): string[] {
  const start = log.findIndex((l) => /K?TAP version \d+$/.test(l));
  if (start < 0) return [];
  const prefix = log[start]!.search(/K?TAP version/);
  return log.slice(start).map((l) => l.slice(prefix).trimEnd());
}

class Lines {
  private at = 0;
  constructor(private readonly lines: readonly string[]) {}
  get done(): boolean {
    return this.at >= this.lines.length;
  }
  peek(): string {
    return this.lines[this.at] ?? "";
  }
  pop(): string {
    return this.lines[this.at++] ?? "";
  }
}

function newTest(name = ""): KtapTest {
  return { name, status: "TEST_CRASHED", skipReason: "", log: [], subtests: [], errors: [] };
}

function diagnostics(lines: Lines): string[] {
  const out: string[] = [];
  while (!lines.done && ![RESULT, SUBTEST, KTAP_START, PLAN].some((re) => re.test(lines.peek()))) out.push(lines.pop());
  return out;
}

function resultName(line: string): string | null {
  const m = RESULT.exec(line);
  return m ? m[3]!.trim() : null;
}

/** One test: a result line alone, or a header (version, "# Subtest", plan), its subtests and its result line. */
function parseTest(lines: Lines, expectedNumber: number, log: string[], isSubtest: boolean): KtapTest {
  const test = newTest();
  test.log.push(...log, ...diagnostics(lines));
  let parent = !isSubtest;
  if (KTAP_START.test(lines.peek())) {
    lines.pop();
    parent = true;
  }
  const header = SUBTEST.exec(lines.peek());
  if (header) {
    test.name = header[1]!;
    lines.pop();
    parent = true;
  }
  test.log.push(...diagnostics(lines));
  const plan = PLAN.exec(lines.peek());
  const expected = plan ? Number(plan[1]) : null;
  if (plan) lines.pop();
  for (let n = 1; parent && (expected === null || n <= expected); n++) {
    const subLog = diagnostics(lines);
    const ended = lines.done || (isSubtest && resultName(lines.peek()) === test.name);
    if (ended && expected === null) {
      test.log.push(...subLog);
      break;
    }
    if (ended) test.errors.push("missing expected subtest!");
    test.subtests.push(ended ? { ...newTest(), log: subLog } : parseTest(lines, n, subLog, true));
  }
  if (isSubtest) parseResult(lines, test, expectedNumber);
  if (parent && test.subtests.length === 0 && (test.status === "TEST_CRASHED" || test.status === "SUCCESS")) {
    test.status = "NO_TESTS";
    test.errors.push("0 tests run!");
  }
  if (parent && countCases(test).crashed > 0) test.status = "TEST_CRASHED";
  return test;
}

function parseResult(lines: Lines, test: KtapTest, expectedNumber: number): void {
  test.log.push(...diagnostics(lines));
  const m = RESULT.exec(lines.peek());
  if (!m) {
    test.errors.push(lines.done ? "No more test results!" : "missing subtest result line!");
    return;
  }
  lines.pop();
  test.name = m[3]!.trim();
  if (Number(m[2]) !== expectedNumber) test.errors.push(`Expected test number ${expectedNumber} but found ${m[2]}`);
  const skip = SKIP.exec(m[4] ?? "");
  if (skip) {
    test.status = "SKIPPED";
    test.skipReason = skip[1]!;
  } else test.status = m[1] === "ok" ? "SUCCESS" : "FAILURE";
}

/** Parse one KTAP document: the top-level test ("main") holding the suites. */
export function parseKtap(ktap: readonly string[]): KtapTest {
  const lines = new Lines(ktap);
  const main = parseTest(lines, 0, [], false);
  main.name = "main";
  if (main.status !== "NO_TESTS") main.status = statusOf(countCases(main));
  return main;
}

/** The test cases (tests without subtests) by status, and the parse errors on the way. */
export function countCases(test: KtapTest): KtapCounts {
  const counts: KtapCounts = { passed: 0, failed: 0, crashed: 0, skipped: 0, errors: test.errors.length };
  for (const sub of test.subtests) {
    const c = countCases(sub);
    counts.passed += c.passed;
    counts.failed += c.failed;
    counts.crashed += c.crashed;
    counts.skipped += c.skipped;
    counts.errors += c.errors;
  }
  const none = counts.passed + counts.failed + counts.crashed + counts.skipped === 0;
  // A parent reported failed whose cases all passed still counts one failure, as kunit.py counts it.
  if (none || (test.status === "FAILURE" && statusOf(counts) === "SUCCESS")) {
    if (test.status === "SUCCESS") counts.passed++;
    else if (test.status === "FAILURE") counts.failed++;
    else if (test.status === "SKIPPED") counts.skipped++;
    else if (test.status === "TEST_CRASHED") counts.crashed++;
  }
  return counts;
}

export function statusOf(c: KtapCounts): KtapStatus {
  const total = c.passed + c.failed + c.crashed + c.skipped;
  if (total === 0) return "NO_TESTS";
  if (c.crashed) return "TEST_CRASHED";
  if (c.failed) return "FAILURE";
  return c.passed ? "SUCCESS" : "SKIPPED";
}

/** kunit.py's "Ran N tests: passed: N, failed: N, ..." (only the counts that are not zero). */
export function formatCounts(c: KtapCounts): string {
  const total = c.passed + c.failed + c.crashed + c.skipped;
  const parts = Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`);
  return `Ran ${total} tests: ${parts.join(", ")}`;
}

const DIVIDER = "=".repeat(60);

/** format_test_divider(): the message centred in a line of '='. */
function divider(message: string): string {
  const room = DIVIDER.length - message.length - 2;
  const left = room > 0 ? Math.floor(room / 2) : 3;
  const right = room > 0 ? room - left : 3;
  return `${"=".repeat(left)} ${message} ${"=".repeat(right)}`;
}

function resultText(test: KtapTest): string {
  switch (test.status) {
    case "SUCCESS":
      return `[PASSED] ${test.name}`;
    case "SKIPPED":
      return `[SKIPPED] ${test.name} (${test.skipReason})`;
    case "NO_TESTS":
      return `[NO TESTS RUN] ${test.name}`;
    case "TEST_CRASHED":
      return `[CRASHED] ${test.name}`;
    default:
      return `[FAILED] ${test.name}`;
  }
}

/** A failed test's log, dedented as textwrap.dedent() does, before its result line. */
function logLines(test: KtapTest): string[] {
  if (test.status === "SUCCESS" || test.status === "SKIPPED") return [];
  const lines = test.log.flatMap((l) => l.split("\n"));
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => /^\s*/.exec(l)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0));
}

function summaryLines(test: KtapTest): string[] {
  if (test.subtests.length === 0) return [...logLines(test), resultText(test)];
  const count = test.subtests.length === 1 ? "(1 subtest)" : `(${test.subtests.length} subtests)`;
  const footer = test.status === "SUCCESS" || test.status === "SKIPPED" ? [] : logLines(test);
  return [
    divider(`${test.name} ${count}`),
    ...test.errors.map((e) => `[ERROR] Test: ${test.name}: ${e}`),
    ...test.subtests.flatMap(summaryLines),
    ...footer,
    divider(resultText(test)),
  ];
}

/**
 * kunit.py's readable summary of parsed documents: each suite's cases, then "Testing complete. Ran N tests:
 * ...". `stamp` is the "[HH:MM:SS] " each line starts with.
 */
export function formatSummary(docs: readonly KtapTest[], stamp: string): string {
  const suites = docs.flatMap((d) => d.subtests);
  const counts = docs.map(countCases).reduce((a, c) => ({
    passed: a.passed + c.passed, failed: a.failed + c.failed, crashed: a.crashed + c.crashed, skipped: a.skipped + c.skipped,
    errors: a.errors + c.errors,
  }), { passed: 0, failed: 0, crashed: 0, skipped: 0, errors: 0 });
  const lines = [DIVIDER, ...suites.flatMap(summaryLines), DIVIDER, `Testing complete. ${formatCounts(counts)}`];
  return lines.map((l) => `${stamp}${l}\n`).join("");
}

/** The KTAP documents of a kernel log: one per module whose suites ran, each from its KTAP version line on. */
export function ktapDocuments(log: readonly string[]): string[][] {
  const lines = log.flatMap((l) => l.split("\n"));
  const docs: string[][] = [];
  for (const line of lines) {
    if (/^K?TAP version \d+$/.test(line)) docs.push([]);
    docs[docs.length - 1]?.push(line);
  }
  return docs;
}

/** A test's result for a KTAP report: failed with its diagnostic lines, or passed. */
export interface KtapResult {
  readonly name: string;
  readonly ok: boolean;
  readonly diagnostics?: readonly string[];
}

/** A KTAP version 1 document of groups of results, each group a subtest with its own plan, as KUnit prints suites. */
export function formatKtap(groups: readonly { readonly name: string; readonly results: readonly KtapResult[] }[]): string[] {
  const line = (ok: boolean, n: number, name: string) => `${ok ? "ok" : "not ok"} ${n} ${name}`;
  return [
    "KTAP version 1",
    `1..${groups.length}`,
    ...groups.flatMap((g, i) => [
      "    KTAP version 1",
      `    # Subtest: ${g.name}`,
      `    1..${g.results.length}`,
      ...g.results.flatMap((r, j) => [
        ...(r.diagnostics ?? []).flatMap((d) => d.split("\n")).map((d) => `    # ${r.name}: ${d}`.trimEnd()),
        `    ${line(r.ok, j + 1, r.name)}`,
      ]),
      line(g.results.every((r) => r.ok), i + 1, g.name),
    ]),
  ];
}
