// KUnit's debugfs files (lib/kunit/debugfs.c): /sys/kernel/debug/kunit/SUITE/results shows the suite's last
// run as a KTAP document of its own; writing anything to SUITE/run runs the suite again.

import type { Kernfs } from "../../fs/kernfs.js";
import { SUBTEST_INDENT } from "./assert.js";
import { kunitStatusToOkNotOk, suiteStatus, type KunitSuite } from "./test.js";

/** KUNIT_DEBUGFS_ROOT under the debugfs mount. */
export const KUNIT_DEBUGFS_ROOT = "/sys/kernel/debug/kunit";

/** debugfs_print_results(): the KTAP header, the suite's header, each case's log, the suite's log, its result. */
function results(suite: KunitSuite): string {
  const lines = [
    "KTAP version 1",
    "1..1",
    `${SUBTEST_INDENT}KTAP version 1`,
    `${SUBTEST_INDENT}# Subtest: ${suite.name}`,
    `${SUBTEST_INDENT}1..${suite.cases.length}`,
    ...suite.cases.flatMap((c) => c.log),
    ...suite.log,
    `${kunitStatusToOkNotOk(suiteStatus(suite))} 1 ${suite.name}`,
  ];
  return lines.map((l) => `${l.replace(/\n$/, "")}\n`).join("");
}

/**
 * kunit_debugfs_create_suite(): the suite's directory with results and run. A directory of that name from
 * another module's suite stays, with debugfs's warning, and this suite has none (null).
 */
export function kunitDebugfsCreateSuite(debugfs: Kernfs, suite: KunitSuite, run: () => void, warn: (m: string) => void): string | null {
  const dir = `${KUNIT_DEBUGFS_ROOT}/${suite.name}`;
  if (debugfs.isDir(dir)) {
    warn(`debugfs: '${suite.name}' already exists in 'kunit'`);
    return null;
  }
  debugfs.addDir(dir);
  debugfs.add(`${dir}/results`, { mode: 0o444, show: () => results(suite) });
  debugfs.add(`${dir}/run`, {
    mode: 0o644,
    show: () => `Write to this file to trigger the test suite to run.\nusage: echo "any string" > /sys/kernel/debugfs/kunit/${suite.name}/run\n`,
    store: () => run(),
  });
  return dir;
}
