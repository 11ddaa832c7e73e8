// setup_load_info(): read a module binary's sections into what the loader checks, before any state changes.

import {
  badModuleName, badParamName, badSymbolName, canonicalName, decodeModuleSections, MODULE_EXPORTS,
  type ModinfoEntry, type NamedU32,
} from "../../abi/module.js";
import {
  capTables, encodeSections, functionTypes, memoryImport, readSections, tableTypes, WasmFormatError, type FuncType, type MemoryImport, type Section, type TableType,
} from "../../abi/wasm.js";
import { KernelError } from "../kernel/error.js";
import { MODULE_TABLE_ELEMENTS_MAX } from "./internal.js";

export interface LoadInfo {
  /** The name .modinfo gives, '-' read as '_'. */
  readonly name: string;
  readonly size: number;
  readonly modinfo: readonly ModinfoEntry[];
  /** __versions as name → CRC; null when absent or dropped by a forced load. */
  readonly versions: ReadonlyMap<string, number> | null;
  readonly ksymtab: readonly NamedU32[];
  readonly ksymtabGpl: readonly NamedU32[];
  /** __param: name and sysfs permission of each module_param. */
  readonly params: readonly NamedU32[];
  readonly memory: MemoryImport;
  /** The tables it defines, as declared (the compiled module's cannot grow past MODULE_TABLE_ELEMENTS_MAX). */
  readonly tables: readonly TableType[];
  readonly wasm: WebAssembly.Module;
  /** The type of each function it imports, by "module.name". */
  readonly importTypes: ReadonlyMap<string, FuncType>;
}

const REQUIRED_EXPORTS = [MODULE_EXPORTS.heapAlloc, MODULE_EXPORTS.heapFree, MODULE_EXPORTS.newObject, MODULE_EXPORTS.pin, MODULE_EXPORTS.unpin];

/**
 * Check a binary is a module and read its sections. ENOEXEC, naming the file, when it is not wasm, a
 * section is malformed or repeated, it does not compile, or it lacks .modinfo, a valid name, the memory
 * import or the runtime exports the kernel calls; or when a parameter or exported symbol has a name
 * sysfs or /proc/kallsyms could not show. `force` drops __versions, as insmod -f
 * (MODULE_INIT_IGNORE_MODVERSIONS) does. `compile` makes the module of the checked binary's sections (its
 * tables capped), given the file's bytes (what the sections are a function of) and the module's name: the
 * loader's rewrites and its cache (host/module/main.ts).
 */
export function parseModule(
  bytes: Uint8Array,
  filename: string,
  force: boolean,
  compile: (bytes: Uint8Array, sections: readonly Section[], name: string) => WebAssembly.Module = (_, s) => new WebAssembly.Module(encodeSections(s) as Uint8Array<ArrayBuffer>),
): LoadInfo {
  const noexec = (why: string) => new KernelError("ENOEXEC", `${filename}: invalid module format: ${why}`);
  let sections: Section[];
  let file;
  let memory;
  let tables: TableType[];
  try {
    sections = readSections(bytes);
    file = decodeModuleSections(sections);
    memory = memoryImport(sections);
    tables = tableTypes(sections);
  } catch (e) {
    if (e instanceof WasmFormatError) throw noexec(e.message);
    throw e;
  }
  if (!file.modinfo) throw noexec("no .modinfo section");
  const given = file.modinfo.find(([k]) => k === "name")?.[1];
  if (given === undefined) throw noexec("module has no name");
  const exported = [...file.ksymtab, ...file.ksymtabGpl].map((e) => e.name);
  const why = badModuleName(given) ?? badParams(file.params, file.modinfo) ?? firstOf(exported, badSymbolName);
  if (why) throw noexec(why);
  if (!memory) throw noexec("no imported memory");
  const name = canonicalName(given);
  let wasm: WebAssembly.Module;
  let importTypes: ReadonlyMap<string, FuncType>;
  try {
    wasm = compile(bytes, tables.length > 0 ? capTables(sections, MODULE_TABLE_ELEMENTS_MAX) : sections, name);
    importTypes = functionTypes(sections).imports;
  } catch (e) {
    if (!(e instanceof WasmFormatError || e instanceof WebAssembly.CompileError)) throw e;
    throw noexec(e.message);
  }
  const exports = new Set(WebAssembly.Module.exports(wasm).map((e) => e.name));
  const missing = [...REQUIRED_EXPORTS, ...exported].find((e) => !exports.has(e));
  if (missing) throw noexec(`no export ${missing}`);
  return {
    name,
    size: bytes.length,
    modinfo: file.modinfo,
    versions: file.versions && !force ? new Map(file.versions.map((v) => [v.name, v.value])) : null,
    ksymtab: file.ksymtab,
    ksymtabGpl: file.ksymtabGpl,
    params: file.params,
    memory,
    tables,
    wasm,
    importTypes,
  };
}

/** Why a parameter in __param or a parmtype= line cannot be one (null when all can): a bad or repeated name. */
function badParams(params: readonly NamedU32[], modinfo: readonly ModinfoEntry[]): string | null {
  const names = params.map((p) => p.name);
  const typed = modinfo.filter(([k]) => k === "parmtype").map(([, v]) => (v.includes(":") ? v.slice(0, v.indexOf(":")) : v));
  const why = firstOf([...names, ...typed], badParamName);
  if (why) return why;
  const seen = new Set<string>();
  const twice = names.find((n) => seen.size === seen.add(canonicalName(n)).size);
  return twice === undefined ? null : `parameter ${twice} declared twice`;
}

function firstOf(names: readonly string[], why: (name: string) => string | null): string | null {
  for (const n of names) {
    const reason = why(n);
    if (reason) return reason;
  }
  return null;
}
