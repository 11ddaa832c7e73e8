// The Extism peer: a plugin built from bench/guests/extism_plugin.ts with @extism/as-pdk, run in-process
// (no WASI, no worker); a host-function call from inside the plugin, timed alongside a kernel symbol's call
// (module_put(NULL)) so the two wasm-to-JS calls are compared in one run; what Extism's way of binding a host
// function (`fn.bind(null, ctx)`) costs, against the same call to a plain function, in V8's floor loop
// (bench/floor.ts); and a whole plugin.call.

import createPlugin from "@extism/extism";
import { main as asc } from "assemblyscript/asc";
import { join } from "node:path";
import { ROOT } from "../../scripts/paths.js";
import { FLOOR_CALLER, floorLoop } from "../floor.js";
import { benchKernel, symbolFn } from "../lkm.js";
import { paired, perCall, perCallEach } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";

const GUESTS = join("bench", "guests");

/** asc with the plugin's own asconfig (the stub runtime as-pdk wants, no imported memory). */
async function buildPlugin(): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const stderr: string[] = [];
  const { error } = await asc(
    [join(GUESTS, "extism_plugin.ts"), "--config", join(GUESTS, "asconfig.json"), "--baseDir", ROOT, "--outFile", "plugin.wasm"],
    {
      writeFile: (_file, contents) => {
        binary = contents as Uint8Array;
      },
      stdout: { write: () => true } as never,
      stderr: { write: (s: string | Uint8Array) => (stderr.push(String(s)), true) } as never,
    },
  );
  if (error || !binary) throw new Error(`extism_plugin: ${error?.message ?? "no output"}\n${stderr.join("")}`.trimEnd());
  return binary;
}

export const extism: BenchPath = {
  name: "extism",
  async run(ctx) {
    const binary = await buildPlugin();
    const plugin = await createPlugin(
      { wasm: [{ data: binary }] },
      { useWasi: false, runInWorker: false, functions: { "extism:host/user": { bench_add_one: (_ctx: unknown, x: number) => x + 1 } } },
    );
    const k = await benchKernel(ctx, ["bench_ksym"]);
    const hostFn = (_ctx: unknown, x: number) => x + 1;
    const timed = await perCallEach(ctx, {
      host: (n: number) => plugin.call("bench_host", String(n)),
      kernel: symbolFn<(n: number) => number>(k, "bench_ksym_trivial"),
      bound: floorLoop(hostFn.bind(null, {})),
      plain: floorLoop((x: number) => x + 1),
    });
    const call = await perCall(ctx, async (n) => {
      for (let i = 0; i < n; i++) await plugin.call("bench_noop", "");
    }, { start: 10 });
    const peer = { family: "peer", loop: "wasm" } as const;
    const figures: Figure[] = [
      { id: "extism.host_fn", label: "Extism plugin → host function (i32)", unit: "ns", call: peer, ...timed.host },
      {
        id: "extism.kernel_trivial",
        label: "module → kernel (JS): current_pid(), timed beside Extism",
        unit: "ns",
        call: { family: "wasm-lkm", loop: "wasm" },
        paired: paired("extism.host_fn", timed.kernel, timed.host),
        ...timed.kernel,
      },
      {
        id: "extism.bind",
        label: "wasm → JS import bound as Extism binds it (fn.bind(null, ctx))",
        unit: "ns",
        call: { family: "baseline", loop: "wasm" },
        paired: paired("extism.plain", timed.bound, timed.plain),
        ...timed.bound,
      },
      { id: "extism.plain", label: "wasm → JS import, a plain function of x", unit: "ns", call: { family: "baseline", loop: "wasm" }, ...timed.plain },
      // The loop is here in JS: each iteration is a whole call into the plugin, nothing a compiler could drop.
      { id: "extism.call", label: "Extism plugin.call (host → plugin, empty)", unit: "ns", call: { family: "peer" }, ...call },
    ];
    await plugin.close();
    const ksym = await ctx.benchModule("bench_ksym");
    return {
      figures,
      loops: [
        { id: "extism.host_fn", binary, func: "bench_host", instruction: "call bench_add_one" },
        { id: "extism.kernel_trivial", binary: ksym, func: "bench_ksym_trivial", instruction: "call current_pid" },
        ...["extism.bind", "extism.plain"].map((id) => ({ id, binary: FLOOR_CALLER, func: "loop", instruction: "call f" })),
      ],
    };
  },
};
