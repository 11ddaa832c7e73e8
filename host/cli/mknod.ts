// mknod NAME TYPE [MAJOR MINOR]: make a character (c, u) or block (b) device node, or a FIFO (p); 0666
// before the umask.

import { makedev, major, minor, S_IFBLK, S_IFCHR, S_IFIFO } from "../../abi/stat.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { attempt, parseNumber, quote, quotef } from "./coreutils.js";

const TYPES = new Map([["c", S_IFCHR], ["u", S_IFCHR], ["b", S_IFBLK], ["p", S_IFIFO]]);

function usage(ctx: CommandContext, lines: readonly string[]): number {
  ctx.err(lines.map((l) => `${l}\n`).join(""));
  return 1;
}

/** mknod's dev argument: 0 for a FIFO, else MAJOR MINOR's device number; the lines of a usage error instead. */
function deviceFor(type: number, typeWord: string, majorWord?: string, minorWord?: string): number | string[] {
  if (type === S_IFIFO) return majorWord === undefined ? 0 : ["mknod: Fifos do not have major and minor device numbers."];
  if (minorWord === undefined) {
    return [`mknod: missing operand after ${quote(majorWord ?? typeWord)}`, "Special files require major and minor device numbers."];
  }
  const [ma, mi] = [parseNumber(majorWord!), parseNumber(minorWord)];
  const dev = makedev(ma ?? 0, mi ?? 0);
  if (ma === undefined || major(dev) !== ma) return [`mknod: invalid major device number ${quote(majorWord!)}`];
  if (mi === undefined || minor(dev) !== mi) return [`mknod: invalid minor device number ${quote(minorWord)}`];
  return dev;
}

export const mknod: CliCommand = {
  name: "mknod",
  usage: "mknod NAME c|b|p [MAJOR MINOR]",
  help: "make a character or block device node, or a FIFO",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("mknod", args, ctx, (c) => c.argument("<name>").argument("<type>").argument("[major]").argument("[minor]"));
      const [name, typeWord, majorWord, minorWord] = cmd.processedArgs as [string, string, string?, string?];
      const type = TYPES.get(typeWord);
      if (type === undefined) return usage(ctx, [`mknod: invalid device type ${quote(typeWord)}`]);
      const dev = deviceFor(type, typeWord, majorWord, minorWord);
      if (typeof dev !== "number") return usage(ctx, dev);
      return attempt(ctx, "mknod", quotef(name), () => ctx.libc.mknod(name, type | 0o666, dev)) ? 0 : 1;
    }),
};
