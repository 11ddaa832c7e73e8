// cat PATH...: print /proc and /sys files, with coreutils' error lines.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

export const cat: CliCommand = {
  name: "cat",
  usage: "cat PATH...",
  help: "print files under /proc and /sys",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("cat", args, ctx, (c) => c.argument("<paths...>"));
      let status = 0;
      for (const path of cmd.processedArgs[0] as string[]) {
        try {
          ctx.out(ctx.kernel.read(path));
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          ctx.err(`cat: ${path}: ${e.strerror}\n`);
          status = 1;
        }
      }
      return status;
    }),
};
