// A module directory for kmod's tests: tree modules copied in, a generated stack of modules that each use
// the one below (bench/stack.ts), depmod run over it, and a modprobe.d beside it.

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kernel, type KernelOptions } from "../../host/init/main.js";
import { depmod, releaseDir } from "../../host/kmod/depmod.js";
import { buildStack } from "../../bench/stack.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { scratchDir } from "../helpers.js";

export interface ModuleDir {
  /** lib/modules/<release>, with modules.dep. */
  readonly dir: string;
  /** The modprobe.d the kernels made by kernel() read. */
  readonly conf: string;
  /** A kernel whose modprobe (and request_module) uses this directory and configuration. */
  kernel(opts?: KernelOptions): Kernel;
  /** Write modprobe.d/NAME.conf. */
  configure(name: string, text: string): void;
  cleanup(): void;
}

/** A module directory holding the named tree modules (from build/modules) and `stack` levels of bench/stack.ts. */
export async function makeModuleDir(tag: string, tree: readonly string[], stack = 0): Promise<ModuleDir> {
  const scratch = scratchDir(tag);
  const dir = releaseDir(scratch.dir);
  const conf = join(scratch.dir, "etc", "modprobe.d");
  mkdirSync(join(dir, "kernel", "extra"), { recursive: true });
  mkdirSync(conf, { recursive: true });
  for (const m of tree) copyFileSync(join(BUILD_DIR, `${m}.wasm`), join(dir, "kernel", `${m}.wasm`));
  if (stack > 0) await buildStack(join(scratch.dir, "src"), join(dir, "kernel", "extra"), stack);
  depmod(dir);
  return {
    dir,
    conf,
    kernel: (opts = {}) => new Kernel({ moduleDir: dir, modprobeConfig: [conf], ...opts }),
    configure: (name, text) => writeFileSync(join(conf, `${name}.conf`), text),
    cleanup: scratch.cleanup,
  };
}
