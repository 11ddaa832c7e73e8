// lsmod: the loaded modules as a table: Module, Size, Used by (the refcount, then the modules holding it),
// read from /proc/modules and /sys/module as the shell's task, as kmod's lsmod reads them as a process.
// "Used by" names holders only: /proc/modules' [permanent] and [unsafe] are not holders.

import { KernelError } from "../kernel/error.js";
import { loadedModules, type LoadedModule } from "../kmod/loaded.js";
import { LOG_ERR, toolLine } from "../kmod/log.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

/** One row as kmod's lsmod prints it: "%-19s %8ld  %d", then the holders joined by ','. */
export function lsmodRow(m: LoadedModule): string {
  return `${m.name.padEnd(19)} ${String(m.size).padStart(8)}  ${m.refcnt}${m.holders.length ? ` ${m.holders.join(",")}` : ""}\n`;
}

export const lsmod: CliCommand = {
  name: "lsmod",
  usage: "lsmod",
  help: "list loaded modules",
  run: (args, ctx) =>
    withUsage(() => {
      parseArgs("lsmod", args, ctx, (c) => c);
      const log = (priority: number, _fn: string, message: string) => {
        if (priority <= LOG_ERR) ctx.err(toolLine("lsmod", priority, message));
      };
      let modules: LoadedModule[];
      try {
        modules = loadedModules(ctx.libc, log);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        log(LOG_ERR, "do_lsmod", `could not get list of modules: ${e.strerror}`);
        return 1;
      }
      ctx.out(`Module                  Size  Used by\n${modules.map(lsmodRow).join("")}`);
      return 0;
    }),
};
