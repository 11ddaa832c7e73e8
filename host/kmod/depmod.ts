// depmod (kmod's tools/depmod.c): index a module directory. Dependencies come from symbols, as depmod
// finds them: a module depends on whichever module exports a symbol it imports (its __versions lists
// every symbol it binds), and on everything those depend on.
//
// kmod's order is kept where it shows: the modules in modules.order's order, the others in the order of
// kmod's hash table of names; modules.symbols in the order of its table of symbols; dependencies in
// topological order; cycles reported as depmod_report_cycles() walks them.

import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { ERRNO, type ErrnoName } from "../../abi/errno.js";
import { KERNEL_SYMBOLS } from "../../abi/kernel.js";
import { badModuleName, type ModuleSections, type NamedU32 } from "../../abi/module.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { KernelError } from "../kernel/error.js";
import { keepsPriority, type DepmodConfig } from "./depmod_config.js";
import { moduleSections } from "./elf.js";
import { hashOrder } from "./hash.js";
import { LOG_ERR, LOG_WARNING, noLog, type KmodLog } from "./log.js";

/** What depmod needs from one module file. */
export interface ModuleIndexEntry {
  /** Relative to the release directory, as modules.dep writes it; absolute for a module outside it (external). */
  readonly path: string;
  readonly name: string;
  /** Module symbols it binds, in __versions order (base-kernel symbols left out: depmod knows them, as from System.map). */
  readonly needs: readonly string[];
  readonly exports: readonly string[];
  readonly aliases: readonly string[];
  readonly softdeps: readonly string[];
  readonly weakdeps: readonly string[];
}

/** A module file's extension, as .ko is kmod's. */
export const MODULE_EXT = ".wasm";

/** lib/modules/<release> under a base directory (depmod -b). */
export function releaseDir(base: string, release: string = UTS_RELEASE): string {
  return join(base, "lib", "modules", release);
}

/** path_to_modname(): a module file's base name up to its first '.', '-' as '_'. */
export function pathToModname(path: string): string {
  return basename(path).split(".")[0]!.replace(/-/g, "_");
}

/** An index line's field: a value with a blank or a control character would break the line apart. */
function fitsIndex(value: string): boolean {
  return /^[^\s\x00-\x1f\x7f]+$/.test(value);
}

/**
 * Read one module file; null when it is not a module depmod can index: unreadable, malformed, or named
 * (by its file, or by its .modinfo) as no module could be. Values that would not fit on their index line
 * are left out.
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
  const declared = modinfo.find(([k]) => k === "name")?.[1];
  const name = pathToModname(file);
  if (declared === undefined || badModuleName(declared) || badModuleName(name) || !fitsIndex(name)) return null;
  const all = (key: string) => modinfo.filter(([k, v]) => k === key && fitsIndex(v)).map(([, v]) => v);
  const names = (records: readonly NamedU32[]) => records.map((e) => e.name).filter(fitsIndex);
  return {
    path: file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : file,
    name,
    needs: names(sections.versions ?? []).filter((s) => !Object.hasOwn(KERNEL_SYMBOLS, s)),
    exports: names([...sections.ksymtab, ...sections.ksymtabGpl]),
    aliases: all("alias"),
    softdeps: all("softdep"),
    weakdeps: all("weakdep"),
  };
}

/** should_exclude_dir(): ., .., build, source, and what depmod.d excludes. */
function excluded(name: string, cfg: DepmodConfig): boolean {
  return name === "." || name === ".." || name === "build" || name === "source" || cfg.excludes.includes(name);
}

/** The module files under dir, by name within each directory; EACCES and such as the host gave them. */
function moduleFiles(dir: string, cfg: DepmodConfig, log: KmodLog): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    if (excluded(f, cfg)) return [];
    const path = join(dir, f);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) {
      try {
        return moduleFiles(path, cfg, log);
      } catch (e) {
        log(LOG_ERR, "depmod_modules_search_dir", `openat(${dir}, ${f}, O_RDONLY): ${(e as Error).message}`);
        return [];
      }
    }
    return f.endsWith(MODULE_EXT) ? [path] : [];
  });
}

