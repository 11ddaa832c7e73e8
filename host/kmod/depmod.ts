// depmod (kmod's tools/depmod.c): index a module directory. Dependencies come from symbols, as depmod
// finds them: a module depends on whichever module exports a symbol it imports (its __versions lists
// every symbol it binds), and on everything those depend on.

import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { KERNEL_SYMBOLS } from "../../abi/kernel.js";
import { decodeModinfo, decodeNamedU32, SECTION_KSYMTAB, SECTION_KSYMTAB_GPL, SECTION_MODINFO, SECTION_VERSIONS } from "../../abi/module.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { customSections, readSections } from "../../abi/wasm.js";

/** What depmod needs from one module file. */
export interface ModuleIndexEntry {
  /** Relative to the release directory, as modules.dep writes it. */
  readonly path: string;
  readonly name: string;
  /** Module symbols it binds (base-kernel symbols left out). */
  readonly needs: readonly string[];
  readonly exports: readonly string[];
  readonly aliases: readonly string[];
  readonly softdeps: readonly string[];
}

/** lib/modules/<release> under a base directory (depmod -b). */
export function releaseDir(base: string, release: string = UTS_RELEASE): string {
  return join(base, "lib", "modules", release);
}

function names(sections: ReturnType<typeof readSections>, section: string): string[] {
  return customSections(sections, section).flatMap((p) => (decodeNamedU32(p) ?? []).map((e) => e.name));
}

/** Read one module file; null when it is not a module (no .modinfo with a name). */
export function indexModule(dir: string, file: string): ModuleIndexEntry | null {
  let sections;
  try {
    sections = readSections(readFileSync(file));
  } catch {
    return null;
  }
  const modinfo = customSections(sections, SECTION_MODINFO).flatMap((p) => decodeModinfo(p) ?? []);
  const name = modinfo.find(([k]) => k === "name")?.[1];
  if (!name) return null;
  const all = (key: string) => modinfo.filter(([k]) => k === key).map(([, v]) => v);
  return {
    path: relative(dir, file),
    name,
    needs: names(sections, SECTION_VERSIONS).filter((s) => !Object.hasOwn(KERNEL_SYMBOLS, s)),
    exports: [...names(sections, SECTION_KSYMTAB), ...names(sections, SECTION_KSYMTAB_GPL)],
    aliases: all("alias"),
    softdeps: all("softdep"),
  };
}

function wasmFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path).isDirectory()) return wasmFiles(path);
    return f.endsWith(".wasm") ? [path] : [];
  });
}

export function scan(dir: string): ModuleIndexEntry[] {
  return wasmFiles(dir).flatMap((f) => indexModule(dir, f) ?? []);
}

/** Each module's dependencies, transitively, by path; warnings for symbols nobody exports. */
function dependencies(mods: readonly ModuleIndexEntry[], warn: (m: string) => void): Map<ModuleIndexEntry, ModuleIndexEntry[]> {
  const owner = new Map<string, ModuleIndexEntry>();
  for (const m of mods) for (const s of m.exports) if (!owner.has(s)) owner.set(s, m);
  const direct = new Map(mods.map((m) => [m, [...new Set(m.needs.flatMap((s) => {
    const o = owner.get(s);
    if (!o) warn(`depmod: WARNING: ${m.path} needs unknown symbol ${s}`);
    return o && o !== m ? [o] : [];
  }))]] as const));
  const closure = (m: ModuleIndexEntry, seen = new Set<ModuleIndexEntry>()): Set<ModuleIndexEntry> => {
    for (const d of direct.get(m) ?? []) if (!seen.has(d)) closure(d, seen.add(d));
    return seen;
  };
  return new Map(mods.map((m) => [m, [...closure(m)].filter((d) => d !== m).sort((a, b) => (a.path < b.path ? -1 : 1))]));
}

/** The four index files in kmod's formats. */
export function depmodFiles(mods: readonly ModuleIndexEntry[], warn: (m: string) => void = () => {}): Record<string, string> {
  const deps = dependencies(mods, warn);
  const dep = mods.map((m) => `${m.path}:${deps.get(m)!.map((d) => ` ${d.path}`).join("")}\n`).join("");
  const alias = `# Aliases extracted from modules themselves.\n${mods.flatMap((m) => m.aliases.map((a) => `alias ${a} ${m.name}\n`)).join("")}`;
  const symbols = `# Aliases for symbols, used by symbol_request().\n${mods.flatMap((m) => m.exports.map((s) => `alias symbol:${s} ${m.name}\n`)).join("")}`;
  const softdep = `# Soft dependencies extracted from modules themselves.\n${mods.flatMap((m) => m.softdeps.map((s) => `softdep ${m.name} ${s}\n`)).join("")}`;
  return { "modules.dep": dep, "modules.alias": alias, "modules.symbols": symbols, "modules.softdep": softdep };
}

/** A module's file by name, from the release directory's modules.dep; undefined if it is not listed. */
export function findModule(dir: string, name: string): string | undefined {
  let dep: string;
  try {
    dep = readFileSync(join(dir, "modules.dep"), "utf8");
  } catch {
    return undefined;
  }
  const path = dep.split("\n").map((l) => l.split(":")[0]!).find((p) => p !== "" && basename(p, ".wasm").replace(/-/g, "_") === name);
  return path === undefined ? undefined : join(dir, path);
}

/** depmod: scan a release directory and write its index files; returns the modules found. */
export function depmod(dir: string, warn: (m: string) => void = () => {}): ModuleIndexEntry[] {
  const mods = scan(dir);
  for (const [file, text] of Object.entries(depmodFiles(mods, warn))) writeFileSync(join(dir, file), text);
  return mods;
}
