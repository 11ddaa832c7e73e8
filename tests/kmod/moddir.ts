// A module directory for kmod's tests: tree modules copied in, a generated stack of modules that each use
// the one below, depmod run over it, and a modprobe.d beside it.

import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kernel, type KernelOptions } from "../../host/init/main.js";
import { depmod, releaseDir } from "../../host/kmod/depmod.js";
import { BUILD_DIR, compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { scratchDir, writeModuleSource } from "../helpers.js";

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

/**
 * stackK exports stackK_depth() and, above stack0, calls stack(K-1)_depth() in its init; each has a
 * parameter `fail` that its init returns when non-zero (a load failing part-way up the stack).
 */
function stackSource(k: number): string {
  const below = k > 0 ? `@external("kernel", "stack${k - 1}_depth")\ndeclare function stack${k - 1}_depth(): i32;\n` : "";
  return [
    'import { pr_info } from "@abi/include/kernel";',
    'MODULE_LICENSE("GPL");',
    `MODULE_ALIAS("stack-level-${k}");`,
    below,
    "export let fail: i32 = 0;",
    "module_param(fail, int, 0o444);",
    `export function stack${k}_depth(): i32 {\n  return ${k > 0 ? `stack${k - 1}_depth() + 1` : "0"};\n}`,
    `EXPORT_SYMBOL(stack${k}_depth);`,
    `export function init_module(): i32 {\n  if (fail != 0) return fail;\n  pr_info("stack${k}: depth %d\\n", stack${k}_depth());\n  return 0;\n}`,
    "export function cleanup_module(): void {}",
  ].join("\n");
}

/** stack_side: a second user of stack0, so stack0 has a user outside the stack. */
const SIDE_SOURCE = [
  'MODULE_LICENSE("GPL");',
  '@external("kernel", "stack0_depth")\ndeclare function stack0_depth(): i32;',
  "export function init_module(): i32 {\n  return stack0_depth();\n}",
  "export function cleanup_module(): void {}",
].join("\n");

/** Build `levels` stacked modules (and stack_side, when there is a stack) into `into`. */
async function buildStack(src: string, into: string, levels: number): Promise<void> {
  const objs = [];
  for (let k = 0; k < levels; k++) objs.push(await compileModule(writeModuleSource(src, `stack${k}`, stackSource(k)), true));
  if (levels > 0) objs.push(await compileModule(writeModuleSource(src, "stack_side", SIDE_SOURCE), true));
  for (const r of modpost(objs)) writeFileSync(join(into, `${r.name}.wasm`), r.binary);
}

/** A module directory holding the named tree modules (from build/modules) and `stack` generated levels. */
export async function makeModuleDir(tag: string, tree: readonly string[], stack = 0): Promise<ModuleDir> {
  const scratch = scratchDir(tag);
  const dir = releaseDir(scratch.dir);
  const conf = join(scratch.dir, "etc", "modprobe.d");
  mkdirSync(join(dir, "kernel", "extra"), { recursive: true });
  mkdirSync(conf, { recursive: true });
  for (const m of tree) copyFileSync(join(BUILD_DIR, `${m}.wasm`), join(dir, "kernel", `${m}.wasm`));
  await buildStack(join(scratch.dir, "src"), join(dir, "kernel", "extra"), stack);
  depmod(dir);
  return {
    dir,
    conf,
    kernel: (opts = {}) => new Kernel({ moduleDir: dir, modprobeConfig: [conf], ...opts }),
    configure: (name, text) => writeFileSync(join(conf, `${name}.conf`), text),
    cleanup: scratch.cleanup,
  };
}
