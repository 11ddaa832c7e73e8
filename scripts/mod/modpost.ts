// modpost's back half: resolve symbols across modules, then write .modinfo, __versions, __ksymtab(_gpl), __param.

import { createHash } from "node:crypto";
import { KERNEL_SYMBOLS } from "../../abi/kernel.js";
import {
  encodeModinfo, encodeNamedU32, SECTION_KSYMTAB, SECTION_KSYMTAB_GPL, SECTION_MODINFO, SECTION_PARAM,
  SECTION_VERSIONS, type ModinfoEntry,
} from "../../abi/module.js";
import { VERMAGIC } from "../../abi/version.js";
import { appendCustomSection, setModuleName } from "../../abi/wasm.js";
import type { ModuleMeta } from "./transform.js";

/** A compiled module on its way to being a .wasm kernel module. */
export interface ModuleObject {
  readonly name: string;
  /** asc's output, without modpost's sections. */
  readonly binary: Uint8Array;
  readonly meta: ModuleMeta;
  /** Built from modules/ of this tree (modinfo intree=Y); anything else taints O when loaded. */
  readonly intree: boolean;
  /** The source texts, for srcversion. */
  readonly sources: readonly string[];
}

/** Symbols exported by modules outside this run (Module.symvers): name → module. */
export type SymbolOwners = ReadonlyMap<string, string>;

export interface ModpostResult {
  readonly name: string;
  readonly binary: Uint8Array;
  /**
   * Why the module must not be installed, as Linux's modpost words it (a build stops on any). The binary
   * is still written, so that a test can load what Linux would never have built.
   */
  readonly errors: string[];
}

/** Modules whose exports the given module imports, in first-use order. */
function dependsOf(obj: ModuleObject, owners: SymbolOwners, errors: string[]): string[] {
  const depends: string[] = [];
  for (const imp of obj.meta.imports) {
    if (Object.hasOwn(KERNEL_SYMBOLS, imp.name)) continue;
    const owner = owners.get(imp.name);
    if (owner === undefined) errors.push(`ERROR: modpost: "${imp.name}" [${obj.name}.wasm] undefined!`);
    else if (owner !== obj.name && !depends.includes(owner)) depends.push(owner);
  }
  return depends;
}

function licenseErrors(obj: ModuleObject): string[] {
  if (obj.meta.decls.modinfo.some(([key]) => key === "license")) return [];
  return [`ERROR: modpost: missing MODULE_LICENSE() in ${obj.name}.wasm`];
}

function srcversion(sources: readonly string[]): string {
  const hash = createHash("sha256");
  for (const s of sources) hash.update(s);
  return hash.digest("hex").slice(0, 24).toUpperCase();
}

/** kunit_test_suites()'s MODULE_INFO(test, "Y"): a module with KUnit suites taints the kernel N when loaded. */
const KUNIT_REGISTER = "__kunit_test_suite";

function modinfo(obj: ModuleObject, depends: string[]): ModinfoEntry[] {
  return [
    ...obj.meta.decls.modinfo,
    ...(obj.meta.imports.some((i) => i.name === KUNIT_REGISTER) ? ([["test", "Y"]] as const) : []),
    ...(obj.intree ? ([["intree", "Y"]] as const) : []),
    ["name", obj.name],
    ["vermagic", VERMAGIC],
    ["depends", depends.join(",")],
    ["srcversion", srcversion(obj.sources)],
  ];
}

function withSections(obj: ModuleObject, depends: string[]): Uint8Array {
  const { meta } = obj;
  const ksymtab = (gpl: boolean) =>
    encodeNamedU32(meta.exports.filter((e) => e.gpl === gpl).map((e) => ({ name: e.name, value: e.crc })));
  const sections: [string, Uint8Array][] = [
    [SECTION_MODINFO, encodeModinfo(modinfo(obj, depends))],
    [SECTION_VERSIONS, encodeNamedU32(meta.imports.map((i) => ({ name: i.name, value: i.crc })))],
    [SECTION_KSYMTAB, ksymtab(false)],
    [SECTION_KSYMTAB_GPL, ksymtab(true)],
    [SECTION_PARAM, encodeNamedU32(meta.decls.params.map((p) => ({ name: p.name, value: p.perm })))],
  ];
  return sections.reduce((bin, [name, payload]) => appendCustomSection(bin, name, payload), setModuleName(obj.binary, obj.name));
}

/**
 * Link-time checks and section writing for a set of modules built together; `external` names the
 * owners of symbols exported by modules built earlier (for an out-of-tree build against this tree).
 */
export function modpost(objs: readonly ModuleObject[], external: SymbolOwners = new Map()): ModpostResult[] {
  const owners = new Map(external);
  for (const obj of objs) for (const e of obj.meta.exports) owners.set(e.name, obj.name);
  return objs.map((obj) => {
    const errors = licenseErrors(obj);
    const depends = dependsOf(obj, owners, errors);
    return { name: obj.name, binary: withSections(obj, depends), errors };
  });
}
