// The asc transform that is modpost's front half: reads a module's macros, checks what it compiled to and
// computes its symbol CRCs.

import type binaryen from "binaryen";
import type { Parser, Program } from "assemblyscript";
import { MODULE_EXPORTS } from "../../abi/module.js";
import { PARAM_TYPES } from "../../abi/moduleparam.js";
import { crossingErrors, entryPointErrors, foreignImportErrors, foreignImports } from "./checks.js";
import { ModpostError } from "./error.js";
import { exportedGlobalType, exportedSymbols, importedSymbols, type SymbolCrc } from "./genksyms.js";
import { expandKunitMacros } from "./kunit.js";
import { collectMacros, type ModuleDecls, type ParamDecl } from "./macros.js";

/** Everything modpost needs to know about one compiled module. */
export interface ModuleMeta {
  readonly decls: ModuleDecls;
  readonly imports: SymbolCrc[];
  readonly exports: (SymbolCrc & { gpl: boolean })[];
}

/**
 * Thrown by a transform compiled without source locations that found imports the kernel lacks: the build
 * compiles the module again with them (asc --sourceMap) to name the lines that use them.
 */
export class NeedsLocations extends ModpostError {}

/**
 * Passed to asc as an instance, which asc uses as it is (only transform classes get program and binaryen
 * injected), so it keeps the program from afterInitialize and calls binaryen's own API.
 */
export class ModpostTransform {
  private decls?: ModuleDecls;
  private program?: Program;
  meta?: ModuleMeta;

  /** located: asc runs with --sourceMap, so the emitted text carries source locations. */
  constructor(private readonly located = false) {}

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
    const foreign = foreignImports(module);
    if (foreign.size > 0 && !this.located) throw new NeedsLocations();
    const errors = [
      ...decls.params.flatMap((p) => paramErrors(program, module, p)),
      ...entryPointErrors(program, module),
      ...crossingErrors(program, module, decls.exports),
      ...(foreign.size > 0 ? foreignImportErrors(module, foreign) : []),
    ];
    if (errors.length > 0) throw new ModpostError(errors.join("\n"));
    exportStackPointer(module);
    const crcs = exportedSymbols(program, module, decls.exports);
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

function paramErrors(program: Program, module: binaryen.Module, { name, type, where }: ParamDecl): string[] {
  const actual = exportedGlobalType(program, module, name);
  const allowed: readonly string[] = PARAM_TYPES[type].as;
  if (actual === undefined) return [`${where}: error: module_param(${name}): '${name}' must be an exported global ('export let ${name}')`];
  if (allowed.includes(actual)) return [];
  return [`${where}: error: module_param(${name}, ${type}): '${name}' is ${actual}, a ${type} parameter needs ${allowed.join(" or ")}`];
}
