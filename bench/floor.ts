// V8's floor for a call between instances: two hand-assembled instances, nothing of wasm-lkm in them.
//
// The callee exports f(x) = x + 1 (bench_callee's work). The caller loops n times over acc = f(acc),
// in the shape asc gives bench_user's loop, with f either its own function (the intra-instance floor)
// or imported from the callee's instance (the cross-instance floor). module.direct against the
// cross-instance floor is what wasm-lkm adds to V8's own cost of such a call; the floor over its
// intra twin is V8's cost alone, and varies with the CPU (1.07–1.5× on the machines measured).

import { encodeFuncExport, encodeName, encodeSections, encodeVec, leb128, rawSection, SECTION, type Section } from "../abi/wasm.js";

const I32 = 0x7f;
const OP = {
  loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, call: 0x10, localGet: 0x20, localSet: 0x21, i32Const: 0x41, i32GtS: 0x4a,
  i32Add: 0x6a, void: 0x40,
} as const;

/** A function body: its size, then locals and code. */
const body = (locals: readonly (readonly number[])[], code: readonly number[]): number[] => {
  const inner = [...encodeVec(locals), ...code];
  return [...leb128(inner.length), ...inner];
};

const TYPE_I32_I32 = [0x60, 1, I32, 1, I32];
const CALLEE = body([], [OP.localGet, 0, OP.i32Const, 1, OP.i32Add, OP.end]);

/** loop(n): acc = f(acc) n times, f being function 0; locals: 0 n, 1 i, 2 acc. As asc writes bench_user_call's
 *  loop: (loop (if (i32.gt_s n i) (then acc = f(acc), i = i + 1, (br loop)))), the test at the top. */
const LOOP = body([[2, I32]], [
  OP.loop, OP.void,
  OP.localGet, 0, OP.localGet, 1, OP.i32GtS,
  OP.if, OP.void,
  OP.localGet, 2, OP.call, 0, OP.localSet, 2,
  OP.localGet, 1, OP.i32Const, 1, OP.i32Add, OP.localSet, 1,
  OP.br, 1,
  OP.end,
  OP.end,
  OP.localGet, 2,
  OP.end,
]);


/** The "name" section naming functions by index, so the call checks (bench/wat.ts) find the loop and its callee. */
function functionNames(names: readonly string[]): Section {
  const map = encodeVec(names.map((name, i) => [...leb128(i), ...encodeName(name)]));
  return { id: SECTION.custom, name: "name", payload: new Uint8Array([1, ...leb128(map.length), ...map]) };
}

/** The callee's instance: exports f. */
export const FLOOR_CALLEE = encodeSections([
  rawSection(SECTION.type, encodeVec([TYPE_I32_I32])),
  rawSection(SECTION.function, encodeVec([[0]])),
  rawSection(SECTION.export, encodeVec([encodeFuncExport("f", 0)])),
  rawSection(SECTION.code, encodeVec([CALLEE])),
]);

/** The caller importing f ("floor" "f") and exporting its loop. */
export const FLOOR_CALLER = encodeSections([
  rawSection(SECTION.type, encodeVec([TYPE_I32_I32])),
  rawSection(SECTION.import, encodeVec([[...encodeName("floor"), ...encodeName("f"), 0, 0]])),
  rawSection(SECTION.function, encodeVec([[0]])),
  rawSection(SECTION.export, encodeVec([encodeFuncExport("loop", 1)])),
  rawSection(SECTION.code, encodeVec([LOOP])),
  functionNames(["f", "loop"]),
]);

/** One instance with f and the loop calling it. */
export const FLOOR_INTRA = encodeSections([
  rawSection(SECTION.type, encodeVec([TYPE_I32_I32])),
  rawSection(SECTION.function, encodeVec([[0], [0]])),
  rawSection(SECTION.export, encodeVec([encodeFuncExport("loop", 1)])),
  rawSection(SECTION.code, encodeVec([CALLEE, LOOP])),
  functionNames(["f", "loop"]),
]);

type Loop = (n: number) => number;

function instance(bytes: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), imports).exports;
}

/** The caller's loop with f bound to the given import: another instance's export, or a JS function. */
export function floorLoop(f: WebAssembly.ImportValue): Loop {
  return instance(FLOOR_CALLER, { floor: { f } })["loop"] as Loop;
}

/** The two floor loops, freshly instantiated, and the cross loop's callee (to tier up with it). */
export function floorLoops(): { readonly intra: Loop; readonly cross: Loop; readonly callee: (x: number) => number } {
  const callee = instance(FLOOR_CALLEE)["f"] as (x: number) => number;
  return { intra: instance(FLOOR_INTRA)["loop"] as Loop, cross: floorLoop(callee), callee };
}
