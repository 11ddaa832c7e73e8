// depmod [-b BASEDIR] [-n]: index lib/modules/<release>/ (modules.dep, .alias, .symbols, .softdep).

import { errno, ERRNO, strerror, type ErrnoName } from "../../abi/errno.js";
import { ROOT } from "../init/paths.js";
import { KernelError } from "../kernel/error.js";
import { depmod as runDepmod, depmodFiles, releaseDir, scan } from "../kmod/depmod.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

export const depmod: CliCommand = {
  name: "depmod",
  usage: "depmod [-b BASEDIR] [-n]",
  help: "index the module directory: dependencies from symbols, aliases",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("depmod", args, ctx, (c) =>
        c.option("-b, --basedir <dir>", "root of the module directory").option("-n, --dry-run", "print modules.dep instead of writing"),
      );
      const opts = cmd.opts() as { basedir?: string; dryRun?: boolean };
      const dir = releaseDir(opts.basedir ?? ROOT);
      try {
        if (opts.dryRun) ctx.out(depmodFiles(scan(dir), (m) => ctx.err(`${m}\n`))["modules.dep"]!);
        else runDepmod(dir, (m) => ctx.err(`${m}\n`));
        return 0;
      } catch (e) {
        if (e instanceof KernelError) {
          ctx.err(`depmod: FATAL: could not load modules: ${e.strerror}\n`);
          return 1;
        }
        const code = (e as NodeJS.ErrnoException).code;
        if (code === undefined || !(code in ERRNO)) throw e;
        ctx.err(`depmod: ERROR: could not open directory ${dir}: ${strerror(errno(code as ErrnoName))}\n`);
        return 1;
      }
    }),
};

