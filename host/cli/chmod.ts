// chmod MODE FILE...: change permission bits with chmod(2), MODE octal (755) or symbolic as coreutils takes
// it: clauses joined by ',', each [ugoa]* then one or more of [-+=] followed by [rwxXst]* or one of u, g, o.

import { S_ISDIR } from "../../abi/stat.js";
import type { CliCommand, CommandContext } from "./command.js";
import { attempt, quote } from "./coreutils.js";

/** The umask the shell's task creates files with; a clause naming no one leaves its bits alone, as coreutils does. */
const UMASK = 0o022;
const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

/** The bits `perms` stand for, for every class, given the mode they apply to (X: execute if a directory or executable). */
function permBits(perms: string, mode: number): number | null {
  let bits = 0;
  for (const p of perms) {
    if (p === "r") bits |= 0o444;
    else if (p === "w") bits |= 0o222;
    else if (p === "x" || (p === "X" && (S_ISDIR(mode) || (mode & 0o111) !== 0))) bits |= 0o111;
    else if (p === "s") bits |= 0o6000;
    else if (p === "t") bits |= 0o1000;
    else if (p !== "X") return null;
  }
  return bits;
}

/** One class's rwx copied to every class, as `g=u` takes them. */
function copyBits(from: string, mode: number): number {
  const rwx = (mode >> SHIFT[from]!) & 0o7;
  return rwx * 0o111;
}

/** The new mode for `spec` applied to `mode`; null when spec is not a mode. */
export function applyMode(spec: string, mode: number): number | null {
  if (/^[0-7]{1,4}$/.test(spec)) return (mode & ~0o7777) | parseInt(spec, 8);
  for (const clause of spec.split(",")) {
    const m = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/.exec(clause);
    if (!m) return null;
    const who = m[1]!;
    const mask = who === "" ? 0o7777 & ~UMASK : [...who].reduce((b, w) => b | WHO_BITS[w]!, 0);
    for (const [, op, perms] of m[2]!.matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      const bits = (/^[ugo]$/.test(perms!) ? copyBits(perms!, mode) : permBits(perms!, mode)!) & mask;
      if (op === "=") mode = (mode & ~(who === "" ? 0o7777 : mask)) | bits;
      else mode = op === "+" ? mode | bits : mode & ~bits;
    }
  }
  return mode;
}

/** stat, then chmod(2): each failure worded as coreutils words it. */
function chmodOne(ctx: CommandContext, spec: string, path: string): boolean {
  let mode = 0;
  return attempt(ctx, "chmod", `cannot access ${quote(path)}`, () => void (mode = ctx.libc.stat(path).mode))
    && attempt(ctx, "chmod", `changing permissions of ${quote(path)}`, () => ctx.libc.chmod(path, applyMode(spec, mode)!));
}

export const chmod: CliCommand = {
  name: "chmod",
  usage: "chmod MODE FILE...",
  help: "change permission bits (MODE octal, or symbolic: u+x, go-w, a=r...)",
  run(args, ctx) {
    const [spec, ...files] = args;
    if (spec === undefined || files.length === 0) {
      ctx.err(spec === undefined ? "chmod: missing operand\n" : `chmod: missing operand after '${spec}'\n`);
      return 1;
    }
    if (applyMode(spec, 0) === null) {
      ctx.err(`chmod: invalid mode: '${spec}'\n`);
      return 1;
    }
    return files.map((f) => chmodOne(ctx, spec, f)).every(Boolean) ? 0 : 1;
  },
};
