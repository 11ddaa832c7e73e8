// echo [-n] TEXT [> PATH | >> PATH]: print text, or write it (with its newline unless -n) to a file in one write(2).

import { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import type { CliCommand, CommandContext } from "./command.js";
import { report } from "./coreutils.js";

/** The shell's redirections and the open(2) flags each opens its file with. */
const REDIRECTS = new Map([
  [">", O_WRONLY | O_CREAT | O_TRUNC],
  [">>", O_WRONLY | O_CREAT | O_APPEND],
]);

/** The redirection: errors opening the file read like the shell's, a refused write is echo's write error. */
function writeFile(ctx: CommandContext, path: string, text: string, flags: number): number {
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
  usage: "echo [-n] TEXT [> PATH | >> PATH]",
  help: "print TEXT, or write it to a file (> truncates, >> appends)",
  run(allArgs, ctx) {
    const noNewline = allArgs[0] === "-n";
    const args = noNewline ? allArgs.slice(1) : allArgs;
    const at = args.findIndex((a) => REDIRECTS.has(a));
    const text = `${args.slice(0, at < 0 ? undefined : at).join(" ")}${noNewline ? "" : "\n"}`;
    if (at < 0) {
      ctx.out(text);
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
