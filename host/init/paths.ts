// Where the kernel finds the tree it runs from: the repository root and the modules the build put there.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest directory above this file with a package.json (from host/ or dist/host/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("wasm-lkm: cannot find the repository root (no package.json above host/)");
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
/** Where the build puts each module, NAME.wasm: the fallback for a bare name not in modules.dep. */
export const BUILD_DIR = join(ROOT, "build", "modules");
