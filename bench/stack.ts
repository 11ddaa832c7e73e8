// A stack of generated modules, each using the one below it: the dependency chains modprobe benchmarks
// load and tests/kmod/ loads and removes.
//
// stackK exports stackK_depth() and, above stack0, calls stack(K-1)_depth() from its init, so each level
// depends on the one below through a symbol, as depmod finds dependencies. Each has the alias
// stack-level-K and a parameter `fail` its init returns when non-zero (a load failing part-way up).
// stack_side is a second user of stack0, so stack0 can have a user outside the stack.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileModule } from "../scripts/build.js";
import { modpost } from "../scripts/mod/modpost.js";
import { writeModuleSource } from "../scripts/mod/source.js";

function levelSource(k: number): string {
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

const SIDE_SOURCE = [
  'MODULE_LICENSE("GPL");',
  '@external("kernel", "stack0_depth")\ndeclare function stack0_depth(): i32;',
  "export function init_module(): i32 {\n  return stack0_depth();\n}",
  "export function cleanup_module(): void {}",
].join("\n");

/** Build stack0..stack(levels-1) and stack_side from sources written under `src` into `into`, as NAME.wasm. */
export async function buildStack(src: string, into: string, levels: number): Promise<void> {
  const objs = [];
  for (let k = 0; k < levels; k++) objs.push(await compileModule(writeModuleSource(src, `stack${k}`, levelSource(k)), true));
  objs.push(await compileModule(writeModuleSource(src, "stack_side", SIDE_SOURCE), true));
  for (const r of modpost(objs)) writeFileSync(join(into, `${r.name}.wasm`), r.binary);
}
