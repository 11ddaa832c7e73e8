// setup_load_info(): read a module binary's sections into what the loader checks, before any state changes.

import {
  decodeModinfo, decodeNamedU32, MODULE_EXPORTS, SECTION_KSYMTAB, SECTION_KSYMTAB_GPL, SECTION_MODINFO,
  SECTION_PARAM, SECTION_VERSIONS, type ModinfoEntry, type NamedU32,
} from "../../abi/module.js";
import {
  capTables, customSections, encodeSections, memoryImport, readSections, tableTypes, WasmFormatError, type MemoryImport,
  type Section, type TableType,
} from "../../abi/wasm.js";
import { KernelError } from "../kernel/error.js";
import { MODULE_TABLE_ELEMENTS_MAX } from "./internal.js";

export interface LoadInfo {
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
}

const REQUIRED_EXPORTS = [MODULE_EXPORTS.heapAlloc, MODULE_EXPORTS.heapFree, MODULE_EXPORTS.newObject, MODULE_EXPORTS.pin, MODULE_EXPORTS.unpin];

function noexec(culprit: string, why: string): KernelError {
  return new KernelError("ENOEXEC", `${culprit}: invalid module format: ${why}`);
}

/** One record section, or [] when absent; ENOEXEC when present but malformed or repeated. */
function records(sections: readonly Section[], name: string, culprit: string): NamedU32[] | null {
  const found = customSections(sections, name);
  if (found.length === 0) return null;
  const decoded = found.length === 1 ? decodeNamedU32(found[0]!) : null;
  if (!decoded) throw noexec(culprit, `malformed ${name} section`);
  return decoded;
}

/**
 * Check a binary is a module and read its sections. ENOEXEC (culprit: the file) when it is not wasm,
 * does not compile, or lacks .modinfo, a name, the memory import or the runtime exports the kernel calls.
 * `force` drops __versions, as insmod -f (MODULE_INIT_IGNORE_MODVERSIONS) does.
 */
export function parseModule(bytes: Uint8Array, filename: string, force: boolean): LoadInfo {
  let sections: Section[];
  let tables: TableType[];
  try {
    sections = readSections(bytes);
    tables = tableTypes(sections);
  } catch (e) {
    if (e instanceof WasmFormatError) throw noexec(filename, e.message);
    throw e;
  }
  const modinfoSections = customSections(sections, SECTION_MODINFO);
  const modinfo = modinfoSections.length === 1 ? decodeModinfo(modinfoSections[0]!) : null;
  if (!modinfo) throw noexec(filename, modinfoSections.length ? "malformed .modinfo" : "no .modinfo section");
  const name = modinfo.find(([k]) => k === "name")?.[1];
  if (!name) throw noexec(filename, "module has no name");
  const versions = records(sections, SECTION_VERSIONS, name);
  const ksymtab = records(sections, SECTION_KSYMTAB, name) ?? [];
  const ksymtabGpl = records(sections, SECTION_KSYMTAB_GPL, name) ?? [];
  const params = records(sections, SECTION_PARAM, name) ?? [];
  const memory = memoryImport(sections);
  if (!memory) throw noexec(name, "no imported memory");
  let wasm: WebAssembly.Module;
  try {
    const capped = tables.length > 0 ? encodeSections(capTables(sections, MODULE_TABLE_ELEMENTS_MAX)) : bytes;
    wasm = new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw noexec(name, (e as Error).message);
  }
  const exported = new Set(WebAssembly.Module.exports(wasm).map((e) => e.name));
  const missing = [...REQUIRED_EXPORTS, ...[...ksymtab, ...ksymtabGpl].map((e) => e.name)].find((e) => !exported.has(e));
  if (missing) throw noexec(name, `no export ${missing}`);
  return {
    name,
    size: bytes.length,
    modinfo,
    versions: versions && !force ? new Map(versions.map((v) => [v.name, v.value])) : null,
    ksymtab,
    ksymtabGpl,
    params,
    memory,
    tables,
    wasm,
  };
}
