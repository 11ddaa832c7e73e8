// The Component Model peer: bench/guests/component.wat made a component for component.wit with jco
// (embed, new) and transpiled to JS; import calls from the component with a u32 and with a string argument.
//
// jco's library, @bytecodealliance/jco-transpile, is what jco 1.35's transpile and wasm-tools commands
// call; the jco CLI package itself also pulls in bundlers whose native builds the registry here lacks.

import { transpileBytes } from "@bytecodealliance/jco-transpile";
import { componentEmbed, componentNew, parse } from "@bytecodealliance/jco-transpile/wasm-tools";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../../scripts/paths.js";
import { perCallEach } from "../measure.js";
import type { BenchPath } from "../path.js";

const GUESTS = join(ROOT, "bench", "guests");
const NAME = "bench_component";

interface ComponentExports {
  loopU32(n: number): number;
  loopString(n: number): number;
}

type Instantiate = (
  getCoreModule: (path: string) => Promise<WebAssembly.Module>,
  imports: Record<string, { default: (...args: never[]) => unknown }>,
) => Promise<ComponentExports>;

/** Build and transpile the component into dir; returns the core module's bytes, as jco ships them. */
async function transpileComponent(dir: string): Promise<Uint8Array> {
  const core = await parse(readFileSync(join(GUESTS, "component.wat"), "utf8"));
  const witSource = readFileSync(join(GUESTS, "component.wit"), "utf8");
  const embedded = await componentEmbed({ binary: core, witSource, world: "bench", stringEncoding: "utf8" });
  const { files } = await transpileBytes(await componentNew(embedded), { name: NAME, instantiation: "async" });
  for (const [file, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), data);
  }
  return new Uint8Array(readFileSync(join(dir, `${NAME}.core.wasm`)));
}

async function instantiate(dir: string): Promise<ComponentExports> {
  const { instantiate } = (await import(pathToFileURL(join(dir, `${NAME}.js`)).href)) as { instantiate: Instantiate };
  return instantiate((path) => WebAssembly.compile(readFileSync(join(dir, path))), {
    "add-one": { default: (x: number) => x + 1 },
    "str-len": { default: (s: string) => s.length },
  });
}

export const jco: BenchPath = {
  name: "jco",
  async run(ctx) {
    const dir = join(ctx.tmp, "jco");
    const core = await transpileComponent(dir);
    const component = await instantiate(dir);
    const timed = await perCallEach(ctx, { u32: (n: number) => component.loopU32(n), string: (n: number) => component.loopString(n) }, { start: 10 });
    const call = { family: "peer", loop: "wasm" } as const;
    return {
      figures: [
        { id: "jco.u32", label: "jco component → import (u32)", unit: "ns", call, ...timed.u32 },
        { id: "jco.string", label: "jco component → import (string)", unit: "ns", call, ...timed.string },
      ],
      loops: [
        { id: "jco.u32", binary: core, func: "loop-u32", instruction: "call add-one" },
        { id: "jco.string", binary: core, func: "loop-string", instruction: "call str-len" },
      ],
    };
  },
};
