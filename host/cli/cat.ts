// cat PATH...: print files, device nodes included, read through the shell's task; coreutils' error lines.

import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { attempt, exitStatus, quotef } from "./coreutils.js";

export const cat: CliCommand = {
  name: "cat",
  usage: "cat PATH...",
  help: "print files",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("cat", args, ctx, (c) => c.argument("<paths...>"));
      const paths = cmd.processedArgs[0] as string[];
      return exitStatus(paths.map((path) => attempt(ctx, "cat", quotef(path), () => ctx.out(new TextDecoder().decode(ctx.libc.readFile(path))))));
    }),
};
