import { existsSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BuildError, buildModules, ROOT } from "../../../scripts/build.js";
import { scratchDir } from "../../helpers.js";

const scratch = scratchDir("checks");
afterAll(() => scratch.cleanup());

/** Write NAME.ts in the scratch folder; returns its path and the path the errors name it by. */
function source(name: string, text: string): { path: string; shown: string } {
  const path = join(scratch.dir, `${name}.ts`);
  writeFileSync(path, text);
  return { path, shown: relative(ROOT, path) };
}

/** Build, which must fail: the BuildError's lines, after checking that no module was written. */
async function refused(...paths: string[]): Promise<string[]> {
  const out = join(scratch.dir, "out");
  const err = await buildModules(paths, { output: out }).then(
    () => expect.fail("the build succeeded"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BuildError);
  expect(existsSync(out)).toBe(false);
  return (err as BuildError).message.split("\n");
}

const GOOD_EXIT = "export function cleanup_module(): void {}\n";

describe("modpost", () => {
  it("refuses a module without MODULE_LICENSE in Linux's words", async () => {
    const { path } = source("nolicense", `export function init_module(): i32 { return 0; }\n${GOOD_EXIT}`);
    expect(await refused(path)).toEqual(["ERROR: modpost: missing MODULE_LICENSE() in nolicense.wasm"]);
  });

  it("refuses a symbol no module and not the kernel exports", async () => {
    const { path } = source(
      "undef",
      'MODULE_LICENSE("GPL");\n@external("kernel", "nobody_exports")\ndeclare function nobody_exports(): i32;\n' +
        `export function init_module(): i32 { return nobody_exports(); }\n${GOOD_EXIT}`,
    );
    expect(await refused(path)).toEqual(['ERROR: modpost: "nobody_exports" [undef.wasm] undefined!']);
  });

  it("reports every module's errors together and writes none of them", async () => {
    const a = source("lacks_a", "export function init_module(): i32 { return 0; }\n");
    const b = source("lacks_b", "export function init_module(): i32 { return 0; }\n");
    expect(await refused(a.path, b.path)).toEqual([
      "ERROR: modpost: missing MODULE_LICENSE() in lacks_a.wasm",
      "ERROR: modpost: missing MODULE_LICENSE() in lacks_b.wasm",
    ]);
  });
});

describe("entry points", () => {
  it("refuses an init_module or cleanup_module of the wrong type at its line", async () => {
    const { path, shown } = source(
      "badentry",
      'MODULE_LICENSE("GPL");\n\nexport function init_module(flags: i32): void {}\nexport function cleanup_module(): i32 { return 0; }\n',
    );
    expect(await refused(path)).toEqual([
      `${shown}:3:17: error: init_module must be 'export function init_module(): i32', not '(flags: i32): void'`,
      `${shown}:4:17: error: cleanup_module must be 'export function cleanup_module(): void', not '(): i32'`,
    ]);
  });

  it("refuses an init_module that is a variable", async () => {
    const { path, shown } = source("varentry", 'MODULE_LICENSE("GPL");\nexport let init_module: i32 = 0;\n');
    expect(await refused(path)).toEqual([`${shown}:2:12: error: init_module must be 'export function init_module(): i32', not a variable`]);
  });
});

describe("symbols that cross between modules", () => {
  it("refuses an exported symbol that takes or returns a string, at the parameter and the return type", async () => {
    const { path, shown } = source(
      "strexport",
      'MODULE_LICENSE("GPL");\nexport function greet(name: string, times: i32): string { return name; }\nEXPORT_SYMBOL(greet);\n',
    );
    const why = "only numbers cross between modules, which share no memory";
    expect(await refused(path)).toEqual([
      `${shown}:2:23: error: EXPORT_SYMBOL(greet) takes 'name' as a string: ${why}`,
      `${shown}:2:50: error: EXPORT_SYMBOL(greet) returns a string: ${why}`,
    ]);
  });

  it("refuses another module's symbol declared with an array", async () => {
    const { path, shown } = source(
      "arrimport",
      'MODULE_LICENSE("GPL");\n@external("kernel", "counter_add")\ndeclare function counter_add(n: Uint8Array): i32;\n' +
        `export function init_module(): i32 { return counter_add(new Uint8Array(1)); }\n${GOOD_EXIT}`,
    );
    expect(await refused(path)).toEqual([
      `${shown}:3:30: error: counter_add, a symbol of another module, takes 'n' as a Uint8Array: only numbers cross between modules, which share no memory`,
    ]);
  });

  it("lets a module's plain exports take strings: only EXPORT_SYMBOL's cross to other modules", async () => {
    const { path } = source(
      "plainexport",
      `MODULE_LICENSE("GPL");\nexport function shout(s: string): string { return s.toUpperCase(); }\nexport function init_module(): i32 { return 0; }\n${GOOD_EXIT}`,
    );
    expect(await buildModules([path], { output: join(scratch.dir, "plain") })).toEqual([join(scratch.dir, "plain", "plainexport.wasm")]);
  });
});

describe("imports the kernel does not provide", () => {
  it("names the line of each use of console.log and Date.now, through a helper and inlined alike", async () => {
    const { path, shown } = source(
      "hostcalls",
      'MODULE_LICENSE("GPL");\n\nfunction helper(): void {\n  console.log("hi");\n}\n\n' +
        `export function init_module(): i32 {\n  helper();\n  return <i32>Date.now();\n}\n${GOOD_EXIT}`,
    );
    expect(await refused(path)).toEqual([
      `${shown}:4:3: error: console.log needs env.console.log, which the kernel does not export`,
      `${shown}:9:10: error: Date.now needs env.Date.now, which the kernel does not export`,
    ]);
  });

  it("names an import of another namespace at the call", async () => {
    const { path, shown } = source(
      "othermod",
      'MODULE_LICENSE("GPL");\n@external("wasi", "fd_write")\ndeclare function fd_write(fd: i32): i32;\n' +
        `export function init_module(): i32 {\n  return fd_write(1);\n}\n${GOOD_EXIT}`,
    );
    expect(await refused(path)).toEqual([`${shown}:5:10: error: fd_write needs wasi.fd_write, which the kernel does not export`]);
  });
});

describe("module macros", () => {
  it("name the line of a parameter that is not an exported global of its type", async () => {
    const { path, shown } = source(
      "badparams",
      'MODULE_LICENSE("GPL");\nlet hidden: i32 = 1;\nmodule_param(hidden, int, 0o444);\nexport let name: i32 = 0;\nmodule_param(name, charp, 0o444);\n' +
        `export function init_module(): i32 { return hidden; }\n${GOOD_EXIT}`,
    );
    expect(await refused(path)).toEqual([
      `${shown}:3:1: error: module_param(hidden): 'hidden' must be an exported global ('export let hidden')`,
      `${shown}:5:1: error: module_param(name, charp): 'name' is i32, a charp parameter needs string`,
    ]);
  });

  it("name the line of an EXPORT_SYMBOL of something that is not an exported function", async () => {
    const { path, shown } = source("badexport", 'MODULE_LICENSE("GPL");\nfunction inner(): i32 { return 1; }\nEXPORT_SYMBOL(inner);\n');
    expect(await refused(path)).toEqual([`${shown}:3:1: error: EXPORT_SYMBOL(inner): inner is not an exported function of the module`]);
  });
});
