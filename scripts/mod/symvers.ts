// Module.symvers: which module exports which symbol, read from built modules' __ksymtab sections, for the
// modules built against them (the tree's, and KBUILD_EXTRA_SYMBOLS's for an out-of-tree build).

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { decodeModinfo, decodeNamedU32, SECTION_KSYMTAB, SECTION_KSYMTAB_GPL, SECTION_MODINFO } from "../../abi/module.js";
import { customSections, readSections, WasmFormatError } from "../../abi/wasm.js";
import { ModpostError } from "./error.js";
import type { SymbolOwners } from "./modpost.js";

/** The module's name as .modinfo gives it, else the file's. */
function moduleNameOf(file: string, modinfo: Uint8Array | undefined): string {
  const name = modinfo && decodeModinfo(modinfo)?.find(([k]) => k === "name")?.[1];
  return name ?? basename(file, ".wasm");
}

function addExports(owners: Map<string, string>, file: string): void {
  let sections;
  try {
    sections = readSections(readFileSync(file));
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    throw new ModpostError(`ERROR: modpost: ${file}: not a module: ${e.message}`);
  }
  const name = moduleNameOf(file, customSections(sections, SECTION_MODINFO)[0]);
  for (const section of [SECTION_KSYMTAB, SECTION_KSYMTAB_GPL]) {
    for (const payload of customSections(sections, section)) {
      for (const e of decodeNamedU32(payload) ?? []) owners.set(e.name, name);
    }
  }
}

/** The exports of every NAME.wasm in a directory (none if it does not exist: nothing built yet). */
export function builtSymbolOwners(dir: string): SymbolOwners {
  const owners = new Map<string, string>();
  if (!existsSync(dir)) return owners;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".wasm")).sort()) addExports(owners, join(dir, file));
  return owners;
}

/** KBUILD_EXTRA_SYMBOLS: the exports of modules given as .wasm files or directories of them, each of which must exist. */
export function extraSymbolOwners(paths: readonly string[]): SymbolOwners {
  const owners = new Map<string, string>();
  for (const path of paths) {
    if (!existsSync(path)) throw new ModpostError(`ERROR: modpost: ${path}: No such file or directory`);
    if (statSync(path).isDirectory()) for (const [sym, mod] of builtSymbolOwners(path)) owners.set(sym, mod);
    else addExports(owners, path);
  }
  return owners;
}