/** A module file's path without its extension (from the first '.' of its name), as priorities compare them. */
function stem(path: string): string {
  const base = basename(path);
  return path.slice(0, path.length - base.length) + base.split(".")[0];
}

/**
 * depmod_modules_search(): the release directory's modules, then the external directories', one per
 * name: when two files have a name, depmod.d's priorities choose (depmod_config.ts). Throws KernelError
 * (ENOENT, EACCES...) when the release directory cannot be read, after saying so; a missing external
 * directory is skipped.
 */
export function searchModules(dir: string, cfg: DepmodConfig, log: KmodLog = noLog): ModuleIndexEntry[] {
  const found = new Map<string, { file: string; entry: ModuleIndexEntry }>();
  const consider = (file: string) => {
    const entry = indexModule(dir, file);
    if (entry === null) return;
    const old = found.get(entry.name);
    if (old && keepsPriority(cfg, dir, stem(old.file), stem(file))) return;
    found.delete(entry.name);
    found.set(entry.name, { file, entry });
  };
  let files: string[];
  try {
    files = moduleFiles(dir, cfg, log);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined || !Object.hasOwn(ERRNO, code)) throw e;
    const err = new KernelError(code as ErrnoName, `could not open directory ${dir}`);
    log(LOG_ERR, "depmod_modules_search_path", `could not open directory ${dir}: ${err.strerror}`);
    throw err;
  }
  files.forEach(consider);
  for (const ext of cfg.externals) {
    if (statSync(ext, { throwIfNoEntry: false })?.isDirectory()) moduleFiles(ext, cfg, log).forEach(consider);
  }
  return [...found.values()].map((f) => f.entry);
}

/**
 * depmod_modules_build_array() and depmod_modules_sort(): the modules in the order of kmod's table of
 * names (512 buckets), then those modules.order lists first, in its order. A line without its newline
 * is corrupt, and then the table's order stands.
 */
export function moduleOrder(mods: readonly ModuleIndexEntry[], dir: string, log: KmodLog = noLog): ModuleIndexEntry[] {
  const array = hashOrder(mods, (m) => m.name, 512);
  let text: string;
  try {
    text = readFileSync(join(dir, "modules.order"), "utf8");
  } catch {
    return array;
  }
  const byPath = new Map(array.filter((m) => !isAbsolute(m.path)).map((m) => [m.path, m]));
  const sortIdx = new Map<ModuleIndexEntry, number>();
  const lines = text.split(/(?<=\n)/).filter((l) => l !== "");
  for (const [i, line] of lines.entries()) {
    if (!line.endsWith("\n")) {
      log(LOG_ERR, "depmod_modules_sort", `${dir}/modules.order:${i + 1} corrupted line misses '\\n'`);
      return array;
    }
    const mod = byPath.get(line.slice(0, -1));
    if (mod && !sortIdx.has(mod)) sortIdx.set(mod, sortIdx.size - array.length);
  }
  return array.map((m, i) => ({ m, i })).sort((a, b) => (sortIdx.get(a.m) ?? 1) - (sortIdx.get(b.m) ?? 1) || a.i - b.i).map((x) => x.m);
}

/** What the index is computed with. */
export interface DepmodOptions {
  /** -e: warn about each symbol no module exports (the kernel's own symbols are known, as -F would give them). */
  readonly printUnknown?: boolean;
  /** -v: each dependency as it is found, "PATH needs "SYMBOL": PATH". */
  readonly show?: (line: string) => void;
  /** depmod's own lines (errors, warnings). */
  readonly log?: KmodLog;
}

/** One module while dependencies are worked out (depmod.c's struct mod). */
interface Mod {
  readonly entry: ModuleIndexEntry;
  readonly file: string;
  /** Direct dependencies, in the order their symbols came; sorted by depSortIdx once there is an order. */
  deps: Mod[];
  users: number;
  depSortIdx: number;
  visited: boolean;
}

