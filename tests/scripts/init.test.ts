import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InitError, initProject, MODULE_TYPES } from "../../scripts/init.js";
import { ROOT } from "../../scripts/paths.js";
import { scratchDir } from "../helpers.js";
import { runCommand } from "../pack_helpers.js";

const scratch = scratchDir("init");
afterAll(() => scratch.cleanup());

const FILES = (name: string) => [
  "package.json", "asconfig.json", "tsconfig.json", "test/tsconfig.json", `src/${name}.ts`, `test/${name}.test.ts`, "try.lkm",
  "README.md", ".gitignore",
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
    expect(pkg.scripts).toMatchObject({ test: "vitest run", build: "wasm-lkm build src/my_drv.ts -o build/" });
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

describe("each type's project", () => {
  it(
    "passes its own vitest file and tsc's check",
    async () => {
      const root = join(scratch.dir, "types");
      for (const type of MODULE_TYPES) initProject(join(root, `t_${type}`), { type });
      // The projects' `wasm-lkm` is this checkout, as npm would link a file: dependency; the rest climbs to its node_modules.
      mkdirSync(join(root, "node_modules"));
      symlinkSync(ROOT, join(root, "node_modules", "wasm-lkm"));
      // vitest looks for its configuration up from here, and would find the checkout's.
      writeFileSync(join(root, "vitest.config.mjs"), "export default {};\n");
      const vitest = await runCommand(root, process.execPath, [join(ROOT, "node_modules", "vitest", "vitest.mjs"), "run"]);
      expect(vitest.out).toContain("Test Files  4 passed (4)");
      expect(vitest.out).toContain("Tests  12 passed (12)");
      expect(vitest.status).toBe(0);
      // Every type's project has the same two tsconfig files: tsc with one pair checks all four sources and tests.
      const configs = MODULE_TYPES.map((t) => readFileSync(join(root, `t_${t}`, "tsconfig.json"), "utf8"));
      expect(new Set(configs).size).toBe(1);
      const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
      for (const [config, include] of [["tsconfig.json", "t_*/src/*.ts"], ["test/tsconfig.json", "t_*/test/*.ts"]] as const) {
        writeFileSync(join(root, "tsconfig.json"), JSON.stringify({ extends: `./t_misc/${config}`, include: [include] }));
        const r = await runCommand(root, process.execPath, [tsc, "-p", "."]);
        expect(r.out, config).toBe("");
        expect(r.status).toBe(0);
      }
    },
    300_000,
  );
});
