// depmod (kmod's tools/depmod.c): index a module directory. Dependencies come from symbols, as depmod
// finds them: a module depends on whichever module exports a symbol it imports (its __versions lists
// every symbol it binds), and on everything those depend on.

import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { KERNEL_SYMBOLS } from "../../abi/kernel.js";
import { badModuleName, canonicalName, type ModuleSections, type NamedU32 } from "../../abi/module.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { KernelError } from "../kernel/error.js";
import { moduleSections } from "./elf.js";

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

/** An index line's field: a value with a blank or a control character would break the line apart. */
function fitsIndex(value: string): boolean {
  return /^[^\s\x00-\x1f\x7f]+$/.test(value);
}

/**
 * Read one module file; null when it is not a module depmod can index: unreadable, malformed, or without
 * a name a module could have. Aliases and softdeps that would not fit on their index line are left out.
 */
export function indexModule(dir: string, file: string): ModuleIndexEntry | null {
  let sections: ModuleSections;
  try {
    sections = moduleSections(file);
  } catch (e) {
    if (e instanceof KernelError) return null;
    throw e;
  }
  const modinfo = sections.modinfo ?? [];
  const name = modinfo.find(([k]) => k === "name")?.[1];
  if (name === undefined || badModuleName(name)) return null;
  const all = (key: string) => modinfo.filter(([k, v]) => k === key && fitsIndex(v)).map(([, v]) => v);
  const names = (records: readonly NamedU32[]) => records.map((e) => e.name).filter(fitsIndex);
  return {
    path: relative(dir, file),
    name: canonicalName(name),
    needs: names(sections.versions ?? []).filter((s) => !Object.hasOwn(KERNEL_SYMBOLS, s)),
    exports: names([...sections.ksymtab, ...sections.ksymtabGpl]),
    aliases: all("alias"),
    softdeps: all("softdep"),
  };
}

function wasmFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const path = join(dir, f);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return wasmFiles(path);
    return f.endsWith(".wasm") ? [path] : [];
  });
}

export function scan(dir: string): ModuleIndexEntry[] {
  return wasmFiles(dir).flatMap((f) => indexModule(dir, f) ?? []);
}

/** Each module's direct dependencies, in the order its symbols name them; warnings for symbols nobody exports. */
function directDependencies(mods: readonly ModuleIndexEntry[], warn: (m: string) => void): Map<ModuleIndexEntry, ModuleIndexEntry[]> {
  const owner = new Map<string, ModuleIndexEntry>();
  for (const m of mods) for (const s of m.exports) if (!owner.has(s)) owner.set(s, m);
  return new Map(mods.map((m) => [m, [...new Set(m.needs.flatMap((s) => {
    const o = owner.get(s);
    if (!o) warn(`depmod: WARNING: ${m.path} needs unknown symbol ${s}`);
    return o && o !== m ? [o] : [];
  }))]] as const));
}

/** A module and the modules it depends on make a cycle: the cycle from `start`, as "a -> b -> a". */
function cycleFrom(start: ModuleIndexEntry, direct: ReadonlyMap<ModuleIndexEntry, readonly ModuleIndexEntry[]>, inCycle: ReadonlySet<ModuleIndexEntry>): string {
  const path: ModuleIndexEntry[] = [];
  let m = start;
  while (!path.includes(m)) {
    path.push(m);
    m = direct.get(m)!.find((d) => inCycle.has(d))!;
  }
  return [...path.slice(path.indexOf(m)), m].map((x) => x.name).join(" -> ");
}

/**
 * depmod_calculate_dependencies(): a topological order in which every module comes before the modules it
 * depends on (modules nobody uses first). EINVAL, after reporting them, when modules depend on each other.
 */
function sortIndex(mods: readonly ModuleIndexEntry[], direct: ReadonlyMap<ModuleIndexEntry, readonly ModuleIndexEntry[]>, warn: (m: string) => void): Map<ModuleIndexEntry, number> {
  const users = new Map(mods.map((m) => [m, 0]));
  for (const deps of direct.values()) for (const d of deps) users.set(d, users.get(d)! + 1);
  const roots = mods.filter((m) => users.get(m) === 0);
  const index = new Map<ModuleIndexEntry, number>();
  while (roots.length > 0) {
    const src = roots.pop()!;
    index.set(src, index.size);
    for (const d of direct.get(src)!) {
      users.set(d, users.get(d)! - 1);
      if (users.get(d) === 0) roots.push(d);
    }
  }
  if (index.size === mods.length) return index;
  const inCycle = new Set(mods.filter((m) => !index.has(m) && users.get(m)! > 0));
  warn(`depmod: ERROR: Found ${inCycle.size} modules in dependency cycles!`);
  const reported = new Set<string>();
  for (const m of inCycle) {
    const cycle = cycleFrom(m, direct, inCycle);
    const key = [...new Set(cycle.split(" -> "))].sort().join(" ");
    if (!reported.has(key)) warn(`depmod: ERROR: Cycle detected: ${cycle}`);
    reported.add(key);
  }
  throw new KernelError("EINVAL", "depmod: could not load modules: modules in dependency cycles");
}

/**
 * Each module's dependencies, transitively, as modules.dep lists them: the nearest first (kmod's
 * dep_sort_idx order), so loading them from the last to the first loads every module after what it needs.
 */
function dependencies(mods: readonly ModuleIndexEntry[], warn: (m: string) => void): Map<ModuleIndexEntry, ModuleIndexEntry[]> {
  const direct = directDependencies(mods, warn);
  const index = sortIndex(mods, direct, warn);
  const closure = (m: ModuleIndexEntry, seen = new Set<ModuleIndexEntry>()): Set<ModuleIndexEntry> => {
    for (const d of direct.get(m)!) if (!seen.has(d)) closure(d, seen.add(d));
    return seen;
  };
  return new Map(mods.map((m) => [m, [...closure(m)].sort((a, b) => index.get(a)! - index.get(b)!)]));
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

/** path_to_modname(): a module file's name, without its directory and .wasm, '-' as '_'. */
export function pathToModname(path: string): string {
  return basename(path, ".wasm").replace(/-/g, "_");
}

/** One module in modules.dep: its file and its dependencies' files (absolute), nearest first. */
export interface DepEntry {
  readonly path: string;
  readonly deps: readonly string[];
}

/** modules.dep read back, by module name (the first line of a name wins); null when the directory has none. */
export function readModulesDep(dir: string): Map<string, DepEntry> | null {
  let text: string;
  try {
    text = readFileSync(join(dir, "modules.dep"), "utf8");
  } catch {
    return null;
  }
  const abs = (p: string) => (p.startsWith("/") ? p : join(dir, p));
  const index = new Map<string, DepEntry>();
  for (const line of text.split("\n")) {
    const [path = "", rest = ""] = line.split(":");
    if (path === "" || path.startsWith("#") || index.has(pathToModname(path))) continue;
    index.set(pathToModname(path), { path: abs(path), deps: rest.split(/\s+/).filter((d) => d !== "").map(abs) });
  }
  return index;
}

/** A module's file by name, from the release directory's modules.dep; undefined if it is not listed. */
export function findModule(dir: string, name: string): string | undefined {
  return readModulesDep(dir)?.get(name)?.path;
}

/** depmod: scan a release directory and write its index files; returns the modules found. */
export function depmod(dir: string, warn: (m: string) => void = () => {}): ModuleIndexEntry[] {
  const mods = scan(dir);
  for (const [file, text] of Object.entries(depmodFiles(mods, warn))) writeFileSync(join(dir, file), text);
  return mods;
}
