// dd [OPERAND]...: copy a file a block at a time, as coreutils' dd does (if= of= bs= count= skip= seek=
// conv=notrunc,fsync status=none), with its "records in/out" and "bytes copied" summary on stderr.
//
// dd runs in steps, one read and its write each, so a copy from a device without end (/dev/zero without
// count=) can be interrupted and other work goes on between its blocks.

import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, SEEK_CUR } from "../../abi/fcntl.js";
import { S_ISREG } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { SCHEDULE, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";
import { quote, report } from "./coreutils.js";

/** What a shell reports for a command ended by SIGINT: 128 + 2. */
const INTERRUPTED = 130;

interface Options {
  input?: string;
  output?: string;
  bs: number;
  count?: number;
  skip: number;
  seek: number;
  notrunc: boolean;
  fsync: boolean;
  quiet: boolean;
}

/** The multipliers dd's numbers take (parse_integer with xstrtoumax's suffixes). */
const SUFFIXES: Readonly<Record<string, number>> = {
  "": 1, c: 1, w: 2, b: 512, kB: 1000, K: 1024, KiB: 1024, k: 1024, MB: 1000 ** 2, M: 1024 ** 2, MiB: 1024 ** 2,
  GB: 1000 ** 3, G: 1024 ** 3, GiB: 1024 ** 3,
};

/** A bad operand; `usage` when coreutils also points at --help (an operand it does not know). */
class DdUsage extends Error {
  constructor(message: string, readonly usage = false) {
    super(message);
  }
}

/** A number operand: digits, an optional suffix, and factors joined by 'x' (2x512). */
function number(word: string): number {
  const value = word.split("x").reduce((product, part) => {
    const m = /^(\d+)([A-Za-z]*)$/.exec(part);
    const unit = m ? SUFFIXES[m[2]!] : undefined;
    if (!m || unit === undefined) throw new DdUsage(`invalid number: ${quote(word)}`);
    return product * Number(m[1]) * unit;
  }, 1);
  if (!Number.isSafeInteger(value)) throw new DdUsage(`invalid number: ${quote(word)}`);
  return value;
}

function parse(args: readonly string[]): Options {
  const opts: Options = { bs: 512, skip: 0, seek: 0, notrunc: false, fsync: false, quiet: false };
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const [key, value] = eq < 0 ? [arg, ""] : [arg.slice(0, eq), arg.slice(eq + 1)];
    switch (eq < 0 ? "" : key) {
      case "if": opts.input = value; break;
      case "of": opts.output = value; break;
      case "bs": opts.bs = number(value); break;
      case "count": opts.count = number(value); break;
      case "skip": opts.skip = number(value); break;
      case "seek": opts.seek = number(value); break;
      case "conv":
        for (const c of value.split(",")) {
          if (c === "notrunc") opts.notrunc = true;
          else if (c === "fsync" || c === "fdatasync") opts.fsync = true;
          else throw new DdUsage(`invalid conversion: ${quote(c)}`);
        }
        break;
      case "status":
        if (value !== "none" && value !== "noxfer" && value !== "progress") throw new DdUsage(`invalid status level: ${quote(value)}`);
        opts.quiet = value === "none";
        break;
      default:
        throw new DdUsage(`unrecognized operand ${quote(arg)}`, true);
    }
  }
  if (opts.bs === 0) throw new DdUsage(`invalid number: ${quote("0")}`);
  return opts;
}

/** human_readable() with autoscale, SI or IEC: "512 B", "1.0 MB", "52 MiB". */
export function humanSize(n: number, base: 1000 | 1024): string {
  const units = base === 1000 ? ["B", "kB", "MB", "GB", "TB"] : ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  if (i === 0) return `${Math.round(n)} B`;
  return `${v < 10 ? (Math.round(v * 10) / 10).toFixed(1) : Math.round(v)} ${units[i]}`;
}

interface Counts {
  fullIn: number;
  partialIn: number;
  fullOut: number;
  partialOut: number;
  bytes: number;
}

/** print_stats(): the two record lines and the transfer line, on stderr. */
function printStats(ctx: CommandContext, c: Counts, seconds: number): void {
  ctx.err(`${c.fullIn}+${c.partialIn} records in\n${c.fullOut}+${c.partialOut} records out\n`);
  const rate = seconds > 0 ? `${humanSize(c.bytes / seconds, 1000)}/s` : "Infinity B/s";
  const time = `${Number(seconds.toPrecision(6))} s`;
  const si = humanSize(c.bytes, 1000);
  if (/ B$/.test(si)) ctx.err(`${c.bytes} byte${c.bytes === 1 ? "" : "s"} copied, ${time}, ${rate}\n`);
  else ctx.err(`${c.bytes} bytes (${si}, ${humanSize(c.bytes, 1024)}) copied, ${time}, ${rate}\n`);
}

