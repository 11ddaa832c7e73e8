// touch [-a] [-m] [-c] [-h] [-d DATE] [-t STAMP] FILE...: set access and modification times with utimensat(2),
// creating a missing file, as coreutils does. Times are read as UTC, the only time zone here.

import { AT_SYMLINK_NOFOLLOW, O_CREAT, O_NOCTTY, O_NONBLOCK, O_WRONLY } from "../../abi/fcntl.js";
import { UTIME_NOW, UTIME_OMIT } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { exitStatus, quote, report } from "./coreutils.js";

type Time = readonly [number, number];

/** Seconds since the epoch of a UTC civil time, or null when a field is out of range. */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const t = new Date(ms);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) return null;
  return ms / 1000;
}

/** -t [[CC]YY]MMDDhhmm[.ss] (posixtime): a two-digit year 69-99 is 19YY, 00-68 20YY. */
export function parseStamp(stamp: string): Time | null {
  const m = /^(\d{2}|\d{4})?(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{2}))?$/.exec(stamp);
  if (!m) return null;
  const now = new Date().getUTCFullYear();
  const year = m[1] === undefined ? now : m[1].length === 4 ? Number(m[1]) : Number(m[1]) + (Number(m[1]) >= 69 ? 1900 : 2000);
  const sec = utc(year, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  return sec === null ? null : [sec, 0];
}

/** -d: the forms of parse_datetime this shell takes: @SECONDS[.FRACTION], and YYYY-MM-DD[( |T)HH:MM[:SS[.FRACTION]]][Z|UTC]. */
export function parseDate(text: string): Time | null {
  const frac = (f: string | undefined) => Number((f ?? "").padEnd(9, "0").slice(0, 9));
  const at = /^@(-?\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (at) return [Number(at[1]), frac(at[2])];
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(?:Z|UTC)?$/i.exec(text.trim());
  if (!m) return null;
  const sec = utc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return sec === null ? null : [sec, frac(m[7])];
}

interface TouchOptions {
  /** [atime, mtime] for utimensat, or null for both now. */
  readonly times: readonly Time[] | null;
  readonly noCreate: boolean;
  readonly noDeref: boolean;
}

/** touch(): create unless -c or -h, then utimensat; a failed create is reported only if setting the times fails too. */
function touchOne(ctx: CommandContext, file: string, o: TouchOptions): boolean {
  let openError: unknown = null;
  if (!o.noCreate && !o.noDeref) {
    try {
      ctx.libc.close(ctx.libc.open(file, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, 0o666));
    } catch (e) {
      openError = e;
    }
  }
  try {
    ctx.libc.utimensat(file, o.times, o.noDeref ? AT_SYMLINK_NOFOLLOW : 0);
    return true;
  } catch (e) {
    if (openError) report(ctx, "touch", `cannot touch ${quote(file)}`, openError);
    else if (o.noCreate && e instanceof KernelError && e.code === "ENOENT") return true;
    else report(ctx, "touch", `setting times of ${quote(file)}`, e);
    return false;
  }
}

export const touch: CliCommand = {
  name: "touch",
  usage: "touch [-a] [-m] [-c] [-h] [-d DATE] [-t STAMP] FILE...",
  help: "set files' access and modification times (now, -d DATE or -t [[CC]YY]MMDDhhmm[.ss]), creating missing ones unless -c",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("touch", args, ctx, (c) =>
        c.option("-a", "change only the access time").option("-m", "change only the modification time")
          .option("-c, --no-create", "do not create any files").option("-h, --no-dereference", "affect a symlink, not its target")
          .option("-d, --date <date>", "use DATE instead of now").option("-t <stamp>", "use [[CC]YY]MMDDhhmm[.ss] instead of now")
          .argument("<files...>"));
      const opts = cmd.opts<{ a?: boolean; m?: boolean; create?: boolean; dereference?: boolean; date?: string; t?: string }>();
      if (opts.date !== undefined && opts.t !== undefined) {
        ctx.err("touch: cannot specify times from more than one source\n");
        return 1;
      }
      const given = opts.date !== undefined ? parseDate(opts.date) : opts.t !== undefined ? parseStamp(opts.t) : ([0, UTIME_NOW] as const);
      if (given === null) {
        ctx.err(`touch: invalid date format ${quote((opts.date ?? opts.t)!)}\n`);
        return 1;
      }
      const both = !opts.a && !opts.m;
      const times = both && opts.date === undefined && opts.t === undefined ? null
        : [opts.a || both ? given : ([0, UTIME_OMIT] as const), opts.m || both ? given : ([0, UTIME_OMIT] as const)];
      const o = { times, noCreate: opts.create === false, noDeref: opts.dereference === false };
      return exitStatus((cmd.processedArgs[0] as string[]).map((f) => touchOne(ctx, f, o)));
    }),
};
