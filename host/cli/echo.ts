// echo [-n] TEXT [> PATH]: print text, or write it (with its newline unless -n) to a /proc or /sys file.

import { KernelError } from "../kernel/error.js";
import type { CliCommand } from "./command.js";

/** Errors opening the file read like the shell's; a value the file refuses is echo's write error. */
const OPEN_ERRORS = new Set(["ENOENT", "EACCES", "EISDIR"]);

export const echo: CliCommand = {
  name: "echo",
  usage: "echo [-n] TEXT [> PATH]",
  help: "print TEXT, or write it to a file with > PATH",
  run(allArgs, ctx) {
    const noNewline = allArgs[0] === "-n";
    const args = noNewline ? allArgs.slice(1) : allArgs;
    const at = args.indexOf(">");
    const text = `${args.slice(0, at < 0 ? undefined : at).join(" ")}${noNewline ? "" : "\n"}`;
    if (at < 0) {
      ctx.out(text);
      return 0;
    }
    const path = args[at + 1];
    if (path === undefined || args.length > at + 2) {
      ctx.err("echo: ERROR: expected one path after '>'\n");
      return 1;
    }
    try {
      ctx.kernel.write(path, text);
      return 0;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      ctx.err(e.code && OPEN_ERRORS.has(e.code) ? `echo: ${path}: ${e.strerror}\n` : `echo: write error: ${e.strerror}\n`);
      return 1;
    }
  },
};
