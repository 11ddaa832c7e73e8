// Calls inside one module: a direct call and call_indirect through the function table, and the empty loop.

import { benchKernel, REFERENCE, symbolFn } from "../lkm.js";
import { perCallEach } from "../measure.js";
import type { BenchPath } from "../path.js";

type Loop = (n: number) => number;

export const intra: BenchPath = {
  name: "intra",
  async run(ctx) {
    const k = await benchKernel(ctx, [REFERENCE.module]);
    const indirect = symbolFn<(n: number, fn: number) => number>(k, "bench_intra_indirect");
    const callee = symbolFn<() => number>(k, "bench_intra_callee_index")();
    const timed = await perCallEach(ctx, {
      empty: symbolFn<Loop>(k, "bench_intra_empty"),
      direct: symbolFn<Loop>(k, REFERENCE.loop),
      indirect: (n: number) => indirect(n, callee),
    }, { code: { indirect } });
    const call = { family: "wasm-lkm", loop: "wasm" } as const;
    const binary = await ctx.benchModule("bench_intra");
    return {
      figures: [
        { id: "intra.empty", label: "wasm empty loop (per iteration)", unit: "ns", ...timed.empty },
        { id: REFERENCE.id, label: "intra-module direct call", unit: "ns", call, ...timed.direct },
        { id: "intra.indirect", label: "intra-module call_indirect (table)", unit: "ns", call, ...timed.indirect },
      ],
      loops: [
        { id: "intra.direct", binary, func: "bench_intra_direct", instruction: "call bench_callee" },
        { id: "intra.indirect", binary, func: "bench_intra_indirect", instruction: "call_indirect" },
      ],
    };
  },
};
