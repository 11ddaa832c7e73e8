// dmesg [-c|-C] [-l LEVELS] [-r] [-t] [-n LEVEL]: read, filter and clear the kernel ring buffer.

import { LEVEL_NAMES } from "../../abi/kern_levels.js";
import { formatTimestamp, type LogRecord } from "../kernel/printk.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

/** A level by name (err, warn...) or number; undefined when neither. */
function levelOf(word: string): number | undefined {
  const byName = (LEVEL_NAMES as readonly string[]).indexOf(word);
  if (byName >= 0) return byName;
  return /^[0-7]$/.test(word) ? Number(word) : undefined;
}

/** One record as util-linux prints it; continuation lines inside a record keep the prefix's indent. */
export function formatRecord(r: LogRecord, raw: boolean, notime: boolean): string {
  const prefix = `${raw ? `<${r.level}>` : ""}${notime ? "" : `${formatTimestamp(r.usec)} `}`;
  return `${prefix}${r.text.split("\n").join(`\n${" ".repeat(raw ? 0 : prefix.length)}`)}\n`;
}

export const dmesg: CliCommand = {
  name: "dmesg",
  usage: "dmesg [-c|-C] [-l LEVELS] [-r] [-t] [-n LEVEL]",
  help: "print or control the kernel ring buffer",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("dmesg", args, ctx, (c) =>
        c
          .option("-c, --read-clear", "print, then clear the buffer")
          .option("-C, --clear", "clear the buffer without printing")
          .option("-l, --level <list>", "only these levels (emerg,alert,crit,err,warn,notice,info,debug)")
          .option("-r, --raw", "print the <level> prefix")
          .option("-t, --notime", "no timestamps")
          .option("-n, --console-level <level>", "set the console log level"),
      );
      const o = cmd.opts() as Record<string, string | boolean | undefined>;
      const log = ctx.kernel.log;
      if (typeof o.consoleLevel === "string") {
        const level = levelOf(o.consoleLevel);
        if (level === undefined) return usage(ctx.err, `unknown level '${o.consoleLevel}'`);
        log.levels.console = Math.max(level + 1, log.levels.minimumConsole);
        return 0;
      }
      if (o.clear) {
        log.clear();
        return 0;
      }
      let wanted: Set<number> | undefined;
      if (typeof o.level === "string") {
        const levels = o.level.split(",").map(levelOf);
        const bad = o.level.split(",").find((_, i) => levels[i] === undefined);
        if (bad !== undefined) return usage(ctx.err, `unknown level '${bad}'`);
        wanted = new Set(levels as number[]);
      }
      const records = log.read().filter((r) => !wanted || wanted.has(r.level));
      ctx.out(records.map((r) => formatRecord(r, o.raw === true, o.notime === true)).join(""));
      if (o.readClear) log.clear();
      return 0;
    }),
};

function usage(err: (s: string) => void, message: string): number {
  err(`dmesg: ${message}\n`);
  return 1;
}
