import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InitError, initProject, MODULE_TYPES, type ModuleType } from "../../scripts/init.js";
import { ROOT } from "../../scripts/paths.js";
import { scratchDir } from "../helpers.js";
import { runCommand } from "../pack_helpers.js";

const scratch = scratchDir("init");
afterAll(() => scratch.cleanup());

const FILES = (name: string) => [
  "package.json", "asconfig.json", "tsconfig.json", "test/tsconfig.json", `src/${name}.ts`, `src/include/${name}.ts`,
  `src/${name}_test.ts`, `test/${name}.test.ts`, "try.lkm", "README.md", ".gitignore",
];

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InitError);
    return (e as Error).message;
  }
  return expect.fail("not refused");
}

describe("initProject", () => {
  it("writes a project named for its module, wasm-lkm a devDependency on this checkout", () => {
    const dir = join(scratch.dir, "one", "my-drv");
    expect(initProject(dir, { type: "chrdev" })).toEqual(FILES("my_drv"));
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.devDependencies["wasm-lkm"]).toBe(`file:${ROOT}`);
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(["@types/node", "typescript", "vitest", "wasm-lkm"]);
    expect(pkg.scripts).toMatchObject({
      build: "wasm-lkm build src/my_drv.ts src/my_drv_test.ts -o build/",
      kunit: "npm run build && wasm-lkm kunit run build/my_drv.wasm build/my_drv_test.wasm",
      test: "npm run kunit && vitest run",
    });
    const source = readFileSync(join(dir, "src", "my_drv.ts"), "utf8");
    expect(source).toContain('import {');
    expect(source).toContain('} from "wasm-lkm/kernel";');
    expect(source).toMatch(/^MODULE_LICENSE\("GPL"\);$/m);
    expect(source).toContain('register_chrdev(0, "my_drv", fops)');
  });

  it("names wasm-lkm as told", () => {
    const dir = join(scratch.dir, "two", "spec");
    initProject(dir, { dependency: "file:../wasm-lkm-0.1.0.tgz" });
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).devDependencies["wasm-lkm"]).toBe("file:../wasm-lkm-0.1.0.tgz");
  });

  it("refuses a directory that is not empty, and a name that cannot be a module's, writing nothing", () => {
    const dir = join(scratch.dir, "three", "full");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "keep"), "");
    expect(refusal(() => initProject(dir))).toBe(`wasm-lkm init: ${dir}: Directory not empty`);
    expect(readdirSync(dir)).toEqual(["keep"]);
    const bad = join(scratch.dir, "three", "8250");
    expect(refusal(() => initProject(bad))).toBe(
      "wasm-lkm init: '8250': a module name is up to 55 letters, digits, '_' and '-', starting with a letter or '_'",
    );
    expect(readdirSync(join(scratch.dir, "three"))).toEqual(["full"]);
  });
});

/** Each type's KUnit cases, as its test module names them (after NAME_), and how many vitest tests it has. */
const SUITES: Record<ModuleType, { kunit: string[]; vitest: number }> = {
  misc: { kunit: ["greet_counts_each_greeting", "greet_zero_times_greets_no_one", "greet_refuses_a_negative_count"], vitest: 4 },
  chrdev: { kunit: ["write_room_takes_what_fits", "write_room_stops_at_the_end", "write_room_is_enospc_from_the_end"], vitest: 3 },
  fs: { kunit: ["read_len_reads_the_whole_file", "read_len_stops_at_the_end", "read_len_is_0_from_the_end"], vitest: 2 },
  syscall: { kunit: ["msg_len_is_the_length", "msg_len_refuses_a_full_buffer", "msg_len_passes_on_efault"], vitest: 3 },
};

