// Module parameters (kernel/params.c): parse "name=value" arguments, set and show each module_param type.

import { CHARP_MAX, PARAM_TYPES, type ParamType, type ParamTypeName } from "../../abi/moduleparam.js";
import { KernelError } from "../kernel/error.js";
import { type ModPtr, type ModuleMemory } from "../mm/maccess.js";
import { PAGE_SIZE } from "../mm/slab.js";

export interface ModuleParam {
  readonly name: string;
  readonly type: ParamTypeName;
  /** sysfs permission bits from module_param(); 0 means no file under /sys/module/NAME/parameters. */
  readonly perm: number;
  readonly global: WebAssembly.Global;
}

/** What setting a charp needs from the module: a fresh pinned string in its memory, and to drop the old one. */
export interface StringMaker {
  readonly memory: ModuleMemory;
  newString(s: string): ModPtr;
  /** Unpin a string newString made (a module's own initial value is left alone). */
  release(ptr: number): void;
}

/** next_arg(): split a command line into name/value pairs, honouring double quotes. */
export function parseArgs(args: string): [name: string, value: string | undefined][] {
  const out: [string, string | undefined][] = [];
  for (const token of splitArgs(args)) {
    const eq = token.indexOf("=");
    if (eq < 0) out.push([token, undefined]);
    else out.push([token.slice(0, eq), unquote(token.slice(eq + 1))]);
  }
  return out;
}

function splitArgs(args: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let inQuote = false;
  for (const ch of args) {
    if (ch === '"') inQuote = !inQuote;
    if (!inQuote && /\s/.test(ch)) {
      if (current) tokens.push(current);
      current = "";
    } else current += ch;
  }
  if (current) tokens.push(current);
  return tokens.map(unquote);
}

function unquote(v: string): string {
  return v.startsWith('"') ? v.slice(1, v.endsWith('"') && v.length > 1 ? -1 : undefined) : v;
}

/** parameq(): '-' and '_' are the same in parameter names. */
export function paramEq(a: string, b: string): boolean {
  return a.replace(/-/g, "_") === b.replace(/-/g, "_");
}

/** kstrto*(s, 0): base from the prefix (0x hex, 0 octal), one trailing newline allowed. */
function parseInteger(val: string, signed: boolean): bigint | "EINVAL" {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?$/.exec(val);
  if (!m || (m[1] === "-" && !signed)) return "EINVAL";
  const digits = m[2]!;
  const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return m[1] === "-" ? -magnitude : magnitude;
}

/** kstrtobool(): y/Y/t/T/1/e/E and "on" are true; n/N/f/F/0/d/D and "off" false. */
export function parseBool(val: string): boolean | undefined {
  const c = val[0] ?? "";
  if ("yYtT1eE".includes(c) && c !== "") return true;
  if ("nNfF0dD".includes(c) && c !== "") return false;
  if (c === "o" || c === "O") {
    const d = val[1] ?? "";
    if (d === "n" || d === "N") return true;
    if (d === "f" || d === "F") return false;
  }
  return undefined;
}

function invalid(mod: string, val: string | undefined, name: string): KernelError {
  return new KernelError("EINVAL", `${mod}: \`${val ?? ""}' invalid for parameter \`${name}'`);
}

/** param_set_*(): store val (undefined for a bare name) into the parameter, or throw as parse_args reports. */
export function setParam(mod: string, p: ModuleParam, val: string | undefined, strings: StringMaker): void {
  const type: ParamType = PARAM_TYPES[p.type];
  if (p.type === "bool" || p.type === "invbool") {
    const b = val === undefined ? true : parseBool(val);
    if (b === undefined) throw invalid(mod, val, p.name);
    p.global.value = (b !== (p.type === "invbool")) ? 1 : 0;
    return;
  }
  if (val === undefined) throw invalid(mod, val, p.name);
  if (p.type === "charp") {
    if (val.length > CHARP_MAX) {
      throw new KernelError("ENOSPC", `${mod}: \`${val}' too large for parameter \`${p.name}'`);
    }
    const old = p.global.value as number;
    p.global.value = strings.newString(val);
    strings.release(old);
    return;
  }
  const n = parseInteger(val, type.range![0] < 0n);
  if (n === "EINVAL") throw invalid(mod, val, p.name);
  if (n < type.range![0] || n > type.range![1]) {
    throw new KernelError("ERANGE", `${mod}: \`${val}' invalid for parameter \`${p.name}'`);
  }
  p.global.value = p.type === "ullong" ? BigInt.asIntN(64, n) : Number(BigInt.asIntN(32, n));
}

/** param_get_*(): the value as /sys/module/NAME/parameters/P shows it, newline included. */
export function showParam(p: ModuleParam, memory: ModuleMemory): string {
  const v: unknown = p.global.value;
  switch (p.type) {
    case "bool":
      return v ? "Y\n" : "N\n";
    case "invbool":
      return v ? "N\n" : "Y\n";
    case "charp":
      // sysfs_emit() fills a page at most, so no more of the string than that is read.
      return `${v === 0 ? "(null)" : memory.readString(v as number, PAGE_SIZE)}\n`;
    case "ullong":
      return `${BigInt.asUintN(64, v as bigint)}\n`;
    case "hexint":
      return `0x${((v as number) >>> 0).toString(16).padStart(6, "0")}\n`;
    default: {
      const n = v as number;
      const range = (PARAM_TYPES[p.type] as ParamType).range;
      return `${range && range[0] < 0n ? n | 0 : n >>> 0}\n`;
    }
  }
}