/** depmod_load_dependencies(): each module's direct dependencies; a symbol two modules export belongs to the later one. */
function loadDependencies(mods: readonly Mod[], opts: DepmodOptions): void {
  const owner = new Map<string, Mod>();
  for (const m of mods) for (const s of m.entry.exports) owner.set(s, m);
  for (const m of mods) {
    for (const s of m.entry.needs) {
      const o = owner.get(s);
      if (!o) {
        if (opts.printUnknown) opts.log?.(LOG_WARNING, "depmod_load_module_dependencies", `${m.file} needs unknown symbol ${s}`);
        continue;
      }
      if (m.deps.includes(o)) continue;
      m.deps.push(o);
      o.users++;
      opts.show?.(`${m.file} needs "${s}": ${o.file}\n`);
    }
  }
}

/** A circular list as kmod_list keeps one: removing an element makes the one after it the head. */
function removeData<T>(list: T[], item: T): T[] {
  const at = list.indexOf(item);
  if (at < 0) return list;
  const rest = [...list.slice(0, at), ...list.slice(at + 1)];
  return rest.length === 0 ? [] : [...rest.slice(at % rest.length), ...rest.slice(0, at % rest.length)];
}

interface Vertex {
  readonly mod: Mod;
  readonly parent: Vertex | null;
}

/**
 * depmod_report_cycles(): from each module still used by another, in turn, a depth-first walk; each time
 * it comes back to where it started, the path is a cycle. Then the count of modules in any cycle.
 */
function reportCycles(mods: readonly Mod[], users: ReadonlyMap<Mod, number>, log: KmodLog): void {
  let roots = mods.filter((m) => users.get(m)! > 0);
  const inCycles = new Set<Mod>();
  while (roots.length > 0) {
    const root = roots[0]!;
    roots = roots.slice(1);
    const stack: Vertex[] = [{ mod: root, parent: null }];
    while (stack.length > 0) {
      const vertex = stack.pop()!;
      const m = vertex.mod;
      if (m.visited && m === root) {
        const chain: Mod[] = [];
        for (let v = vertex.parent; v !== null; v = v.parent) chain.unshift(v.mod);
        for (const c of chain) {
          inCycles.add(c);
          roots = removeData(roots, c);
        }
        log(LOG_ERR, "depmod_report_one_cycle", `Cycle detected: ${[...chain, m].map((c) => c.entry.name).join(" -> ")}`);
        continue;
      }
      m.visited = true;
      if (m.deps.length === 0) {
        roots = removeData(roots, m);
        continue;
      }
      for (const d of m.deps) stack.push({ mod: d, parent: vertex });
    }
  }
  log(LOG_ERR, "depmod_report_cycles", `Found ${inCycles.size} modules in dependency cycles!`);
}

/**
 * depmod_calculate_dependencies(): a topological order in which every module comes before the modules it
 * depends on (modules nobody uses first); EINVAL, once the cycles are reported, when there is none.
 */
function calculateDependencies(mods: readonly Mod[], log: KmodLog): void {
  const users = new Map(mods.map((m) => [m, m.users]));
  const roots = mods.filter((m) => m.users === 0);
  let sorted = 0;
  while (roots.length > 0) {
    const src = roots.pop()!;
    src.depSortIdx = sorted++;
    for (const dst of src.deps) {
      users.set(dst, users.get(dst)! - 1);
      if (users.get(dst) === 0) roots.push(dst);
    }
  }
  if (sorted < mods.length) {
    reportCycles(mods, users, log);
    throw new KernelError("EINVAL", "depmod: modules in dependency cycles");
  }
  for (const m of mods) m.deps.sort((a, b) => a.depSortIdx - b.depSortIdx);
}

/** mod_get_all_sorted_dependencies(): every module it needs, directly or not, in topological order. */
function allDependencies(mod: Mod): Mod[] {
  const seen = new Set<Mod>();
  const fill = (m: Mod): void => {
    for (const d of m.deps) {
      if (seen.has(d)) continue;
      seen.add(d);
      fill(d);
    }
  };
  fill(mod);
  return [...seen].sort((a, b) => a.depSortIdx - b.depSortIdx);
}

