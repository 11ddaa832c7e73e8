// modprobe.d (libkmod-config.c): the configuration modprobe reads, in kmod's syntax and precedence.
//
// The files are conf_files_list()'s (host/kmod/conf_files.ts), with the module directory's
// modules.softdep and modules.weakdep among them by name, then the kernel command line's MODULE.PARAM=V
// and modprobe.blacklist=. Commands: alias, blacklist, options, install, remove, softdep, weakdep;
// `include` and `config` are deprecated; anything else is a bad line. A line ending in '\' continues on
// the next, and a '\' before any other character is dropped (freadline_wrapped()).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { confFiles } from "./conf_files.js";
import { LOG_ERR, type KmodLog } from "./log.js";

export interface Softdep {
  readonly name: string;
  /** The names as written (looked up, so normalized, only when used). */
  readonly pre: readonly string[];
  readonly post: readonly string[];
}

export interface Weakdep {
  readonly name: string;
  readonly weak: readonly string[];
}

/** The parsed configuration, each list in the order it was read. */
export interface KmodConfig {
  readonly aliases: readonly { readonly pattern: string; readonly modname: string }[];
  readonly blacklist: readonly string[];
  readonly options: readonly { readonly modname: string; readonly options: string }[];
  readonly install: readonly { readonly modname: string; readonly command: string }[];
  readonly remove: readonly { readonly modname: string; readonly command: string }[];
  readonly softdeps: readonly Softdep[];
  readonly weakdeps: readonly Weakdep[];
}

/** No configuration at all: what modinfo reads (kmod gives it an empty list of paths). */
export const NO_CONFIG: KmodConfig = { aliases: [], blacklist: [], options: [], install: [], remove: [], softdeps: [], weakdeps: [] };

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

/**
 * underscores(): '-' becomes '_' except inside a [...] set; null (kmod's -EINVAL) for a missing name or
 * an unbalanced bracket.
 */
export function underscores(name: string | undefined): string | null {
  if (name === undefined) return null;
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === "]") return null;
    if (c === "[") {
      const close = name.indexOf("]", i);
      if (close < 0) return null;
      out += name.slice(i, close + 1);
      i = close;
    } else out += c === "-" ? "_" : c;
  }
  return out;
}

/** alias_normalize(): as underscores(), for a name that is there. */
export function aliasNormalize(alias: string): string | null {
  return underscores(alias);
}

/** freadline_wrapped(): the logical lines of a file, each with the number of the last physical line it took. */
export function readLogicalLines(text: string): { readonly line: string; readonly number: number }[] {
  const lines: { line: string; number: number }[] = [];
  let [buf, n, number, pos] = ["", 0, 0, 0];
  const getc = (): string | null => (pos < text.length ? text[pos++]! : null);
  for (;;) {
    let ch = getc();
    if (ch === null && buf === "") break;
    if (ch === "\\") {
      ch = getc();
      if (ch === "\n") {
        n++;
        continue;
      }
      if (ch === null) continue;
    } else if (ch === null || ch === "\n") {
      number += ++n;
      // The line is a C string: a NUL ends it.
      lines.push({ line: buf.split("\0")[0]!, number });
      [buf, n] = ["", 0];
      if (ch === null) break;
      continue;
    }
    buf += ch;
  }
  return lines;
}

/** strtok_r() over one line: each next() skips the delimiters and takes a token; "" as delimiters takes the rest. */
export function strtok(line: string): { next(delims: string): string | undefined } {
  let pos = 0;
  return {
    next(delims) {
      while (pos < line.length && delims.includes(line[pos]!)) pos++;
      if (pos >= line.length) return undefined;
      const start = pos;
      while (pos < line.length && !delims.includes(line[pos]!)) pos++;
      const token = line.slice(start, pos);
      if (pos < line.length) pos++;
      return token;
    },
  };
}

/** The words of a softdep or weakdep line, split at isspace(). */
function spaced(text: string): string[] {
  return text.split(/[ \t\n\v\f\r]+/).filter((w) => w !== "");
}

/** kmod_config_add_softdep(): the names after "pre:" and after "post:" (any before either are ignored). */
function parseSoftdep(name: string, text: string): Softdep {
  const pre: string[] = [];
  const post: string[] = [];
  let into: string[] | null = null;
  for (const word of spaced(text)) {
    if (word === "pre:") into = pre;
    else if (word === "post:") into = post;
    else into?.push(word);
  }
  return { name, pre, post };
}

/** kmod_config_parse(): one file's lines into the configuration. */
function parseConfig(config: Mutable<KmodConfig>, text: string, filename: string, log: KmodLog): void {
  for (const { line, number } of readLogicalLines(text)) {
    if (line === "" || line.startsWith("#")) continue;
    const tok = strtok(line);
    const cmd = tok.next("\t ");
    if (cmd === undefined) continue;
    // The first word: the alias pattern, or the module the line is about.
    const first = underscores(cmd === "include" || cmd === "config" ? undefined : tok.next("\t "));
    const bad = () => log(LOG_ERR, "kmod_config_parse", `${filename} line ${number}: ignoring bad line starting with '${cmd}'`);
    if (cmd === "alias") {
      const target = underscores(tok.next("\t "));
      if (first === null || target === null) bad();
      else config.aliases.push({ pattern: first, modname: target });
    } else if (cmd === "blacklist") {
      if (first === null) bad();
      else config.blacklist.push(first);
    } else if (["options", "install", "remove", "softdep", "weakdep"].includes(cmd)) {
      const rest = tok.next("");
      if (first === null || rest === undefined) bad();
      else if (cmd === "options") config.options.push({ modname: first, options: rest.replace(/\t/g, " ") });
      else if (cmd === "softdep") config.softdeps.push(parseSoftdep(first, rest));
      else if (cmd === "weakdep") config.weakdeps.push({ name: first, weak: spaced(rest) });
      else config[cmd as "install" | "remove"].push({ modname: first, command: rest });
    } else if (cmd === "include" || cmd === "config") {
      log(LOG_ERR, "kmod_config_parse", `${filename}: command ${cmd} is deprecated and not parsed anymore`);
    } else bad();
  }
}

