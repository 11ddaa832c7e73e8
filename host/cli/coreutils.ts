// coreutils' wording and habits, shared by the file commands: how names are quoted, how a failed call
// becomes "prog: what: strerror", how an operand names a place in a directory, and how ls and stat show
// a mode and an owner.

import { basename } from "node:path";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import type { CommandContext } from "./command.js";

/**
 * quoteaf(): a name always quoted, as error lines show it: in single quotes, or in double quotes when it holds
 * a single quote and nothing double quotes would expand ("it's"), else with each quote spelled '\''.
 */
export function quote(name: string): string {
  if (name.includes("'") && !/["$`\\!]/.test(name)) return `"${name}"`;
  return `'${name.replace(/'/g, "'\\''")}'`;
}

/** quotef(): a name bare when the shell would read it back unchanged, else quoted as quote() does. */
export function quotef(name: string): string {
  return /^[\w./:,+@%=-]+$/.test(name) ? name : quote(name);
}

/** Print a KernelError as "prog: what: strerror" on stderr; anything else is a bug and goes on up. */
export function report(ctx: CommandContext, prog: string, what: string, e: unknown): void {
  if (!(e instanceof KernelError)) throw e;
  ctx.err(`${prog}: ${what}: ${e.strerror}\n`);
}

/** Run fn; a KernelError from it is reported as "prog: what: strerror". Returns whether fn succeeded. */
export function attempt(ctx: CommandContext, prog: string, what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    report(ctx, prog, what, e);
    return false;
  }
}

/** The exit status of a command that ran once per operand: 1 if any of them failed. */
export function exitStatus(results: readonly boolean[]): number {
  return results.every(Boolean) ? 0 : 1;
}

/** Whether path is a directory, following a final symlink (stat(2)); false when it cannot be stat'ed. */
export function isDirectory(libc: Libc, path: string): boolean {
  try {
    return S_ISDIR(libc.stat(path).mode);
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}

/** A name inside a directory, as fts builds it: "dir/name", without doubling a trailing slash. */
export function pathIn(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Where an operand goes when moved or linked into DIR: DIR/its last component (trailing slashes ignored). */
export function intoDir(dir: string, operand: string): string {
  return pathIn(dir, basename(operand));
}

/** strtoumax(word, 0) as coreutils reads a number operand: decimal, 0x hex or 0 octal; undefined when not one. */
export function parseNumber(word: string): number | undefined {
  const m = /^(-?)(?:0x([0-9a-f]+)|0([0-7]*)|([1-9][0-9]*))$/i.exec(word);
  if (!m) return undefined;
  const [, sign, hex, octal, decimal] = m;
  const n = hex !== undefined ? parseInt(hex, 16) : octal !== undefined ? parseInt(octal || "0", 8) : Number(decimal);
  return sign ? -n : n;
}

const TYPE_LETTERS = new Map([
  [S_IFREG, "-"], [S_IFDIR, "d"], [S_IFLNK, "l"], [S_IFCHR, "c"], [S_IFBLK, "b"], [S_IFIFO, "p"], [S_IFSOCK, "s"],
]);

/** One rwx triple; a set special bit (setuid, setgid, sticky) shows as `letter` over x, or its capital without x. */
function triple(bits: number, special: boolean, letter: string): string {
  const x = special ? (bits & 1 ? letter : letter.toUpperCase()) : bits & 1 ? "x" : "-";
  return `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${x}`;
}

/** filemodestring(): "drwxr-xr-x", the file type letter and the nine permission bits. */
export function modeString(mode: number): string {
  const type = TYPE_LETTERS.get(mode & S_IFMT) ?? "?";
  const [user, group, other] = [triple(mode >> 6, (mode & 0o4000) !== 0, "s"), triple(mode >> 3, (mode & 0o2000) !== 0, "s"), triple(mode, (mode & 0o1000) !== 0, "t")];
  return `${type}${user}${group}${other}`;
}

/** The name of a uid or gid. There is no /etc/passwd to ask: 0 is root by convention, any other id has no name. */
export function idName(id: number): string | undefined {
  return id === 0 ? "root" : undefined;
}

const encoder = new TextEncoder();
const SIMPLE_ESCAPES: Record<string, number> = { "\\": 0x5c, a: 7, b: 8, e: 0x1b, f: 0xc, n: 0xa, r: 0xd, t: 9, v: 0xb };

/**
 * -e's escapes: \\ \a \b \e \f \n \r \t \v, \0NNN (octal, up to three digits), \xHH (hex, one or two),
 * and \c, which ends the output there (no newline either). Other backslashes stay as they are.
 */
export function unescape(text: string): { bytes: Uint8Array; stop: boolean } {
  const out: number[] = [];
  const re = /\\(?:([\\abefnrtv])|0([0-7]{0,3})|x([0-9a-fA-F]{1,2})|(c))/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push(...encoder.encode(text.slice(last, m.index)));
    last = m.index + m[0].length;
    if (m[4]) return { bytes: Uint8Array.from(out), stop: true };
    out.push(m[1] ? SIMPLE_ESCAPES[m[1]]! : m[2] !== undefined ? parseInt(m[2] || "0", 8) & 0xff : parseInt(m[3]!, 16));
  }
  out.push(...encoder.encode(text.slice(last)));
  return { bytes: Uint8Array.from(out), stop: false };
}
