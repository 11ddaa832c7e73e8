// The Extism peer: a plugin built from bench/guests/extism_plugin.ts with @extism/as-pdk, run in-process
// (no WASI, no worker); a host-function call from inside the plugin, and a whole plugin.call.

import createPlugin from "@extism/extism";
import { main as asc } from "assemblyscript/asc";
import { join } from "node:path";
import { ROOT } from "../../scripts/paths.js";
import { perCall } from "../measure.js";
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
    const host = await perCall(ctx, (n) => plugin.call("bench_host", String(n)));
    const call = await perCall(ctx, async (n) => {
      for (let i = 0; i < n; i++) await plugin.call("bench_noop", "");
    }, { start: 10 });
    const figures: Figure[] = [
      { id: "extism.host_fn", label: "Extism plugin → host function (i32)", unit: "ns", call: { family: "peer", loop: "wasm" }, ...host },
      // The loop is here in JS: each iteration is a whole call into the plugin, nothing a compiler could drop.
      { id: "extism.call", label: "Extism plugin.call (host → plugin, empty)", unit: "ns", call: { family: "peer" }, ...call },
    ];
    await plugin.close();
    return { figures, loops: [{ id: "extism.host_fn", binary, func: "bench_host", instruction: "call bench_add_one" }] };
  },
};
