// rmdir DIR...: remove empty directories.

import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { attempt, exitStatus, quote } from "./coreutils.js";

export const rmdir: CliCommand = {
  name: "rmdir",
  usage: "rmdir DIR...",
  help: "remove empty directories",
  run: (args, ctx) =>
    withUsage(() => {
      const dirs = parseArgs("rmdir", args, ctx, (c) => c.argument("<dirs...>")).processedArgs[0] as string[];
      return exitStatus(dirs.map((dir) => attempt(ctx, "rmdir", `failed to remove ${quote(dir)}`, () => ctx.libc.rmdir(dir))));
    }),
};
