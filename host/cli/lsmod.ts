// lsmod: /proc/modules as a table: Module, Size, Used by (the count, then the users).

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
      const lines = ctx.kernel.read("/proc/modules").split("\n").filter((l) => l !== "");
      ctx.out(`Module                  Size  Used by\n${lines.map(lsmodRow).join("")}`);
      return 0;
    }),
};
