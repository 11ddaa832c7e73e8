// make modules_install: copy the built modules into lib/modules/<release>/kernel/ and run depmod, so
// modprobe and modinfo find them by name.

import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_DEPMOD_CONFIG, depmod, releaseDir } from "../host/kmod/depmod.js";
import { toolLine } from "../host/kmod/log.js";
import { BUILD_DIR, ROOT } from "./paths.js";

/** Install every built module under base's release directory (replacing what was there); returns the directory. */
export function modulesInstall(base: string = ROOT, from: string = BUILD_DIR): string {
  const dir = releaseDir(base);
  const kernel = join(dir, "kernel");
  rmSync(kernel, { recursive: true, force: true });
  mkdirSync(kernel, { recursive: true });
  for (const f of readdirSync(from).filter((f) => f.endsWith(".wasm"))) copyFileSync(join(from, f), join(kernel, f));
  depmod(dir, DEFAULT_DEPMOD_CONFIG, { log: (priority, _fn, m) => process.stderr.write(toolLine("depmod", priority, m)) });
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = modulesInstall();
  console.error(`  INSTALL ${relative(ROOT, dir)}`);
  console.error(`  DEPMOD  ${relative(ROOT, dir)}`);
}