/** Open the input (or take stdin) and skip; open the output (or take stdout), truncate as dd does, and seek. */
function openFiles(ctx: CommandContext, o: Options): [number, number] | null {
  const libc = ctx.libc;
  let ifd = 0;
  if (o.input !== undefined) {
    try {
      ifd = libc.open(o.input, O_RDONLY);
    } catch (e) {
      report(ctx, "dd", `failed to open ${quote(o.input)}`, e);
      return null;
    }
  }
  let ofd = 1;
  if (o.output !== undefined) {
    try {
      ofd = libc.open(o.output, O_WRONLY | O_CREAT | (o.notrunc || o.seek > 0 ? 0 : O_TRUNC), 0o666);
      if (!o.notrunc && o.seek > 0 && S_ISREG(libc.fstat(ofd).mode)) libc.ftruncate(ofd, o.seek * o.bs);
    } catch (e) {
      report(ctx, "dd", `failed to open ${quote(o.output)}`, e);
      if (ifd !== 0) libc.close(ifd);
      return null;
    }
  }
  const name = (which: string | undefined, std: string) => quote(which ?? std);
  try {
    if (o.skip > 0) libc.lseek(ifd, o.skip * o.bs, SEEK_CUR);
  } catch (e) {
    report(ctx, "dd", `${name(o.input, "standard input")}: cannot skip`, e);
    return null;
  }
  try {
    if (o.seek > 0) libc.lseek(ofd, o.seek * o.bs, SEEK_CUR);
  } catch (e) {
    report(ctx, "dd", `${name(o.output, "standard output")}: cannot seek`, e);
    return null;
  }
  return [ifd, ofd];
}

function* copy(ctx: CommandContext, o: Options): CommandSteps {
  const files = openFiles(ctx, o);
  if (!files) return 1;
  const [ifd, ofd] = files;
  const libc = ctx.libc;
  const c: Counts = { fullIn: 0, partialIn: 0, fullOut: 0, partialOut: 0, bytes: 0 };
  const start = performance.now();
  let status = 0;
  try {
    while (o.count === undefined || c.fullIn + c.partialIn < o.count) {
      let block: Uint8Array;
      try {
        block = yield* libc.readSteps(ifd, o.bs);
      } catch (e) {
        if (e instanceof KernelError && e.code === "EINTR") return INTERRUPTED;
        report(ctx, "dd", `error reading ${quote(o.input ?? "standard input")}`, e);
        status = 1;
        break;
      }
      if (block.length === 0) break;
      if (block.length === o.bs) c.fullIn++;
      else c.partialIn++;
      let written = 0;
      try {
        written = libc.write(ofd, block);
      } catch (e) {
        report(ctx, "dd", `error writing ${quote(o.output ?? "standard output")}`, e);
        status = 1;
        break;
      }
      c.bytes += written;
      if (written === o.bs) c.fullOut++;
      else c.partialOut++;
      yield SCHEDULE;
    }
    if (o.fsync && status === 0) {
      try {
        libc.fsync(ofd);
      } catch (e) {
        report(ctx, "dd", `fsync failed for ${quote(o.output ?? "standard output")}`, e);
        status = 1;
      }
    }
  } finally {
    if (ifd !== 0) libc.close(ifd);
    if (ofd !== 1) libc.close(ofd);
  }
  if (!o.quiet) printStats(ctx, c, (performance.now() - start) / 1000);
  return status;
}

export const dd: CliCommand = {
  name: "dd",
  usage: "dd [if=FILE] [of=FILE] [bs=N] [count=N] [skip=N] [seek=N] [conv=notrunc]",
  help: "copy a file a block at a time (block devices too), with coreutils' summary",
  run: (args, ctx) => {
    let opts: Options;
    try {
      opts = parse(args);
    } catch (e) {
      if (!(e instanceof DdUsage)) throw e;
      ctx.err(`dd: ${e.message}\n${e.usage ? "Try 'dd --help' for more information.\n" : ""}`);
      return 1;
    }
    return copy(ctx, opts);
  },
};
