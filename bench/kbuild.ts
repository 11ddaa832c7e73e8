// The bench modules: bench/modules/NAME.ts, built as the tree's modules are, with their callees kept out of line.
//
// -O3 inlines small functions and AssemblyScript has no @noinline, so an intra-module call would vanish
// into its loop. binaryen's no-inline pass, run before asc optimises, marks the callees; the call checks
// (bench/wat.ts) then confirm the emitted loops still call them.

import type binaryen from "binaryen";
import type { Transform } from "assemblyscript/asc";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { compileModule, ROOT } from "../scripts/build.js";
import { modpost } from "../scripts/mod/modpost.js";

export const BENCH_MODULES_DIR = join(ROOT, "bench", "modules");

/** Functions no loop may inline (binaryen wildcards over internal names: "file/path/function"). */
const NO_INLINE = ["*/bench_callee"];

/** An asc transform class: asc injects its binaryen into the prototype, which setPassArgument needs. */
class NoInline {
  declare readonly binaryen: typeof binaryen;

  afterCompile(module: binaryen.Module): void {
    for (const pattern of NO_INLINE) {
      this.binaryen.setPassArgument("no-inline", pattern);
      module.runPasses(["no-inline"]);
    }
    this.binaryen.setPassArgument("no-inline", null);
  }
}

/** Build every bench module together (so modpost resolves their symbols among them): name → binary. */
export async function buildBenchModules(): Promise<Map<string, Uint8Array>> {
  const entries = readdirSync(BENCH_MODULES_DIR).filter((f) => f.endsWith(".ts")).sort();
  const objs = [];
  for (const file of entries) {
    objs.push(await compileModule(join(BENCH_MODULES_DIR, file), true, [NoInline as unknown as Transform]));
  }
  return new Map(modpost(objs).map((r) => [r.name, r.binary]));
}
