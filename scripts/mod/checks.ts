// modpost's checks of a compiled module, each an error at the line that causes it, so that a mistake stops the
// build instead of insmod: the entry points' types, symbols that cannot cross to another module, and imports
// that nothing in the kernel provides.

import binaryen from "binaryen";
import type { Function as AsFunction, Global, Program, Type } from "assemblyscript";
import { KERNEL_SYMBOLS } from "../../abi/kernel.js";
import { ENV_FUNCTIONS, ENV_NAMESPACE, KERNEL_NAMESPACE, MODULE_EXPORTS } from "../../abi/module.js";
import { exportedFunction } from "./genksyms.js";
import { locate } from "./macros.js";

/** The types module_init and module_exit give the entry points: int (*initcall_t)(void), void (*exitcall_t)(void). */
const ENTRY_POINTS = [[MODULE_EXPORTS.init, "i32"], [MODULE_EXPORTS.cleanup, "void"]] as const;

const STRING_CLASS = "~lib/string/String";

/** A type as the module's author wrote it: `string`, `Uint8Array`, `i32`. */
function typeName(t: Type): string {
  const cls = t.classReference;
  if (!cls) return t.toString();
  return cls.internalName === STRING_CLASS ? "string" : cls.name;
}

function signatureText(fn: AsFunction): string {
  const params = fn.signature.parameterTypes.map((t, i) => `${fn.getParameterName(i)}: ${typeName(t)}`);
  return `(${params.join(", ")}): ${typeName(fn.signature.returnType)}`;
}

/** init_module and cleanup_module, where the module has them, are functions of the types the loader calls. */
export function entryPointErrors(program: Program, module: binaryen.Module): string[] {
  return ENTRY_POINTS.flatMap(([name, ret]) => {
    const wanted = `'export function ${name}(): ${ret}'`;
    const global = exportedGlobal(program, module, name);
    if (global) return [`${locate(global.declaration.range)}: error: ${name} must be ${wanted}, not a variable`];
    const fn = exportedFunction(program, module, name);
    if (!fn || (fn.signature.parameterTypes.length === 0 && typeName(fn.signature.returnType) === ret)) return [];
    return [`${locate(fn.identifierNode.range)}: error: ${name} must be ${wanted}, not '${signatureText(fn)}'`];
  });
}

function exportedGlobal(program: Program, module: binaryen.Module, name: string): Global | undefined {
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.name === name && info.kind === binaryen.ExternalGlobal) return program.elementsByName.get(info.value) as Global;
  }
  return undefined;
}

/**
 * A module's memory is its own, so a pointer means nothing to another module: what an exported symbol takes
 * and returns, and what a symbol of another module is declared with, must be numbers. (The kernel's own
 * symbols may take strings and structs: it reads them from the caller's memory.)
 */
export function crossingErrors(program: Program, module: binaryen.Module, exports: readonly { name: string; where: string }[]): string[] {
  const exported = exports.flatMap(({ name }) => {
    const fn = exportedFunction(program, module, name);
    return fn ? [{ fn, what: `EXPORT_SYMBOL(${name})` }] : [];
  });
  const imported = moduleImports(program, module).map((fn) => ({ fn, what: `${fn.name}, a symbol of another module,` }));
  return [...exported, ...imported].flatMap(({ fn, what }) => referenceErrors(fn, what));
}

function referenceErrors(fn: AsFunction, what: string): string[] {
  const node = fn.prototype.functionTypeNode;
  const why = "only numbers cross between modules, which share no memory";
  const errors = fn.signature.parameterTypes.flatMap((t, i) =>
    t.isReference ? [`${locate(node.parameters[i]!.range)}: error: ${what} takes '${fn.getParameterName(i)}' as a ${typeName(t)}: ${why}`] : [],
  );
  const ret = fn.signature.returnType;
  if (ret.isReference) errors.push(`${locate(node.returnType.range)}: error: ${what} returns a ${typeName(ret)}: ${why}`);
  return errors;
}

/** The functions a module imports from the kernel namespace that are not the kernel's own: other modules' symbols. */
function moduleImports(program: Program, module: binaryen.Module): AsFunction[] {
  const fns: AsFunction[] = [];
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== KERNEL_NAMESPACE || !info.base || Object.hasOwn(KERNEL_SYMBOLS, info.base)) continue;
    const fn = program.instancesByName.get(info.name) as AsFunction | undefined;
    if (fn) fns.push(fn);
  }
  return fns;
}

/** Imports the loader cannot satisfy (console.log, Date.now, another namespace): internal name → "env.console.log". */
export function foreignImports(module: binaryen.Module): Map<string, string> {
  const found = new Map<string, string>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (!info.module || !info.base || info.module === KERNEL_NAMESPACE) continue;
    if (info.module === ENV_NAMESPACE && ENV_FUNCTIONS.has(info.base)) continue;
    found.set(info.name, `${info.module}.${info.base}`);
  }
  return found;
}

interface Call {
  readonly callee: string;
  /** FILE:LINE:COLUMN of the module's own source the call is at, if it is in the module's own source. */
  readonly where: string | null;
}

const FUNC = /^\s*\(func \$("(?:[^"\\]|\\.)*"|[^\s()]+)/;
const CALL = /\(call \$("(?:[^"\\]|\\.)*"|[^\s()]+)/;
const LOCATION = /^\s*;;@ (.+):(\d+):(\d+)$/;
const LIBRARY = "~lib/";

/**
 * The calls in each function, each at the last location in the module's own source binaryen printed before
 * it (`;;@ file:line:col`, 0-based column, there when asc ran with --sourceMap): a library function inlined
 * into the module's code counts as the line that called it.
 */
function callGraph(text: string): Map<string, Call[]> {
  const graph = new Map<string, Call[]>();
  let calls: Call[] = [];
  let where: string | null = null;
  const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1) : name);
  for (const line of text.split("\n")) {
    const func = FUNC.exec(line);
    if (func) {
      graph.set(unquote(func[1]!), (calls = []));
      where = null;
      continue;
    }
    const loc = LOCATION.exec(line);
    if (loc && !loc[1]!.startsWith(LIBRARY)) where = `${loc[1]}:${loc[2]}:${Number(loc[3]) + 1}`;
    const call = CALL.exec(line);
    if (call) calls.push({ callee: unquote(call[1]!), where });
  }
  return graph;
}

/**
 * Where the module's own code calls what leads to a foreign import: `console.log("x")` calls the library's
 * console.log, which imports env.console.log. Needs the module compiled with source locations.
 */
export function foreignImportErrors(module: binaryen.Module, imports: ReadonlyMap<string, string>): string[] {
  const graph = callGraph(module.emitText());
  const reaches = new Map(imports);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [fn, calls] of graph) {
      const reached = reaches.has(fn) ? undefined : calls.find((c) => reaches.has(c.callee));
      if (reached) grew = reaches.set(fn, reaches.get(reached.callee)!) !== undefined;
    }
  }
  const errors = new Set<string>();
  for (const calls of graph.values()) {
    for (const { callee, where } of calls) {
      const label = reaches.get(callee);
      if (!label || !where || !(callee.startsWith(LIBRARY) || imports.has(callee))) continue;
      errors.add(`${where}: error: ${callee.slice(callee.lastIndexOf("/") + 1)} needs ${label}, which the kernel does not export`);
    }
  }
  if (errors.size === 0) for (const label of imports.values()) errors.add(`error: ${label} is not exported by the kernel`);
  return [...errors];
}
