import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MODINFO_MACROS, SYMBOL_MACROS } from "../../abi/module.js";
import { PARAM_TYPES } from "../../abi/moduleparam.js";
import { generateMacros, generatedFiles, MACROS_PATH } from "../../scripts/genheaders.js";
import { ROOT } from "../../scripts/paths.js";
import { scratchDir } from "../helpers.js";

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const scratch = scratchDir("genheaders");
afterAll(() => scratch.cleanup());

/** tsc over the given files with the AssemblyScript settings modules/tsconfig.json uses; its diagnostics. */
function tsc(files: readonly string[]): { status: number | null; out: string } {
  const config = join(scratch.dir, "tsconfig.json");
  writeFileSync(config, JSON.stringify({ extends: join(ROOT, "modules", "tsconfig.json"), include: files }));
  const r = spawnSync(process.execPath, [TSC, "-p", config], { encoding: "utf8" });
  return { status: r.status, out: r.stdout };
}

describe("abi/include/module.d.ts", () => {
  it("is what genheaders generates, as is every generated header", () => {
    expect(readFileSync(MACROS_PATH, "utf8")).toBe(generateMacros());
    for (const [path, text] of generatedFiles()) expect(readFileSync(path, "utf8"), path).toBe(text);
  });

  it("declares every module macro and every module_param type but bool, which is AssemblyScript's", () => {
    const d = generateMacros();
    for (const name of [...Object.keys(MODINFO_MACROS), ...Object.keys(SYMBOL_MACROS)]) {
      expect(d).toMatch(new RegExp(`^declare function ${name}[<(]`, "m"));
    }
    for (const name of Object.keys(PARAM_TYPES)) expect(d.includes(`declare const ${name}: `)).toBe(name !== "bool");
  });

  it("lets tsc accept every module of the tree (tsc -p modules)", () => {
    const r = spawnSync(process.execPath, [TSC, "-p", join(ROOT, "modules")], { encoding: "utf8" });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("lets tsc catch a parameter whose variable is not of its type, and a macro given a number", () => {
    const file = join(scratch.dir, "wrong.ts");
    const header = relative(scratch.dir, join(ROOT, "abi", "include", "kernel")).split("\\").join("/");
    writeFileSync(
      file,
      `import { pr_info } from "${header}";\nMODULE_LICENSE(2);\nexport let count: i32 = 0;\nmodule_param(count, charp, 0o444);\n` +
        'export function init_module(): i32 { pr_info("%d\\n", count); return 0; }\n',
    );
    const { status, out } = tsc([file]);
    expect(status).toBe(2);
    const shown = relative(ROOT, file);
    expect(out).toContain(`${shown}(2,16): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.`);
    expect(out).toContain(`${shown}(4,21): error TS2345: Argument of type 'ModuleParamType<string>' is not assignable`);
  });
});
