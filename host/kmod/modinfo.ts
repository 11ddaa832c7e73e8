// kmod's tools/modinfo.c, less its option parsing: a module's .modinfo in kmod's layout, every field
// or one (-F), lines ending in the separator (a newline, or NUL with -0).

import type { ModinfoEntry } from "../../abi/module.js";

/** One module parameter as modinfo gathers it from parm= and parmtype=. */
interface Param {
  readonly name: string;
  desc?: string;
  type?: string;
}

/** process_parm(): the parameters, the last one named first (kmod prepends each new one). */
function params(entries: readonly ModinfoEntry[]): Param[] {
  const list: Param[] = [];
  for (const [key, value] of entries) {
    if (key !== "parm" && key !== "parmtype") continue;
    const colon = value.indexOf(":");
    if (colon < 0) continue;
    const name = value.slice(0, colon);
    let p = list.find((q) => q.name === name);
    if (!p) list.unshift((p = { name }));
    if (key === "parm") p.desc = value.slice(colon + 1);
    else p.type = value.slice(colon + 1);
  }
  return list;
}

/** "%-16s": a key and its colon, padded so the value starts at column 16 (longer keys are not cut). */
function padded(key: string): string {
  return `${key}:`.padEnd(16);
}

/**
 * modinfo_do() for a module file whose .modinfo is `entries` (null when it could not be read, which only
 * -F filename does not need): what modinfo prints, or null when it needs the entries it has not got.
 */
export function modinfoText(filename: string, entries: readonly ModinfoEntry[] | null, field: string | undefined, sep: string): string | null {
  if (field === "filename") return `${filename}${sep}`;
  if (entries === null) return null;
  const ps = params(entries);
  if (field === "parm") {
    return ps.map((p) => (p.desc === undefined ? `${p.name}: (${p.type})` : p.type !== undefined ? `${p.name}:${p.desc} (${p.type})` : `${p.name}:${p.desc}`) + sep).join("");
  }
  if (field !== undefined) return entries.filter(([k]) => k === field).map(([, v]) => `${v}${sep}`).join("");
  const fields = entries.filter(([k]) => k !== "parm" && k !== "parmtype").map(([k, v]) => (sep === "\0" ? `${k}=${v}` : `${k}:${" ".repeat(15 - Math.min(k.length, 15))}${v}`) + sep);
  const parms = ps.map((p) => `${padded("parm")}${p.name}:${p.desc === undefined ? p.type : p.type !== undefined ? `${p.desc} (${p.type})` : p.desc}${sep}`);
  return `${padded("filename")}${filename}${sep}${fields.join("")}${parms.join("")}`;
}
