// Bench modules in a real kernel: loaded with insmod, so every binding is the loader's own, and their loops
// reached through kallsyms (EXPORT_SYMBOL), as another module would reach them.

import { Kernel, type KernelOptions } from "../host/init/main.js";
import { paired, type Timed } from "./measure.js";
import type { BenchContext, Figure } from "./path.js";

/** The figure the targets measure other calls against: a direct call inside one module. */
export const REFERENCE = { id: "intra.direct", module: "bench_intra", loop: "bench_intra_direct" } as const;

/** A fresh kernel with the named bench modules loaded, in order (providers first). */
export async function benchKernel(ctx: BenchContext, names: readonly string[], opts: KernelOptions = {}): Promise<Kernel> {
  const k = new Kernel(opts);
  for (const name of names) k.insmod(await ctx.benchModule(name));
  return k;
}

/** A figure's `paired` ratio, from its timing and the reference loop's, timed alongside it. */
export function pairedWithReference(timed: Timed, reference: Timed): Figure["paired"] {
  return paired(REFERENCE.id, timed, reference);
}

/** A function symbol a loaded module exports; throws if no module does. */
export function symbolFn<F extends (...args: never[]) => unknown>(k: Kernel, name: string): F {
  const value = k.kallsyms.find(name)?.value;
  if (typeof value !== "function") throw new Error(`bench: no module exports a function ${name}`);
  return value as F;
}
