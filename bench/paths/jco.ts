// The Component Model peer: bench/guests/component.wat made a component for component.wit with jco
// (embed, new) and transpiled to JS; import calls from the component with a u32 and with a string argument.
//
// jco 1.35's generated glue runs async-task bookkeeping around every import call, and its _debugLog, called
// several times a call, reads `globalThis.process.env.JCO_DEBUG` each time: in Node process.env is an
// interceptor that asks the C library's environment on every read. The same glue with that read made once,
// when the glue loads, is timed beside it (`_env_once`), so the figure says which part is the environment.
//
// jco's library, @bytecodealliance/jco-transpile, is what jco 1.35's transpile and wasm-tools commands
// call; the jco CLI package itself also pulls in bundlers whose native builds the registry here lacks.

import { transpileBytes } from "@bytecodealliance/jco-transpile";
import { componentEmbed, componentNew, parse } from "@bytecodealliance/jco-transpile/wasm-tools";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../../scripts/paths.js";
import { paired, perCallEach } from "../measure.js";
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

/** The debug switch as the glue reads it, on every _debugLog call. */
const DEBUG_READ = "globalThis?.process?.env?.JCO_DEBUG";

/** A copy of the glue reading the debug switch once, at load; returns its file name. Throws if the glue has no such read. */
function envOnceGlue(dir: string): string {
  const glue = readFileSync(join(dir, `${NAME}.js`), "utf8");
  if (!glue.includes(DEBUG_READ)) throw new Error(`jco: the generated glue no longer reads ${DEBUG_READ}`);
  const file = `${NAME}_env_once.js`;
  writeFileSync(join(dir, file), `const JCO_DEBUG_ONCE = ${DEBUG_READ};\n${glue.replaceAll(DEBUG_READ, "JCO_DEBUG_ONCE")}`);
  return file;
}

async function instantiate(dir: string, file = `${NAME}.js`): Promise<ComponentExports> {
  const { instantiate } = (await import(pathToFileURL(join(dir, file)).href)) as { instantiate: Instantiate };
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
    const envOnce = await instantiate(dir, envOnceGlue(dir));
    const timed = await perCallEach(ctx, {
      u32: (n: number) => component.loopU32(n),
      string: (n: number) => component.loopString(n),
      u32Once: (n: number) => envOnce.loopU32(n),
      stringOnce: (n: number) => envOnce.loopString(n),
    }, { start: 10 });
    const call = { family: "peer", loop: "wasm" } as const;
    const once = (id: string, t: (typeof timed)["u32"], generated: (typeof timed)["u32"]) => ({ paired: paired(id, t, generated), ...t });
    return {
      figures: [
        { id: "jco.u32", label: "jco component → import (u32)", unit: "ns", call, ...timed.u32 },
        { id: "jco.string", label: "jco component → import (string)", unit: "ns", call, ...timed.string },
        { id: "jco.u32_env_once", label: "jco → import (u32), JCO_DEBUG read once", unit: "ns", call, ...once("jco.u32", timed.u32Once, timed.u32) },
        {
          id: "jco.string_env_once",
          label: "jco → import (string), JCO_DEBUG read once",
          unit: "ns",
          call,
          ...once("jco.string", timed.stringOnce, timed.string),
        },
      ],
      loops: [
        ...["jco.u32", "jco.u32_env_once"].map((id) => ({ id, binary: core, func: "loop-u32", instruction: "call add-one" })),
        ...["jco.string", "jco.string_env_once"].map((id) => ({ id, binary: core, func: "loop-string", instruction: "call str-len" })),
      ],
    };
  },
};
