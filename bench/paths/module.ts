// Module to module: another module's export bound directly as the wasm import, as the loader binds it; and,
// for contrast, the same loop with the import bound to a JS trampoline that calls that export.

import { ENV_NAMESPACE, KERNEL_NAMESPACE, MODULE_EXPORTS } from "../../abi/module.js";
import { memoryImport, readSections } from "../../abi/wasm.js";
import { benchKernel, pairedWithReference, REFERENCE, symbolFn } from "../lkm.js";
import { perCallEach } from "../measure.js";
import type { BenchPath } from "../path.js";

type Loop = (n: number) => number;
type Target = (x: number) => number;

/**
 * bench_user instantiated by hand beside the loaded provider, its bench_target import a JS function that
 * forwards to the provider's export: what a loader that wrapped every cross-module symbol would build.
 */
function withTrampoline(binary: Uint8Array, target: Target): Loop {
  const wasm = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  const memory = new WebAssembly.Memory({ initial: memoryImport(readSections(binary))?.initial ?? 1 });
  const trampoline = (...a: [number]) => target(...a);
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(wasm)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.module === ENV_NAMESPACE && imp.kind === "memory") ns[imp.name] = memory;
    else if (imp.module === ENV_NAMESPACE) ns[imp.name] = () => { throw new Error(`bench_user: ${imp.name}`); };
    else if (imp.module === KERNEL_NAMESPACE && imp.name === "bench_target") ns[imp.name] = trampoline;
    else throw new Error(`bench_user: unexpected import ${imp.module}.${imp.name}`);
  }
  const exports = new WebAssembly.Instance(wasm, imports).exports as Record<string, unknown>;
  (exports[MODULE_EXPORTS.start] as () => void)();
  return exports["bench_user_call"] as Loop;
}

export const module: BenchPath = {
  name: "module",
  async run(ctx) {
    const k = await benchKernel(ctx, [REFERENCE.module, "bench_provider", "bench_user"]);
    const user = await ctx.benchModule("bench_user");
    const timed = await perCallEach(ctx, {
      reference: symbolFn<Loop>(k, REFERENCE.loop),
      direct: symbolFn<Loop>(k, "bench_user_call"),
      trampoline: withTrampoline(user, symbolFn<Target>(k, "bench_target")),
    });
    const call = { family: "wasm-lkm", loop: "wasm" } as const;
    return {
      figures: [
        {
          id: "module.direct",
          label: "module → module (export bound as the import)",
          unit: "ns",
          call,
          paired: pairedWithReference(timed.direct, timed.reference),
          ...timed.direct,
        },
        { id: "module.trampoline", label: "module → module through a JS trampoline", unit: "ns", call, ...timed.trampoline },
      ],
      loops: ["module.direct", "module.trampoline"].map((id) => ({ id, binary: user, func: "bench_user_call", instruction: "call bench_target" })),
    };
  },
};