/** output_devname(): "MODULE DEVNAME cMAJ:MIN" for a module with a devname: alias and a char- or block-major alias. */
function devnameLine(m: ModuleIndexEntry, log: KmodLog): string {
  let devname: string | undefined;
  let dev: string | undefined;
  for (const a of m.aliases) {
    const major = /^(char|block)-major-(\d+)-(\d+)/.exec(a);
    if (a.startsWith("devname:")) devname = a.slice("devname:".length);
    else if (major) dev = `${major[1] === "char" ? "c" : "b"}${Number(major[2])}:${Number(major[3])}`;
    if (dev !== undefined && devname !== undefined) break;
  }
  if (devname === undefined) return "";
  if (dev !== undefined) return `${m.name} ${devname} ${dev}\n`;
  log(LOG_ERR, "output_devname", `Module '${m.name}' has devname (${devname}) but lacks major and minor information. Ignoring.`);
  return "";
}

/**
 * The index files in kmod's formats and order (the .bin ones, which only kmod's own index reader needs,
 * left out), from modules in depmod's order. `dir` makes the paths messages name absolute.
 */
export function depmodFiles(mods: readonly ModuleIndexEntry[], dir: string, opts: DepmodOptions = {}): Record<string, string> {
  const log = opts.log ?? noLog;
  const all: Mod[] = mods.map((entry) => ({
    entry, file: isAbsolute(entry.path) ? entry.path : join(dir, entry.path), deps: [], users: 0, depSortIdx: Number.MAX_SAFE_INTEGER, visited: false,
  }));
  loadDependencies(all, opts);
  calculateDependencies(all, log);
  const lines = (header: string, f: (m: ModuleIndexEntry) => string[]) => header + mods.flatMap(f).join("");
  const owners = new Map<string, string>();
  for (const m of mods) for (const s of m.exports) owners.set(s, m.name);
  const devnames = mods.map((m) => devnameLine(m, log)).join("");
  return {
    "modules.dep": all.map((m) => `${m.entry.path}:${allDependencies(m).map((d) => ` ${d.entry.path}`).join("")}\n`).join(""),
    "modules.alias": lines("# Aliases extracted from modules themselves.\n", (m) => m.aliases.map((a) => `alias ${a} ${m.name}\n`)),
    "modules.softdep": lines("# Soft dependencies extracted from modules themselves.\n", (m) => m.softdeps.map((s) => `softdep ${m.name} ${s}\n`)),
    "modules.weakdep": lines("# Weak dependencies extracted from modules themselves.\n", (m) => m.weakdeps.map((s) => `weakdep ${m.name} ${s}\n`)),
    "modules.symbols": `# Aliases for symbols, used by symbol_request().\n${hashOrder([...owners], ([s]) => s, 2048).map(([s, o]) => `alias symbol:${s} ${o}\n`).join("")}`,
    "modules.devname": devnames === "" ? "" : `# Device nodes to trigger on-demand module loading.\n${devnames}`,
  };
}

/**
 * depmod -a: search the release directory `dir` (with depmod.d's `cfg`), order what it holds, and compute
 * the index files. Throws KernelError: ENOENT (and such) when `dir` cannot be read, EINVAL when modules
 * depend on each other (reported on the log first).
 */
export function depmodIndex(dir: string, cfg: DepmodConfig, opts: DepmodOptions = {}): Record<string, string> {
  return depmodFiles(moduleOrder(searchModules(dir, cfg, opts.log), dir, opts.log), dir, opts);
}

/** What depmod.d says when there is none: `search updates`. */
export const DEFAULT_DEPMOD_CONFIG: DepmodConfig = { searches: [{ type: "path", path: "updates" }], overrides: [], externals: [], excludes: [] };

/** depmod: write the index files of the release directory `dir` into `outdir` (by default `dir` itself). */
export function depmod(dir: string, cfg: DepmodConfig = DEFAULT_DEPMOD_CONFIG, opts: DepmodOptions = {}, outdir = dir): void {
  for (const [file, text] of Object.entries(depmodIndex(dir, cfg, opts))) writeFileSync(join(outdir, file), text);
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
