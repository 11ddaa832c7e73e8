// A module's source written where the build can compile it, for modules made by code (tests, benchmarks).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { ROOT } from "../paths.js";

/**
 * Write an AssemblyScript module source to DIR/NAME/NAME.ts; `@abi/` and `@modules/` in its imports
 * become relative paths to abi/ and modules/. Returns the entry path.
 */
export function writeModuleSource(dir: string, name: string, source: string): string {
  const entry = join(dir, name, `${name}.ts`);
  mkdirSync(dirname(entry), { recursive: true });
  const rel = (to: string) => relative(dirname(entry), join(ROOT, to)).split("\\").join("/");
  writeFileSync(entry, source.replaceAll('"@abi/', `"${rel("abi")}/`).replaceAll('"@modules/', `"${rel("modules")}/`));
  return entry;
}
