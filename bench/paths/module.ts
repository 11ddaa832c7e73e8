// Module to module: another module's export bound directly as the wasm import, as the loader binds it; V8's
// floor for such a call (two hand-written instances, bench/floor.ts), against which the loader's binding is
// judged in a kernel without budget checks (the hand-written pair has none); and, for contrast, the same
// loop with the import bound to a JS trampoline that calls that export.

import { ENV_NAMESPACE, KERNEL_NAMESPACE, MODULE_EXPORTS } from "../../abi/module.js";
import { memoryImport, readSections } from "../../abi/wasm.js";
import { benchKernel, pairedWithReference, REFERENCE, symbolFn } from "../lkm.js";
import { FLOOR_CALLER, FLOOR_INTRA, floorLoops } from "../floor.js";
import { paired, perCallEach } from "../measure.js";
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
  const trampoline = (x: number) => target(x);
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
    const names = [REFERENCE.module, "bench_provider", "bench_user"];
    const k = await benchKernel(ctx, names);
    const bare = await benchKernel(ctx, names, { softlockupDetector: false });
    const user = await ctx.benchModule("bench_user");
    const floor = floorLoops();
    const timed = await perCallEach(ctx, {
      reference: symbolFn<Loop>(k, REFERENCE.loop),
      direct: symbolFn<Loop>(k, "bench_user_call"),
      bare: symbolFn<Loop>(bare, "bench_user_call"),
      floor: floor.cross,
      floorIntra: floor.intra,
      trampoline: withTrampoline(user, symbolFn<Target>(k, "bench_target")),
    }, {
      callees: {
        direct: [symbolFn<Target>(k, "bench_target")],
        bare: [symbolFn<Target>(bare, "bench_target")],
        floor: [floor.callee],
        trampoline: [symbolFn<Target>(k, "bench_target")],
      },
    });
    const call = { family: "wasm-lkm", loop: "wasm" } as const;
    const baseline = { family: "baseline", loop: "wasm" } as const;
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
        {
          id: "module.direct_bare",
          label: "module → module, no budget checks",
          unit: "ns",
          call,
          paired: paired("module.floor", timed.bare, timed.floor),
          ...timed.bare,
        },
        {
          id: "module.floor",
          label: "V8's floor: instance → instance (hand-written)",
          unit: "ns",
          call: baseline,
          paired: paired("module.floor_intra", timed.floor, timed.floorIntra),
          ...timed.floor,
        },
        { id: "module.floor_intra", label: "V8's floor: call within the instance (hand-written)", unit: "ns", call: baseline, ...timed.floorIntra },
        { id: "module.trampoline", label: "module → module through a JS trampoline", unit: "ns", call, ...timed.trampoline },
      ],
      loops: [
        ...["module.direct", "module.direct_bare", "module.trampoline"].map((id) => ({ id, binary: user, func: "bench_user_call", instruction: "call bench_target" })),
        { id: "module.floor", binary: FLOOR_CALLER, func: "loop", instruction: "call f" },
        { id: "module.floor_intra", binary: FLOOR_INTRA, func: "loop", instruction: "call f" },
      ],
    };
  },
};
