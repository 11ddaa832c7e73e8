// Symbol CRCs from what the AssemblyScript compiler resolved: the imports a module binds and the symbols it exports.

import binaryen from "binaryen";
import { ElementKind } from "assemblyscript";
import type { Class, DeclaredElement, Function as AsFunction, Global, Program, Property, PropertyPrototype, Type } from "assemblyscript";
import { canonicalPrototype, crc32, type CanonicalType } from "../../abi/crc.js";
import { KERNEL_NAMESPACE } from "../../abi/module.js";
import { ModpostError } from "./error.js";

export interface SymbolCrc {
  readonly name: string;
  readonly crc: number;
  /** The prototype text the CRC was computed over, for --dump and for error messages. */
  readonly prototype: string;
}

const STRING_CLASS = "~lib/string/String";

/** The canonical form of a compiler type: scalars by name, strings as `string`, classes as structs. */
function canonical(type: Type, symbol: string): CanonicalType {
  const cls = type.classReference;
  if (!cls) return type.toString();
  if (cls.internalName === STRING_CLASS) return "string";
  if (!cls.members) throw new ModpostError(`${symbol}: type ${cls.name} has no fields to cross the module boundary`);
  return structOf(cls, symbol);
}

/** A class member as its resolved field, if it is one (an initialised field may still be listed by its prototype). */
function fieldOf(m: DeclaredElement): Property | null {
  const p = m.kind === ElementKind.PropertyPrototype ? (m as PropertyPrototype).instance : m.kind === ElementKind.Property ? (m as Property) : null;
  return p?.isField ? p : null;
}

function structOf(cls: Class, symbol: string): CanonicalType {
  const fields = [...cls.members!.values()].flatMap((m) => {
    const f = fieldOf(m);
    return f ? [{ name: f.name, offset: f.memoryOffset, type: canonical(f.type, symbol) }] : [];
  });
  return { name: cls.name, fields };
}

function functionPrototype(name: string, fn: AsFunction): string {
  const sig = fn.signature;
  return canonicalPrototype(name, {
    params: sig.parameterTypes.map((t) => canonical(t, name)),
    ret: canonical(sig.returnType, name),
  });
}

function crcOf(name: string, prototype: string): SymbolCrc {
  return { name, prototype, crc: crc32(prototype) };
}

/** CRCs of everything the compiled module imports from the kernel namespace (functions and globals). */
export function importedSymbols(program: Program, module: binaryen.Module): SymbolCrc[] {
  const out: SymbolCrc[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== KERNEL_NAMESPACE || !info.base) continue;
    const fn = program.instancesByName.get(info.name) as AsFunction | undefined;
    if (!fn) throw new ModpostError(`${info.base}: import has no declaration the compiler knows`);
    out.push(crcOf(info.base, functionPrototype(info.base, fn)));
  }
  for (let i = 0; i < module.getNumGlobals(); i++) {
    const info = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
    if (info.module !== KERNEL_NAMESPACE || !info.base) continue;
    const g = program.elementsByName.get(info.name) as Global | undefined;
    if (!g) throw new ModpostError(`${info.base}: import has no declaration the compiler knows`);
    out.push(crcOf(info.base, canonicalPrototype(info.base, { global: canonical(g.type, info.base) })));
  }
  return out;
}

/** The compiled function behind a module export, or undefined if there is no such function export. */
export function exportedFunction(program: Program, module: binaryen.Module, name: string): AsFunction | undefined {
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.name !== name || info.kind !== binaryen.ExternalFunction) continue;
    // A function taking or returning managed values is exported through a wrapper named "export:" + its own name.
    return program.instancesByName.get(info.value.replace(/^export:/, "")) as AsFunction | undefined;
  }
  return undefined;
}

/** CRCs of the symbols a module exports; each must be an exported function of its entry file. */
export function exportedSymbols(program: Program, module: binaryen.Module, exports: readonly { name: string; where: string }[]): SymbolCrc[] {
  return exports.map(({ name, where }) => {
    const fn = exportedFunction(program, module, name);
    if (!fn) throw new ModpostError(`${where}: error: EXPORT_SYMBOL(${name}): ${name} is not an exported function of the module`);
    return crcOf(name, functionPrototype(name, fn));
  });
}

/** The compiler type of an exported global, by export name. */
export function exportedGlobalType(program: Program, module: binaryen.Module, name: string): string | undefined {
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.name !== name || info.kind !== binaryen.ExternalGlobal) continue;
    const g = program.elementsByName.get(info.value) as Global | undefined;
    if (!g) return undefined;
    const c = canonical(g.type, name);
    return typeof c === "string" ? c : undefined;
  }
  return undefined;
}
