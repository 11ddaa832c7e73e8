// A loaded module's own exports for a test, through @assemblyscript/loader: strings, arrays and typed arrays go
// in and come out as the loader's helpers make and read them (__newString, __getString, __newArray...).
//
// The loader wraps an instance it makes itself, so it is given a small shim instance whose exports are the
// module's: its memory, its runtime's entry points and functions, each call made through the kernel's gate
// (the watchdog bounds it, and a trap is an Oops that kills the module, as for any call the kernel makes).

import { instantiateSync, type ASUtil } from "@assemblyscript/loader";
import { encodeName, encodeSections, functionTypes, leb128, readSections, SECTION, type FuncType } from "../abi/wasm.js";
import type { Kernel } from "../host/init/main.js";
import type { Module } from "../host/module/internal.js";

const I32 = 0x7f;

function vec(items: readonly number[][]): number[] {
  return [...leb128(items.length), ...items.flat()];
}

/** A binary importing memory, __rtti_base and the functions, and exporting them under their own names. */
function shimBinary(funcs: readonly (readonly [string, FuncType])[]): Uint8Array {
  const types = funcs.map(([, t]) => [0x60, ...leb128(t.params.length), ...t.params, ...leb128(t.results.length), ...t.results]);
  const imports = [
    [...encodeName("m"), ...encodeName("memory"), 0x02, 0x00, 0x00],
    [...encodeName("m"), ...encodeName("__rtti_base"), 0x03, I32, 0x00],
    ...funcs.map(([name], i) => [...encodeName("f"), ...encodeName(name), 0x00, ...leb128(i)]),
  ];
  const exports = [
    [...encodeName("memory"), 0x02, 0x00],
    [...encodeName("__rtti_base"), 0x03, 0x00],
    ...funcs.map(([name], i) => [...encodeName(name), 0x00, ...leb128(i)]),
  ];
  return encodeSections([
    { id: SECTION.type, payload: new Uint8Array(vec(types)) },
    { id: SECTION.import, payload: new Uint8Array(vec(imports)) },
    { id: SECTION.export, payload: new Uint8Array(vec(exports)) },
  ]);
}

/**
 * The module's exported functions (its own and its runtime's __new, __pin...) with the loader's helpers, from
 * the binary it was loaded from. Throws ENODEV (through the gate) once the module is dead or gone.
 */
export function moduleExports<T extends Record<string, unknown> = Record<string, unknown>>(kernel: Kernel, mod: Module, bytes: Uint8Array): ASUtil & T {
  const raw = mod.exports!.raw;
  const funcs = [...functionTypes(readSections(bytes)).exports].filter(([name]) => typeof raw[name] === "function");
  const gated = Object.fromEntries(funcs.map(([name]) => {
    const fn = raw[name] as (...args: unknown[]) => unknown;
    return [name, (...args: unknown[]) => kernel.callModule(mod, () => fn(...args))];
  }));
  const rtti = new WebAssembly.Global({ value: "i32", mutable: false }, (raw.__rtti_base as WebAssembly.Global).value as number);
  const shim = new WebAssembly.Module(shimBinary(funcs) as Uint8Array<ArrayBuffer>);
  return instantiateSync<T>(shim, { m: { memory: mod.memory.memory, __rtti_base: rtti }, f: gated }).exports;
}
