// cd [DIR] and pwd: the shell's own working directory, which every later command starts from.

import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { attempt } from "./coreutils.js";

export const cd: CliCommand = {
  name: "cd",
  usage: "cd [DIR]",
  help: "change the shell's working directory (no DIR: /)",
  run: (args, ctx) =>
    withUsage(() => {
      const dir = (parseArgs("cd", args, ctx, (c) => c.argument("[dir]")).processedArgs[0] as string | undefined) ?? "/";
      return attempt(ctx, "cd", dir, () => ctx.libc.chdir(dir)) ? 0 : 1;
    }),
};

export const pwd: CliCommand = {
  name: "pwd",
  usage: "pwd",
  help: "print the shell's working directory",
  run: (args, ctx) =>
    withUsage(() => {
      parseArgs("pwd", args, ctx, (c) => c);
      return attempt(ctx, "pwd", "error retrieving current directory", () => ctx.out(`${ctx.libc.getcwd()}\n`)) ? 0 : 1;
    }),
};
