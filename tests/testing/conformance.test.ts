// kunitSuites turns a module's KUnit cases into vitest tests, and wasm-lkm fstest reports the POSIX checks as KTAP.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { fstest } from "../../host/cli/fstest.js";
import { MODULES_DIR } from "../../scripts/paths.js";
import { kunitSuites, parseKtap } from "../../testing/index.js";

// counter's test module, built out of tree as a user's would be: each of its cases is a test below.
await kunitSuites(join(MODULES_DIR, "counter", "counter_test.ts"));

describe("wasm-lkm fstest", () => {
  const run = async (opts: Parameters<typeof fstest>[0]) => {
    const out: string[] = [];
    const status = await fstest(opts, { out: (t) => void out.push(t), err: () => undefined });
    return { status, ktap: out.join("").split("\n").slice(0, -1) };
  };

  it("passes ramfs through every check and prints KTAP that parses, one subtest a group", async () => {
    const r = await run({ type: "ramfs", module: "ramfs" });
    expect(r.status).toBe(0);
    const main = parseKtap(r.ktap);
    expect(main.status).toBe("SUCCESS");
    expect(main.subtests.map((s) => s.name)).toEqual(["files", "directories", "rename", "errno for each misuse"]);
    expect(r.ktap.slice(0, 6)).toEqual([
      "KTAP version 1", "1..4", "    KTAP version 1", "    # Subtest: files", "    1..12",
      "    ok 1 creates an empty regular file with the mode asked for, less the umask",
    ]);
  });

  it("fails a filesystem that does not behave, saying why before each failed check, and exits 1", async () => {
    const r = await run({ type: "sysfs" });
    expect(r.status).toBe(1);
    expect(r.ktap.slice(5, 7)).toEqual([
      "    # creates an empty regular file with the mode asked for, less the umask: KernelError: /mnt/sysfs/f: Permission denied",
      "    not ok 1 creates an empty regular file with the mode asked for, less the umask",
    ]);
    expect(parseKtap(r.ktap).status).toBe("FAILURE");
  });
});
