// Loading: insmod (compile, link, instantiate, init) and rmmod of the example module hello, cold and warm;
// and modprobe of the top of a 10-deep dependency chain (lookup, then ten insmods in dependency order),
// with modprobe -r of every level taking the chain back.
//
// V8 caches compiled modules by their bytes within a process, so a cold load gets bytes no load has
// seen: the module with a custom section holding a fresh nonce, which the loader ignores. The cold loads
// timed come after WARMUP cold loads of their own, timed apart, so that they measure the loader's code
// optimised, as every other path measures its loop: the kernel's TypeScript is cold only in a new process.

import { appendCustomSection, encodeName, encodeSections, encodeVec, functionTypes, rawSection, readSections, SECTION, type FuncType } from "../../abi/wasm.js";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { depmod, releaseDir } from "../../host/kmod/depmod.js";
import { instrument } from "../../host/module/instrument.js";
import { WATCHDOG_TICK } from "../../abi/module.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { stats } from "../measure.js";
import type { BenchContext, BenchPath, Figure } from "../path.js";
import { buildStack } from "../stack.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Cold loads before the timed ones, reported on their own (load.hello_first). */
const WARMUP = 20;

/** How deep the modprobe chain is: stack0 ... stack9, each using the one below. */
const CHAIN = 10;

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

/** The nonce'd copy of a module's bytes for cycle i, so each cold cycle compiles afresh. */
function fresh(bytes: Uint8Array, nonce: string, i: number): Uint8Array {
  return appendCustomSection(bytes, "bench.nonce", new TextEncoder().encode(`${nonce}-${i}`));
}

/** A module directory holding the chain, indexed by depmod; returns it with each level's file and bytes. */
async function chainDir(ctx: BenchContext): Promise<{ dir: string; files: [string, Uint8Array][] }> {
  const base = join(ctx.tmp, "chain");
  const dir = releaseDir(base);
  const into = join(dir, "kernel");
  mkdirSync(into, { recursive: true });
  await buildStack(join(base, "src"), into, CHAIN);
  depmod(dir);
  const files = Array.from({ length: CHAIN }, (_, k) => join(into, `stack${k}.wasm`));
  return { dir, files: files.map((f) => [f, new Uint8Array(readFileSync(f))]) };
}

/** count cycles of `modprobe stackN` and `modprobe -r stackN`; `prepare` runs untimed before each. */
function chainCycles(dir: string, count: number, prepare: (i: number) => void): Cycles {
  const k = new Kernel({ moduleDir: dir, modprobeConfig: [] });
  const shell = new Session(k, () => {}, (t) => {
    throw new Error(`bench: modprobe failed: ${t}`);
  });
  const out: Cycles = { insmod: [], rmmod: [] };
  for (let i = 0; i < count; i++) {
    prepare(i);
    const t0 = performance.now();
    shell.exec(`modprobe stack${CHAIN - 1}`);
    const t1 = performance.now();
    // As kmod 34's, modprobe -r takes a dependency only once nothing holds it when it is reached
    // (deepest first), which leaves most of a chain: every level is named, top first.
    shell.exec(`modprobe -r ${Array.from({ length: CHAIN }, (_, k) => `stack${CHAIN - 1 - k}`).join(" ")}`);
    out.insmod.push(t1 - t0);
    out.rmmod.push(performance.now() - t1);
  }
  if (k.modules.list().length > 0) throw new Error("bench: modprobe -r left modules behind");
  return out;
}

function chainFigures(kind: "cold" | "warm", c: Cycles): Figure[] {
  const common = { unit: "ms", runs: c.insmod.length, iterations: 1 } as const;
  return [
    { id: `load.modprobe_chain_${kind}`, label: `modprobe of a ${CHAIN}-deep chain (${kind})`, stats: stats(c.insmod), ...common },
    { id: `load.modprobe_chain_${kind}_remove`, label: `modprobe -r of the chain (${kind})`, stats: stats(c.rmmod), ...common },
  ];
}

function firstFigures(c: Cycles): Figure[] {
  const label = `hello insmod + init (cold, the path's first ${c.insmod.length}: the loader not yet optimised)`;
  return [{ id: "load.hello_first", label, stats: stats(c.insmod), unit: "ms", runs: c.insmod.length, iterations: 1 }];
}

