// modprobe.d (libkmod-config.c): the configuration modprobe reads, in kmod's syntax and precedence.
//
// Each search path is a directory of *.conf files (or a single file); a file name found in an earlier
// path hides the same name in later ones, and all files are read in the order of their names. The module
// directory's modules.softdep is read last, as kmod reads it. Commands: alias, blacklist, options,
// install, remove, softdep; `include` and `config` are deprecated; anything else is a bad line.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export interface Softdep {
  readonly name: string;
  readonly pre: readonly string[];
  readonly post: readonly string[];
}

/** The parsed configuration, each list in file order. */
export interface KmodConfig {
  readonly aliases: readonly { readonly pattern: string; readonly modname: string }[];
  readonly blacklist: readonly string[];
  readonly options: readonly { readonly modname: string; readonly options: string }[];
  readonly install: readonly { readonly modname: string; readonly command: string }[];
  readonly remove: readonly { readonly modname: string; readonly command: string }[];
  readonly softdeps: readonly Softdep[];
}

/** modname_normalize(): '-' and '_' are the same in module names. */
export function underscores(name: string): string {
  return name.replace(/-/g, "_");
}

/**
 * alias_normalize(): '-' becomes '_' except inside a [...] set; null for an unbalanced ']' or '['
 * (kmod calls such an alias invalid).
 */
export function aliasNormalize(alias: string): string | null {
  let out = "";
  for (let i = 0; i < alias.length; i++) {
    const c = alias[i]!;
    if (c === "]") return null;
    if (c === "[") {
      const close = alias.indexOf("]", i);
      if (close < 0) return null;
      out += alias.slice(i, close + 1);
      i = close;
    } else out += c === "-" ? "_" : c;
  }
  return out;
}

/** "pre: a b post: c": the names after each keyword. */
function parseSoftdep(name: string, text: string): Softdep {
  const pre: string[] = [];
  const post: string[] = [];
  let into: string[] | null = null;
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (word === "pre:") into = pre;
    else if (word === "post:") into = post;
    else into?.push(word);
  }
  return { name, pre, post };
}

/** getline_wrapped(): a line ending in '\' continues on the next; the number is the last line's. */
function logicalLines(text: string): { readonly line: string; readonly number: number }[] {
  const out: { line: string; number: number }[] = [];
  let pending = "";
  text.split("\n").forEach((raw, i) => {
    if (raw.endsWith("\\")) {
      pending += raw.slice(0, -1);
      return;
    }
    out.push({ line: pending + raw, number: i + 1 });
    pending = "";
  });
  if (pending !== "") out.push({ line: pending, number: text.split("\n").length });
  return out;
}

/** strtok_r over " \t": the command, its first word, and the rest of the line after them (or undefined). */
function head(line: string): [string | undefined, string | undefined, string | undefined] {
  const m = /^[\t ]*([^\t ]+)(?:[\t ]+([^\t ]+))?(?:[\t ]+(.*))?$/.exec(line);
  return m ? [m[1], m[2], m[3] || undefined] : [undefined, undefined, undefined];
}

interface MutableConfig {
  aliases: { pattern: string; modname: string }[];
  blacklist: string[];
  options: { modname: string; options: string }[];
  install: { modname: string; command: string }[];
  remove: { modname: string; command: string }[];
  softdeps: Softdep[];
}

/** kmod_config_parse(): one file's lines into the configuration; complaints go to `err`. */
export function parseConfig(config: MutableConfig, text: string, filename: string, err: (m: string) => void): void {
  for (const { line, number } of logicalLines(text)) {
    if (line === "" || line.startsWith("#")) continue;
    const [cmd, first, rest] = head(line);
    if (cmd === undefined) continue;
    const second = rest?.split(/[\t ]+/)[0] || undefined;
    const bad = () => err(`${filename} line ${number}: ignoring bad line starting with '${cmd}'`);
    switch (cmd) {
      case "alias":
        if (first === undefined || second === undefined) bad();
        else config.aliases.push({ pattern: aliasNormalize(first) ?? first, modname: underscores(second) });
        break;
      case "blacklist":
        if (first === undefined) bad();
        else config.blacklist.push(underscores(first));
        break;
      case "options":
      case "install":
      case "remove":
      case "softdep":
        if (first === undefined || !rest) bad();
        else if (cmd === "options") config.options.push({ modname: underscores(first), options: rest.replace(/\t/g, " ") });
        else if (cmd === "softdep") config.softdeps.push(parseSoftdep(underscores(first), rest));
        else config[cmd].push({ modname: underscores(first), command: rest });
        break;
      case "include":
      case "config":
        err(`${filename}: command ${cmd} is deprecated and not parsed anymore`);
        break;
      default:
        bad();
    }
  }
}

/** conf_files_list() over every path: the files to read, by name, an earlier path's file hiding a later's. */
function configFiles(paths: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const path of paths) {
    if (!existsSync(path)) continue;
    if (statSync(path).isFile()) {
      if (!byName.has(basename(path))) byName.set(basename(path), path);
      continue;
    }
    for (const f of readdirSync(path)) {
      if (f.startsWith(".") || !(f.endsWith(".conf") || f.endsWith(".alias")) || byName.has(f)) continue;
      if (statSync(join(path, f)).isDirectory()) continue;
      byName.set(f, join(path, f));
    }
  }
  return [...byName.keys()].sort().map((name) => byName.get(name)!);
}

/** kmod_config_new(): read the configuration from `paths`, then the module directory's modules.softdep. */
export function loadConfig(paths: readonly string[], moduleDir: string, err: (m: string) => void): KmodConfig {
  const config: MutableConfig = { aliases: [], blacklist: [], options: [], install: [], remove: [], softdeps: [] };
  const softdepFile = join(moduleDir, "modules.softdep");
  for (const file of [...configFiles(paths), ...(existsSync(softdepFile) ? [softdepFile] : [])]) {
    parseConfig(config, readFileSync(file, "utf8"), file, err);
  }
  return config;
}

/** modprobe -c: the configuration as kmod prints it, each kind in turn. */
export function showConfig(config: KmodConfig): string {
  const lines = [
    ...config.blacklist.map((m) => `blacklist ${m}`),
    ...config.install.map((c) => `install ${c.modname} ${c.command}`),
    ...config.remove.map((c) => `remove ${c.modname} ${c.command}`),
    ...config.aliases.map((a) => `alias ${a.pattern} ${a.modname}`),
    ...config.options.map((o) => `options ${o.modname} ${o.options}`),
    ...config.softdeps.map((s) => `softdep ${s.name} pre: ${s.pre.join(" ")} post: ${s.post.join(" ")}`),
  ];
  return lines.map((l) => `${l}\n`).join("");
}
