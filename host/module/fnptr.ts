// Function pointers into a module: a table index (fn.index in AssemblyScript) resolved to the wasm function,
// and every call through it made through the loader's gate, so a trap in the callback is an Oops, not a crash.

import { KernelError } from "../kernel/error.js";
import type { Module } from "./internal.js";

/** The gate every call into module code passes (ModuleLoader.call). */
export type Gate = <T>(mod: Module, fn: () => T) => T;

/** The function at a table index of the module; EINVAL for NULL, an index outside the table or an empty slot. */
export function moduleFunction<F extends (...args: never[]) => unknown>(mod: Module, index: number, what: string): F {
  const table = mod.exports?.table;
  const fn = index > 0 && table && index < table.length ? (table.get(index) as unknown) : null;
  if (typeof fn !== "function") throw new KernelError("EINVAL", `${mod.name}: ${what}: ${index} is not a function of the module`);
  return fn as F;
}
