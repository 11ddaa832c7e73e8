// libkmod-elf.c's part, for a wasm module file: its .modinfo, __versions and exported symbols, as modinfo,
// modprobe --dump-modversions / --show-exports and depmod read them. A file the loader would refuse as
// malformed (a bad section, one repeated, a name that is not UTF-8) is refused here too, with ENOEXEC.

import { decodeModuleSections, type ModinfoEntry, type ModuleSections, type NamedU32 } from "../../abi/module.js";
import { readSections, WasmFormatError } from "../../abi/wasm.js";
import { KernelError } from "../kernel/error.js";
import { readModuleFile } from "./file.js";

/** A module file's sections. Errors as readModuleFile's, and ENOEXEC when it is not a well-formed module binary. */
export function moduleSections(path: string): ModuleSections {
  const bytes = readModuleFile(path);
  try {
    return decodeModuleSections(readSections(bytes));
  } catch (e) {
    if (e instanceof WasmFormatError) throw new KernelError("ENOEXEC", `${path}: ${e.message}`);
    throw e;
  }
}

/** kmod_module_get_info(): the .modinfo entries; ENOEXEC when the file has none. */
export function moduleInfo(path: string): ModinfoEntry[] {
  const { modinfo } = moduleSections(path);
  if (!modinfo) throw new KernelError("ENOEXEC", `${path}: no .modinfo section`);
  return modinfo;
}

/** kmod_module_get_versions(): CRC and name of every symbol it was built against ([] when it has no __versions). */
export function moduleVersions(path: string): NamedU32[] {
  return moduleSections(path).versions ?? [];
}

/** kmod_module_get_symbols(): what it exports, GPL-only symbols after the others. */
export function moduleSymbols(path: string): NamedU32[] {
  const { ksymtab, ksymtabGpl } = moduleSections(path);
  return [...ksymtab, ...ksymtabGpl];
}