/** kcmdline_parse_result(): modprobe.blacklist=A,B, or MODULE.PARAM[=VALUE] as the module's options. */
function kcmdlineResult(config: Mutable<KmodConfig>, modname: string, param: string, value: string, log: KmodLog): void {
  if (modname === "modprobe" && param.startsWith("blacklist=")) {
    config.blacklist.push(...value.split(","));
    return;
  }
  const name = underscores(modname);
  if (name === null) log(LOG_ERR, "kcmdline_parse_result", `Ignoring bad option on kernel command line while parsing module name: '${modname}'`);
  else config.options.push({ modname: name, options: param });
}

/** The C string starting at `at` in buf: up to the first NUL. */
function cstr(buf: string[], at: number): string {
  let end = at;
  while (end < buf.length && buf[end] !== "\0") end++;
  return buf.slice(at, end).join("");
}

const KCMD_LINE_SIZE = 4096;

/**
 * kmod_config_parse_kcmdline(): the kernel command line's MODULE.PARAM[=VALUE] words, a value possibly
 * in double quotes (or the whole word, as a boot loader may quote it); a word with a quote elsewhere,
 * or a blank outside a quoted value, is ignored.
 */
function parseKcmdline(config: Mutable<KmodConfig>, cmdline: string, log: KmodLog): void {
  const buf = [...cmdline.slice(0, KCMD_LINE_SIZE - 1)];
  const at = (i: number) => (i < buf.length ? buf[i]! : "\0");
  type State = "ignore" | "modname" | "param" | "value" | "complete";
  let state: State = "modname";
  let [quoted, quoteStart, modname, param, value] = [false, -1, 0, 0, 0];
  for (let p = 0, more = true; more; p++) {
    const c = at(p);
    if (c === '"') {
      quoted = !quoted;
      if (quoted && state === "modname" && p === modname) [quoteStart, modname] = [p, p + 1];
      else if (state !== "value") state = "ignore";
    } else if (c === "\0" || " \n\t\v\f\r".includes(c)) {
      if (c === "\0") more = false;
      if (quoted && state === "value") {
        // a blank inside a quoted value belongs to it
      } else if (quoted) state = "ignore";
      else if (state === "value" || state === "param") {
        buf[p] = "\0";
        state = "complete";
      } else [modname, state, quoteStart] = [p + 1, "modname", -1];
    } else if (c === ".") {
      if (state === "modname") {
        buf[p] = "\0";
        [param, state] = [p + 1, "param"];
      } else if (state === "param") state = "ignore";
    } else if (c === "=") {
      if (state === "param") [value, state] = [p + 1, "value"];
      else if (state === "modname") state = "ignore";
    }
    if (state !== "complete") continue;
    if (quoteStart >= 0 && quoteStart < modname) {
      // "parport.dyndbg=file ..." as grub passes it, re-quoted: parport.dyndbg="file ..."
      buf.splice(quoteStart, value - modname, ...buf.slice(modname, value));
      [value, modname, param] = [value - 1, modname - 1, param - 1];
      buf[value] = '"';
    }
    kcmdlineResult(config, cstr(buf, modname), cstr(buf, param), cstr(buf, value), log);
    [modname, state, quoteStart] = [p + 1, "modname", -1];
  }
}

/**
 * kmod_config_new(): the configuration files' lines, then the kernel command line's (`cmdline`, what
 * /proc/cmdline holds; null when it could not be read). Complaints go to `log` (libkmod's, at LOG_ERR).
 */
export function loadConfig(paths: readonly string[], moduleDir: string, cmdline: string | null, log: KmodLog): KmodConfig {
  const config: Mutable<KmodConfig> = { aliases: [], blacklist: [], options: [], install: [], remove: [], softdeps: [], weakdeps: [] };
  const indexes = ["modules.softdep", "modules.weakdep"].map((f) => join(moduleDir, f));
  for (const file of confFiles(paths, indexes, "conf_files_list", log)) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    parseConfig(config, text, file, log);
  }
  if (cmdline !== null) parseKcmdline(config, cmdline, log);
  return config;
}

/**
 * softdep_to_char(): "pre: A B post: C", each part only when it has names. kmod joins the two parts with
 * no blank between them ("pre: A Bpost: C"), which cannot be read back; here they are apart.
 */
function softdepValue(s: Softdep): string {
  return [s.pre.length > 0 ? `pre: ${s.pre.join(" ")}` : "", s.post.length > 0 ? `post: ${s.post.join(" ")}` : ""].filter((p) => p !== "").join(" ");
}

/** modprobe -c's first half: each kind in turn, "KIND KEY VALUE" (a blacklist line has no value). */
export function showConfig(config: KmodConfig): string {
  const lines = [
    ...config.blacklist.map((m) => `blacklist ${m}`),
    ...config.install.map((c) => `install ${c.modname} ${c.command}`),
    ...config.remove.map((c) => `remove ${c.modname} ${c.command}`),
    ...config.aliases.map((a) => `alias ${a.pattern} ${a.modname}`),
    ...config.options.map((o) => `options ${o.modname} ${o.options}`),
    ...config.softdeps.map((s) => `softdep ${s.name} ${softdepValue(s)}`),
    ...config.weakdeps.map((w) => `weakdep ${w.name} ${w.weak.join(" ")}`),
  ];
  return lines.map((l) => `${l}\n`).join("");
}
