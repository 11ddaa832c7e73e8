// Loading: insmod (compile, link, instantiate, init) and rmmod of the example module hello, cold and warm.
//
// V8 caches compiled modules by their bytes within a process, so a cold load gets bytes no load has
// seen: hello with a custom section holding a fresh nonce, which the loader ignores.

import { appendCustomSection } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { stats } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

interface Cycles {
  readonly insmod: number[];
  readonly rmmod: number[];
}

/** count insmod/rmmod cycles of hello, each step timed on its own (ms). */
function cycles(count: number, bytesFor: (i: number) => Uint8Array): Cycles {
  const k = new Kernel();
  const out: Cycles = { insmod: [], rmmod: [] };
  for (let i = 0; i < count; i++) {
    const bytes = bytesFor(i);
    const t0 = performance.now();
    k.insmod(bytes);
    const t1 = performance.now();
    k.rmmod("hello");
    out.insmod.push(t1 - t0);
    out.rmmod.push(performance.now() - t1);
  }
  return out;
}

function figures(kind: "cold" | "warm", c: Cycles): Figure[] {
  const common = { unit: "ms", runs: c.insmod.length, iterations: 1 } as const;
  return [
    { id: `load.hello_${kind}`, label: `hello insmod + init (${kind})`, stats: stats(c.insmod), ...common },
    { id: `load.hello_${kind}_rmmod`, label: `hello rmmod + cleanup (${kind})`, stats: stats(c.rmmod), ...common },
  ];
}

export const load: BenchPath = {
  name: "load",
  async run(ctx) {
    const hello = new Uint8Array(readFileSync(join(BUILD_DIR, "hello.wasm")));
    const count = ctx.quick ? 3 : 50;
    const nonce = `${process.pid}-${Date.now()}`;
    const cold = cycles(count, (i) => appendCustomSection(hello, "bench.nonce", new TextEncoder().encode(`${nonce}-${i}`)));
    const warm = cycles(count + 1, () => hello);
    // The first warm cycle compiled hello's bytes for the first time: it was cold.
    warm.insmod.shift();
    warm.rmmod.shift();
    return { figures: [...figures("cold", cold), ...figures("warm", warm)] };
  },
};
