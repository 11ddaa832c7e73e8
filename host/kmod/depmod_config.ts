// depmod.d (kmod's tools/depmod.c, cfg_*): which copy of a module depmod indexes when the module directory
// holds several (`search`, `override`, `external`), and which directories it does not enter (`exclude`).
//
// Files are *.conf in the configuration directories (or a file named itself), read in the order of their
// names, a name in an earlier directory hiding the same name later. Lines: `search DIR... built-in
// external` (the first named wins; without any, `updates` alone comes first), `override MODULE VERSION
// DIR`, `external VERSION DIR` (VERSION an extended regex matched against the release, or `*`),
// `exclude DIR...`; `include` and `make_map_files` are not implemented (as in kmod).

import { readFileSync } from "node:fs";
import { readLogicalLines, strtok } from "./config.js";
import { confFiles } from "./conf_files.js";
import { LOG_ERR, LOG_INFO, type KmodLog } from "./log.js";

/** One `search` word: a directory under the release directory, `built-in` (kernel/...) or `external`. */
export type DepmodSearch = { readonly type: "path"; readonly path: string } | { readonly type: "built-in" } | { readonly type: "external" };

/** The parsed depmod.d; each list newest first, as kmod's cfg_*_add() prepend. */
export interface DepmodConfig {
  readonly searches: readonly DepmodSearch[];
  /** `override`: "DIR/MODULE", the module's path under the release directory without its extension. */
  readonly overrides: readonly string[];
  /** `external`: absolute directories searched after the release directory. */
  readonly externals: readonly string[];
  /** `exclude`: directory names never entered (besides ., .., build and source). */
  readonly excludes: readonly string[];
}

/** cfg_kernel_matches(): `*`, or an extended regex found anywhere in the release. */
function kernelMatches(pattern: string, kversion: string): boolean {
  if (pattern === "*") return true;
  try {
    return new RegExp(pattern).test(kversion);
  } catch {
    return false;
  }
}

interface MutableDepmodConfig {
  searches: DepmodSearch[];
  overrides: string[];
  externals: string[];
  excludes: string[];
}

function searchOf(word: string): DepmodSearch {
  if (word === "built-in" || word === "external") return { type: word };
  return { type: "path", path: word };
}

/** cfg_file_parse(): one file's lines. */
function parseDepmodFile(cfg: MutableDepmodConfig, text: string, filename: string, kversion: string, log: KmodLog): void {
  for (const { line, number } of readLogicalLines(text)) {
    if (line === "" || line.startsWith("#")) continue;
    const tok = strtok(line);
    const cmd = tok.next("\t ");
    if (cmd === undefined) continue;
    const bad = () => log(LOG_ERR, "cfg_file_parse", `${filename}:${number}: ignoring bad line starting with '${cmd}'`);
    const words = () => [...(function* () {
      for (let w = tok.next("\t "); w !== undefined; w = tok.next("\t ")) yield w;
    })()];
    if (cmd === "search") {
      for (const w of words()) cfg.searches.unshift(searchOf(w));
    } else if (cmd === "override") {
      const [modname, version, subdir] = [tok.next("\t "), tok.next("\t "), tok.next("\t ")];
      if (modname === undefined || version === undefined || subdir === undefined) bad();
      else if (!kernelMatches(version, kversion)) log(LOG_INFO, "cfg_file_parse", `${filename}:${number}: override kernel did not match ${version}`);
      else cfg.overrides.unshift(`${subdir}/${modname}`);
    } else if (cmd === "external") {
      const [version, dir] = [tok.next("\t "), tok.next("\t ")];
      if (version === undefined || dir === undefined) bad();
      else if (!kernelMatches(version, kversion)) log(LOG_INFO, "cfg_file_parse", `${filename}:${number}: external directory did not match ${version}`);
      else cfg.externals.unshift(dir);
    } else if (cmd === "exclude") {
      for (const w of words()) cfg.excludes.unshift(w);
    } else if (cmd === "include" || cmd === "make_map_files") {
      log(LOG_INFO, "cfg_file_parse", `${filename}:${number}: command ${cmd} not implemented yet`);
    } else bad();
  }
}

/** cfg_load(): every file of the configuration paths, by name; `search updates` when no file searches. */
export function loadDepmodConfig(paths: readonly string[], kversion: string, log: KmodLog): DepmodConfig {
  const cfg: MutableDepmodConfig = { searches: [], overrides: [], externals: [], excludes: [] };
  for (const file of confFiles(paths, [], "cfg_files_list", log)) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch (e) {
      log(LOG_ERR, "cfg_file_parse", `file parse ${file}: ${(e as Error).message}`);
      continue;
    }
    parseDepmodFile(cfg, text, file, kversion, log);
  }
  if (cfg.searches.length === 0) cfg.searches.unshift(searchOf("updates"));
  return cfg;
}

/** `path` starts with the directory `prefix` (depmod_is_path_starts_with). */
function underDir(path: string, prefix: string): boolean {
  return path.length > prefix.length && path[prefix.length] === "/" && path.startsWith(prefix);
}

/**
 * depmod_module_is_higher_priority(): true when the copy depmod has (`oldPath`) wins over `newPath`.
 * Paths are absolute and without their extension; `dirname` is the release directory. An override
 * wins outright; else the copy under the earlier `search` entry wins, a copy under none counting as
 * `built-in`; on a tie the copy found first stays. kmod's quirks are kept: a search entry both copies
 * fall under counts only for the new one, and each external directory takes a priority of its own.
 */
export function keepsPriority(cfg: DepmodConfig, dirname: string, oldPath: string, newPath: string): boolean {
  const rel = (p: string) => (p.startsWith(dirname) ? p.slice(dirname.length + 1) : null);
  const [relNew, relOld] = [rel(newPath), rel(oldPath)];
  for (const ov of cfg.overrides) {
    if (relNew === ov) return false;
    if (relOld === ov) return true;
  }
  let [bprio, oldprio, newprio] = [-1, -1, -1];
  let i = 0;
  for (const se of cfg.searches) {
    if (se.type === "built-in") bprio = i;
    else if (se.type === "external") {
      for (const ext of cfg.externals) {
        if (underDir(newPath, ext)) newprio = i;
        if (underDir(oldPath, ext)) oldprio = i;
        i++;
      }
    } else if (relNew !== null && underDir(relNew, se.path)) newprio = i;
    else if (relOld !== null && underDir(relOld, se.path)) oldprio = i;
    i++;
  }
  if (newprio < 0) newprio = bprio;
  if (oldprio < 0) oldprio = bprio;
  return newprio <= oldprio;
}
