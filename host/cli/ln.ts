// ln [-s] TARGET [LINK]: make LINK a symbolic link to TARGET (-s) or a hard link; into LINK if it is a
// directory, or into the working directory without it.

import { basename } from "node:path";
import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { intoDir, isDirectory, quote, report } from "./coreutils.js";

/** Hard-link errors that are about the new name alone, which coreutils' ln names without the target. */
const ABOUT_LINK = new Set(["EEXIST", "ENOSPC", "EROFS", "EDQUOT"]);

function failure(symbolic: boolean, link: string, target: string, e: unknown): string {
  if (symbolic) return `failed to create symbolic link ${quote(link)}`;
  const aboutLink = e instanceof KernelError && e.code !== undefined && ABOUT_LINK.has(e.code);
  return `failed to create hard link ${quote(link)}${aboutLink ? "" : ` => ${quote(target)}`}`;
}

export const ln: CliCommand = {
  name: "ln",
  usage: "ln [-s] TARGET [LINK]",
  help: "make a link (-s: a symbolic one) to TARGET",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("ln", args, ctx, (c) => c.option("-s, --symbolic", "make a symbolic link").argument("<target>").argument("[link]"));
      const [target, named] = cmd.processedArgs as [string, string | undefined];
      const symbolic = cmd.opts().symbolic === true;
      const link = named === undefined ? basename(target) : isDirectory(ctx.libc, named) ? intoDir(named, target) : named;
      try {
        if (symbolic) ctx.libc.symlink(target, link);
        else ctx.libc.link(target, link);
        return 0;
      } catch (e) {
        report(ctx, "ln", failure(symbolic, link, target, e), e);
        return 1;
      }
    }),
};
