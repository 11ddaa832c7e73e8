// Where the tree keeps its modules and their build output.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest directory above this file with a package.json (from scripts/ or dist/scripts/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("wasm-lkm: cannot find the repository root (no package.json above scripts/)");
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const MODULES_DIR = join(ROOT, "modules");
export const BUILD_DIR = join(ROOT, "build", "modules");
