// The kernel core in wasm: the hot symbols a module reaches with a wasm-to-wasm call instead of a call into JS.
//
// Linux keeps its fast paths in the core image; here a call from module code into a JS function costs V8
// 3–4× an intra-module call, one into another instance's export about 1.1–1.5×. The core is one small
// instance per kernel, assembled here (no toolchain needed), holding its state in globals it does not
// export: a module is bound only the functions of the symbols it imports (the loader reads `symbols`), so
// it can read that state through them and never write it. The host writes it through `host`, which no
// module is given. What it holds now:
//
//   jiffies   a private i32 global; get_jiffies reads it; the host sets it whenever the clock moves (time
//             moves only on the host's side, so the value is always the clock's).
//   modules   each module's refcount, state and held references, in the core's memory, which
//             try_module_get, module_put and module_refcount work on (host/kernel/core_module.ts).

import { encodeFuncExport, encodeSections, encodeVec, rawSection, SECTION } from "../../abi/wasm.js";
import { body, I32, i32Const, OP } from "./core_asm.js";
import { ModuleRecords, REF_SYMBOLS, type ModuleRef, type RefSlowPaths } from "./core_module.js";

/** Types: 0 () -> i32, 1 (i32) -> (). Global 0: jiffies. Functions: 0 get_jiffies, 1 set_jiffies. */
const CORE = encodeSections([
  rawSection(SECTION.type, encodeVec([[0x60, 0, 1, I32], [0x60, 1, I32, 0]])),
  rawSection(SECTION.function, encodeVec([[0], [1]])),
  rawSection(SECTION.global, encodeVec([[I32, 1, ...i32Const(0), OP.end]])),
  rawSection(SECTION.export, encodeVec([encodeFuncExport("get_jiffies", 0), encodeFuncExport("set_jiffies", 1)])),
  rawSection(SECTION.code, encodeVec([body(0, [OP.globalGet, 0, OP.end]), body(0, [OP.localGet, 0, OP.globalSet, 0, OP.end])])),
]);

/** Compiled once per process; each kernel instantiates its own core. */
let compiled: WebAssembly.Module | undefined;

export class KernelCore {
  /** The base-kernel symbols the core implements alike for every module (names from abi/kernel.ts). */
  readonly symbols: ReadonlyMap<string, WebAssembly.ImportValue>;
  /** Every module's record: its refcount, state and held references. */
  readonly modules = new ModuleRecords();
  private readonly setJiffies: (value: number) => void;

  constructor(jiffies: number) {
    compiled ??= new WebAssembly.Module(CORE as Uint8Array<ArrayBuffer>);
    const exports = new WebAssembly.Instance(compiled).exports;
    this.symbols = new Map([["get_jiffies", exports["get_jiffies"] as WebAssembly.ImportValue]]);
    this.setJiffies = exports["set_jiffies"] as (value: number) => void;
    this.setJiffies(jiffies);
  }

  /**
   * The core's functions among `names` as module `ref` is bound them: the shared ones, and its own
   * reference functions (made the first time it imports one; `slow` gives the host's cold paths).
   */
  bind(ref: ModuleRef, names: readonly string[], slow: () => RefSlowPaths): Map<string, WebAssembly.ImportValue> {
    const bound = new Map<string, WebAssembly.ImportValue>();
    for (const name of names) {
      const fn = this.symbols.get(name) ?? (REF_SYMBOLS.has(name) ? ref.bind(this.modules.memory, slow).get(name) : undefined);
      if (fn) bound.set(name, fn);
    }
    return bound;
  }

  /** The clock moved: jiffies is now `value` (a u32). */
  jiffies(value: number): void {
    this.setJiffies(value | 0);
  }
}