function figures(kind: "cold" | "warm", c: Cycles): Figure[] {
  const common = { unit: "ms", runs: c.insmod.length, iterations: 1 } as const;
  return [
    { id: `load.hello_${kind}`, label: `hello insmod + init (${kind})`, stats: stats(c.insmod), ...common },
    { id: `load.hello_${kind}_rmmod`, label: `hello rmmod + cleanup (${kind})`, stats: stats(c.rmmod), ...common },
  ];
}

/**
 * V8's compile of two hand-made binaries shaped as hello after the loader's rewrite: as many functions, each
 * empty, without imports, and with one function import of each signature hello imports. What the second costs
 * over the first is V8's work for those imports, nothing of wasm-lkm's: V8 11.3 (Node 20) compiles a wasm-to-JS
 * wrapper per imported signature into every new module, V8 12 (Node 22) shares them in the process.
 */
function compileFloor(hello: Uint8Array, nonce: string, count: number): Figure[] {
  const sections = readSections(instrument(hello, { tick: WATCHDOG_TICK, moduleName: "hello" }));
  const functions = readSections(hello).filter((s) => s.id === SECTION.function).map((s) => s.payload[0]!)[0] ?? 0;
  const signatures = distinct([...functionTypes(sections).imports.values()]);
  const bare = emptyFunctions(functions, []);
  const imports = emptyFunctions(functions, signatures);
  const times: Record<"bare" | "imports", number[]> = { bare: [], imports: [] };
  for (let i = 0; i < count; i++) {
    for (const [kind, bytes] of [["bare", bare], ["imports", imports]] as const) {
      const b = fresh(bytes, nonce, i) as Uint8Array<ArrayBuffer>;
      const t0 = performance.now();
      new WebAssembly.Module(b);
      times[kind].push(performance.now() - t0);
    }
  }
  const common = { unit: "ms", runs: count, iterations: 1 } as const;
  return [
    { id: "load.compile_bare", label: `V8 compile: ${functions} empty functions`, stats: stats(times.bare), ...common },
    { id: "load.compile_imports", label: `V8 compile: the same, importing hello's ${signatures.length} signatures`, stats: stats(times.imports), ...common },
  ];
}

function distinct(types: readonly FuncType[]): FuncType[] {
  const seen = new Map(types.map((t) => [`${t.params}:${t.results}`, t]));
  return [...seen.values()];
}

/** A binary of `functions` empty functions of type [] -> [], importing one function of each of `signatures`. */
function emptyFunctions(functions: number, signatures: readonly FuncType[]): Uint8Array {
  const type = (t: FuncType) => [0x60, ...encodeVec(t.params.map((p) => [p])), ...encodeVec(t.results.map((r) => [r]))];
  const imports = signatures.map((_, k) => [...encodeName("floor"), ...encodeName(`i${k}`), 0x00, k + 1]);
  return encodeSections([
    rawSection(SECTION.type, encodeVec([type({ params: [], results: [] }), ...signatures.map(type)])),
    ...(imports.length > 0 ? [rawSection(SECTION.import, encodeVec(imports))] : []),
    rawSection(SECTION.function, encodeVec(Array.from({ length: functions }, () => [0]))),
    rawSection(SECTION.code, encodeVec(Array.from({ length: functions }, () => [2, 0, 0x0b]))),
  ]);
}

export const load: BenchPath = {
  name: "load",
  async run(ctx) {
    const hello = new Uint8Array(readFileSync(join(BUILD_DIR, "hello.wasm")));
    const count = ctx.quick ? 3 : 50;
    const nonce = `${process.pid}-${Date.now()}`;
    const first = cycles(ctx.quick ? 1 : WARMUP, (i) => fresh(hello, `${nonce}-first`, i));
    const cold = cycles(count, (i) => fresh(hello, nonce, i));
    const warm = cycles(count + 1, () => hello);
    const floor = compileFloor(hello, nonce, count);
    // The first warm cycle compiled hello's bytes for the first time: it was cold.
    warm.insmod.shift();
    warm.rmmod.shift();
    const chain = await chainDir(ctx);
    const chainCount = ctx.quick ? 2 : 20;
    const chainCold = chainCycles(chain.dir, chainCount, (i) => {
      for (const [file, bytes] of chain.files) writeFileSync(file, fresh(bytes, nonce, i));
    });
    const chainWarm = chainCycles(chain.dir, chainCount + 1, () => {});
    chainWarm.insmod.shift();
    chainWarm.rmmod.shift();
    return {
      figures: [...firstFigures(first), ...figures("cold", cold), ...figures("warm", warm), ...floor, ...chainFigures("cold", chainCold), ...chainFigures("warm", chainWarm)],
    };
  },
};
