// The asc transform that is modpost's front half: reads a module's macros and computes its symbol CRCs.

import type binaryen from "binaryen";
import type { Parser, Program } from "assemblyscript";
import { MODULE_EXPORTS } from "../../abi/module.js";
import { PARAM_TYPES } from "../../abi/moduleparam.js";
import { exportedGlobalType, exportedSymbols, importedSymbols, type SymbolCrc } from "./genksyms.js";
import { expandKunitMacros } from "./kunit.js";
import { collectMacros, MacroError, type ModuleDecls } from "./macros.js";

/** Everything modpost needs to know about one compiled module. */
export interface ModuleMeta {
  readonly decls: ModuleDecls;
  readonly imports: SymbolCrc[];
  readonly exports: (SymbolCrc & { gpl: boolean })[];
}

/**
 * Passed to asc as an instance, which asc uses as it is (only transform classes get program and binaryen
 * injected), so it keeps the program from afterInitialize and calls binaryen's own API.
 */
export class ModpostTransform {
  private decls?: ModuleDecls;
  private program?: Program;
  meta?: ModuleMeta;

  afterParse(parser: Parser): void {
    this.decls = collectMacros(parser);
    expandKunitMacros(parser);
  }

  afterInitialize(program: Program): void {
    this.program = program;
  }

  afterCompile(module: binaryen.Module): void {
    const decls = this.decls!;
    const program = this.program!;
    for (const p of decls.params) checkParam(program, module, p.name, p.type);
    exportStackPointer(module);
    const crcs = exportedSymbols(program, module, decls.exports.map((e) => e.name));
    this.meta = {
      decls,
      imports: importedSymbols(program, module),
      exports: crcs.map((c, i) => ({ ...c, gpl: decls.exports[i]!.gpl })),
    };
  }
}

/** The runtime's shadow stack pointer, for the kernel to reset after code whose frames never returned (KUnit). */
const STACK_POINTER = "~lib/memory/__stack_pointer";

function exportStackPointer(module: binaryen.Module): void {
  if (module.getGlobal(STACK_POINTER)) module.addGlobalExport(STACK_POINTER, MODULE_EXPORTS.stackPointer);
}

function checkParam(program: Program, module: binaryen.Module, name: string, type: keyof typeof PARAM_TYPES): void {
  const actual = exportedGlobalType(program, module, name);
  const allowed: readonly string[] = PARAM_TYPES[type].as;
  if (actual === undefined) throw new MacroError(`module_param(${name}): '${name}' must be an exported global ('export let ${name}')`);
  if (!allowed.includes(actual)) {
    throw new MacroError(`module_param(${name}, ${type}): '${name}' is ${actual}, a ${type} parameter needs ${allowed.join(" or ")}`);
  }
}
