// lsmod: /proc/modules as a table: Module, Size, Used by (the count, then the users). It reads the file as the
// shell's task, as kmod's lsmod does as a process: a read that fails is its error message, as kmod words it.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

/** One /proc/modules line as kmod's lsmod prints it: "%-19s %8s  %s" and the holders joined by ','. */
export function lsmodRow(line: string): string {
  const [name = "", size = "", refcnt = "", users = "-"] = line.split(" ");
  const holders = users === "-" ? [] : users.split(",").filter((u) => u !== "");
  return `${name.padEnd(19)} ${size.padStart(8)}  ${refcnt}${holders.length ? ` ${holders.join(",")}` : ""}\n`;
}

export const lsmod: CliCommand = {
  name: "lsmod",
  usage: "lsmod",
  help: "list loaded modules",
  run: (args, ctx) =>
    withUsage(() => {
      parseArgs("lsmod", args, ctx, (c) => c);
      let modules: string;
      try {
        modules = new TextDecoder().decode(ctx.libc.readFile("/proc/modules"));
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`lsmod: ERROR: could not get list of modules: ${e.strerror}\n`);
        return 1;
      }
      const lines = modules.split("\n").filter((l) => l !== "");
      ctx.out(`Module                  Size  Used by\n${lines.map(lsmodRow).join("")}`);
      return 0;
    }),
};
