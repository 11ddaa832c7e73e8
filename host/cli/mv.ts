// mv SOURCE... DEST: rename(2) each source to DEST, or into DEST when DEST is a directory.

import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { attempt, exitStatus, intoDir, isDirectory, quote } from "./coreutils.js";

/** mv lstat()s its source first, so a missing one reads "cannot stat", and a refused rename names both ends. */
function move(ctx: CommandContext, source: string, target: string): boolean {
  return (
    attempt(ctx, "mv", `cannot stat ${quote(source)}`, () => ctx.libc.lstat(source)) &&
    attempt(ctx, "mv", `cannot move ${quote(source)} to ${quote(target)}`, () => ctx.libc.rename(source, target))
  );
}

export const mv: CliCommand = {
  name: "mv",
  usage: "mv SOURCE... DEST",
  help: "rename a file or directory, or move sources into the directory DEST",
  run: (args, ctx) =>
    withUsage(() => {
      const paths = parseArgs("mv", args, ctx, (c) => c.argument("<paths...>")).processedArgs[0] as string[];
      const dest = paths[paths.length - 1]!;
      const sources = paths.slice(0, -1);
      if (sources.length === 0) {
        ctx.err(`mv: missing destination file operand after ${quote(dest)}\n`);
        return 1;
      }
      const into = isDirectory(ctx.libc, dest);
      if (sources.length > 1 && !into) {
        ctx.err(`mv: target ${quote(dest)} is not a directory\n`);
        return 1;
      }
      return exitStatus(sources.map((source) => move(ctx, source, into ? intoDir(dest, source) : dest)));
    }),
};
