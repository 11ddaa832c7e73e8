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

import { encodeFuncExport, encodeSections, encodeVec, leb128, rawSection, SECTION } from "../../abi/wasm.js";

const I32 = 0x7f;
const OP = { end: 0x0b, localGet: 0x20, globalGet: 0x23, globalSet: 0x24, i32Const: 0x41 } as const;

/** A function body without locals. */
const body = (code: readonly number[]): number[] => [...leb128(code.length + 1), 0, ...code];

/** Types: 0 () -> i32, 1 (i32) -> (). Global 0: jiffies. Functions: 0 get_jiffies, 1 set_jiffies. */
const CORE = encodeSections([
  rawSection(SECTION.type, encodeVec([[0x60, 0, 1, I32], [0x60, 1, I32, 0]])),
  rawSection(SECTION.function, encodeVec([[0], [1]])),
  rawSection(SECTION.global, encodeVec([[I32, 1, OP.i32Const, 0, OP.end]])),
  rawSection(SECTION.export, encodeVec([encodeFuncExport("get_jiffies", 0), encodeFuncExport("set_jiffies", 1)])),
  rawSection(SECTION.code, encodeVec([body([OP.globalGet, 0, OP.end]), body([OP.localGet, 0, OP.globalSet, 0, OP.end])])),
]);

/** Compiled once per process; each kernel instantiates its own core. */
let compiled: WebAssembly.Module | undefined;

export class KernelCore {
  /** The base-kernel symbols the core implements, as modules are bound them (names from abi/kernel.ts). */
  readonly symbols: ReadonlyMap<string, WebAssembly.ImportValue>;
  private readonly setJiffies: (value: number) => void;

  constructor(jiffies: number) {
    compiled ??= new WebAssembly.Module(CORE as Uint8Array<ArrayBuffer>);
    const exports = new WebAssembly.Instance(compiled).exports;
    this.symbols = new Map([["get_jiffies", exports["get_jiffies"] as WebAssembly.ImportValue]]);
    this.setJiffies = exports["set_jiffies"] as (value: number) => void;
    this.setJiffies(jiffies);
  }

  /** The clock moved: jiffies is now `value` (a u32). */
  jiffies(value: number): void {
    this.setJiffies(value | 0);
  }
}