/** A line of kunit.py's summary, after its [HH:MM:SS] stamp: pattern is a regular expression's source. */
const summaryLine = (pattern: string) => new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${pattern}$`, "m");
/** text, matched as it is. */
const literal = (text: string) => text.replace(/[[\]().*+?^$|\\{}]/g, "\\$&");

describe("each type's project", () => {
  const root = join(scratch.dir, "types");

  beforeAll(() => {
    for (const type of MODULE_TYPES) initProject(join(root, `t_${type}`), { type });
    // The projects' `wasm-lkm` is this checkout, as npm would link a file: dependency, with its command where
    // npm puts it, on the PATH of npm's scripts; the rest climbs to the checkout's node_modules.
    mkdirSync(join(root, "node_modules", ".bin"), { recursive: true });
    symlinkSync(ROOT, join(root, "node_modules", "wasm-lkm"));
    const bin = join(root, "node_modules", ".bin", "wasm-lkm");
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "dist", "host", "cli", "wasm-lkm.js")}" "$@"\n`);
    chmodSync(bin, 0o755);
    // vitest looks for its configuration up from a project, and would find the checkout's.
    writeFileSync(join(root, "vitest.config.mjs"), "export default {};\n");
  });

  it("passes tsc's check: the modules and KUnit test modules as AssemblyScript, the tests as Node", async () => {
    // Every type's project has the same two tsconfig files: tsc with one pair checks all four projects.
    const configs = MODULE_TYPES.map((t) => readFileSync(join(root, `t_${t}`, "tsconfig.json"), "utf8"));
    expect(new Set(configs).size).toBe(1);
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    for (const [config, include] of [["tsconfig.json", "t_*/src/**/*.ts"], ["test/tsconfig.json", "t_*/test/*.ts"]] as const) {
      writeFileSync(join(root, "tsconfig.json"), JSON.stringify({ extends: `./t_misc/${config}`, include: [include] }));
      const r = await runCommand(root, process.execPath, [tsc, "-p", "."]);
      expect(r.out, config).toBe("");
      expect(r.status).toBe(0);
    }
  }, 120_000);

  // Each npm test builds, starts a kernel and a vitest of its own: run side by side, they take less time.
  it.concurrent.for(MODULE_TYPES)(
    "%s: npm test runs the KUnit suite, which passes as kunit.py reports it, then the vitest file",
    { timeout: 300_000 },
    async (type, { expect }) => {
      const name = `t_${type}`;
      const r = await runCommand(join(root, name), "npm", ["test"]);
      expect(r.out).toMatch(summaryLine(`=+ ${name} \\(3 subtests\\) =+`));
      for (const c of SUITES[type].kunit) expect(r.out).toMatch(summaryLine(literal(`[PASSED] ${name}_${c}`)));
      expect(r.out).toMatch(summaryLine(`=+ \\[PASSED\\] ${name} =+`));
      expect(r.out).toMatch(summaryLine(literal("Testing complete. Ran 3 tests: passed: 3")));
      const n = SUITES[type].vitest;
      expect(r.out).toMatch(new RegExp(`Test Files {2}1 passed \\(1\\)\\n +Tests {2}${n} passed \\(${n}\\)`));
      expect(r.out.indexOf("Testing complete.")).toBeLessThan(r.out.indexOf("Test Files"));
      expect(r.status).toBe(0);
    },
  );

  it.concurrent("fails npm test with a KUnit case that fails, naming the case, its line and the values, before vitest runs", async ({ expect }) => {
    const dir = join(root, "broken");
    initProject(dir);
    const source = join(dir, "src", "broken_test.ts");
    const lines = readFileSync(source, "utf8").split("\n");
    const at = lines.indexOf("  KUNIT_EXPECT_EQ(test, broken_greet(0), before);");
    expect(at).toBeGreaterThan(0);
    lines[at] = "  KUNIT_EXPECT_EQ(test, broken_greet(0), before + 1);";
    writeFileSync(source, lines.join("\n"));
    const r = await runCommand(dir, "npm", ["test"]);
    const failed = "broken_greet_zero_times_greets_no_one";
    expect(r.out).toMatch(summaryLine(literal(`# ${failed}: EXPECTATION FAILED at src/broken_test.ts:${at + 1}`)));
    expect(r.out).toMatch(summaryLine(literal("Expected broken_greet(0) == before + 1, but")));
    // One greeting at load and two in the case before: greet(0) gives 3, not 4.
    expect(r.out).toMatch(summaryLine(literal("    broken_greet(0) == 3 (0x3)")));
    expect(r.out).toMatch(summaryLine(literal(`[FAILED] ${failed}`)));
    expect(r.out).toMatch(summaryLine(literal("[PASSED] broken_greet_refuses_a_negative_count")));
    expect(r.out).toMatch(summaryLine(literal("Testing complete. Ran 3 tests: passed: 2, failed: 1")));
    expect(r.out).not.toContain("Test Files");
    expect(r.status).toBe(1);
  }, 300_000);
});
