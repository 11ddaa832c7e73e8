// Bench modules in a real kernel: loaded with insmod, so every binding is the loader's own, and their loops
// reached through kallsyms (EXPORT_SYMBOL), as another module would reach them.

import { Kernel } from "../host/init/main.js";
import type { BenchContext } from "./path.js";

/** A fresh kernel with the named bench modules loaded, in order (providers first). */
export async function benchKernel(ctx: BenchContext, names: readonly string[]): Promise<Kernel> {
  const k = new Kernel();
  for (const name of names) k.insmod(await ctx.benchModule(name));
  return k;
}

/** A function symbol a loaded module exports; throws if no module does. */
export function symbolFn<F extends (...args: never[]) => unknown>(k: Kernel, name: string): F {
  const value = k.kallsyms.find(name)?.value;
  if (typeof value !== "function") throw new Error(`bench: no module exports a function ${name}`);
  return value as F;
}
