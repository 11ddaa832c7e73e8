// echo [-neE] TEXT [> PATH | >> PATH]: print text, or write it (with its newline unless -n) to a file in one
// write(2); with -e, backslash escapes as coreutils' echo reads them, so any byte can be written.

import { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import type { CliCommand, CommandContext } from "./command.js";
import { report, unescape } from "./coreutils.js";

/** The shell's redirections and the open(2) flags each opens its file with. */
const REDIRECTS = new Map([
  [">", O_WRONLY | O_CREAT | O_TRUNC],
  [">>", O_WRONLY | O_CREAT | O_APPEND],
]);

const encoder = new TextEncoder();

/** The leading option words: each all of n, e and E after its '-', as coreutils' echo takes them. */
function options(args: readonly string[]): { newline: boolean; escapes: boolean; rest: readonly string[] } {
  let [newline, escapes, i] = [true, false, 0];
  for (; i < args.length && /^-[neE]+$/.test(args[i]!); i++) {
    for (const c of args[i]!.slice(1)) {
      if (c === "n") newline = false;
      else escapes = c === "e";
    }
  }
  return { newline, escapes, rest: args.slice(i) };
}

/** The bytes echo writes for its words. */
function output(words: readonly string[], newline: boolean, escapes: boolean): Uint8Array {
  const text = words.join(" ");
  const { bytes, stop } = escapes ? unescape(text) : { bytes: encoder.encode(text), stop: false };
  return newline && !stop ? Uint8Array.from([...bytes, 0x0a]) : bytes;
}

/** The redirection: errors opening the file read like the shell's, a refused write is echo's write error. */
function writeFile(ctx: CommandContext, path: string, text: Uint8Array, flags: number): number {
  let fd: number;
  try {
    fd = ctx.libc.open(path, flags, 0o666);
  } catch (e) {
    report(ctx, "echo", path, e);
    return 1;
  }
  try {
    ctx.libc.write(fd, text);
    return 0;
  } catch (e) {
    report(ctx, "echo", "write error", e);
    return 1;
  } finally {
    ctx.libc.close(fd);
  }
}

export const echo: CliCommand = {
  name: "echo",
  usage: "echo [-neE] TEXT [> PATH | >> PATH]",
  help: "print TEXT, or write it to a file (> truncates, >> appends); -e reads \\xHH and other escapes",
  run(allArgs, ctx) {
    const { newline, escapes, rest: args } = options(allArgs);
    const at = args.findIndex((a) => REDIRECTS.has(a));
    const text = output(args.slice(0, at < 0 ? undefined : at), newline, escapes);
    if (at < 0) {
      ctx.out(new TextDecoder().decode(text));
      return 0;
    }
    const path = args[at + 1];
    if (path === undefined || args.length > at + 2) {
      ctx.err(`echo: ERROR: expected one path after '${args[at]}'\n`);
      return 1;
    }
    return writeFile(ctx, path, text, REDIRECTS.get(args[at]!)!);
  },
};
