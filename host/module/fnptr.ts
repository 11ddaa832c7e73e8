// Function pointers into a module: a table index (fn.index in AssemblyScript) resolved to the wasm function,
// and every call through it made through the loader's gate, so a trap in the callback is an Oops, not a crash.

import { KernelError } from "../kernel/error.js";
import type { Module } from "./internal.js";

/** The gate every call into module code passes (ModuleLoader.call). */
export type Gate = <T>(mod: Module, fn: () => T) => T;

/** A module function as a function pointer calls it: up to six 32-bit arguments, an i32 back. */
export type ModuleFn = (a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number) => number;

/** The gate built into a function pointer once (ModuleLoader.guard), for calls the kernel makes often. */
export type Guard = (mod: Module, f: ModuleFn) => ModuleFn;

/** The function at a table index of the module; EINVAL for NULL, an index outside the table or an empty slot. */
export function moduleFunction<F extends (...args: never[]) => unknown>(mod: Module, index: number, what: string): F {
  const table = mod.exports?.table;
  const fn = index > 0 && table && index < table.length ? (table.get(index) as unknown) : null;
  if (typeof fn !== "function") throw new KernelError("EINVAL", `${mod.name}: ${what}: ${index} is not a function of the module`);
  return fn as F;
}
