// ls [-a] [-l] [PATH...]: list directories and files as coreutils' ls does when its output is not a terminal:
// one name a line, sorted as in the C locale; files named on the line first, then each directory's entries.

import { major, minor, S_ISBLK, S_ISCHR, S_ISDIR, S_ISLNK } from "../../abi/stat.js";
import type { Stat } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { idName, isDirectory, modeString, pathIn, quote, report } from "./coreutils.js";

interface LsOptions {
  readonly all: boolean;
  readonly long: boolean;
}

/** A file as ls -l shows it: its name, its lstat, and where it points if it is a symlink. */
interface Entry {
  readonly name: string;
  readonly st: Stat;
  readonly target: string | undefined;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A Gregorian year's average length, halved: a date older than this, or in the future, shows its year. */
const SIX_MONTHS_NS = (31556952n / 2n) * 1_000_000_000n;

/**
 * The date column: "%b %e %H:%M" when recent, "%b %e  %Y" otherwise. In UTC: the system has no /etc/localtime,
 * and glibc without one keeps UTC.
 */
function lsDate(sec: number, recent: boolean): string {
  const d = new Date(sec * 1000);
  const day = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)}`;
  return recent ? `${day} ${d.toISOString().slice(11, 16)}` : `${day}  ${d.getUTCFullYear()}`;
}

const isDevice = (st: Stat) => S_ISCHR(st.mode) || S_ISBLK(st.mode);

/** The size column, right-aligned: bytes, or "major, minor" for a device with each number aligned as well. */
function sizeColumn(stats: readonly Stat[]): string[] {
  const devices = stats.filter(isDevice);
  const majorWidth = Math.max(0, ...devices.map((st) => String(major(st.rdev)).length));
  const minorWidth = Math.max(0, ...devices.map((st) => String(minor(st.rdev)).length));
  const deviceWidth = devices.length > 0 ? majorWidth + 2 + minorWidth : 0;
  const width = Math.max(deviceWidth, ...stats.filter((st) => !isDevice(st)).map((st) => String(st.size).length));
  return stats.map((st) =>
    isDevice(st)
      ? `${String(major(st.rdev)).padStart(majorWidth + width - deviceWidth)}, ${String(minor(st.rdev)).padStart(minorWidth)}`
      : String(st.size).padStart(width),
  );
}

/** ls -l lines: mode, links, owner and group (a name, else the number), size, date, name, "-> target". */
function longFormat(entries: readonly Entry[], date: (st: Stat) => string): string {
  const columns = (f: (st: Stat) => string) => entries.map((e) => f(e.st));
  const widthOf = (col: readonly string[]) => Math.max(0, ...col.map((s) => s.length));
  const links = columns((st) => String(st.nlink));
  const owners = columns((st) => idName(st.uid) ?? String(st.uid));
  const groups = columns((st) => idName(st.gid) ?? String(st.gid));
  const sizes = sizeColumn(entries.map((e) => e.st));
  const [lw, ow, gw] = [widthOf(links), widthOf(owners), widthOf(groups)];
  return entries
    .map((e, i) => {
      const target = e.target === undefined ? "" : ` -> ${e.target}`;
      return `${modeString(e.st.mode)} ${links[i]!.padStart(lw)} ${owners[i]!.padEnd(ow)} ${groups[i]!.padEnd(gw)} ${sizes[i]} ${date(e.st)} ${e.name}${target}\n`;
    })
    .join("");
}

/**
 * One run of ls: what it lists, and its exit status as coreutils': 2 ("serious trouble") when a file named on
 * the command line could not be listed, 1 ("minor problems") when only something inside a directory could not.
 */
class Lister {
  status = 0;
  /** The kernel's wall clock, read as ls starts and again whenever a file seems to be from the future. */
  private now: bigint;

  constructor(
    private readonly ctx: CommandContext,
    private readonly o: LsOptions,
  ) {
    this.now = ctx.kernel.realtimeNs();
  }

  /**
   * st's mtime for the date column: recent if within the last six months. Unlike coreutils a time equal to
   * now is recent too, since the kernel's clock ticks in milliseconds and a file made just now often has it.
   */
  private date(st: Stat): string {
    const when = BigInt(st.mtime) * 1_000_000_000n + BigInt(st.mtimeNsec);
    if (when > this.now) this.now = this.ctx.kernel.realtimeNs();
    return lsDate(st.mtime, this.now - SIX_MONTHS_NS < when && when <= this.now);
  }

  private failed(what: string, e: unknown, operand: boolean): undefined {
    report(this.ctx, "ls", what, e);
    this.status = Math.max(this.status, operand ? 2 : 1);
    return undefined;
  }

  /** lstat a file (and readlink a symlink); undefined, having said so, when it cannot be accessed. */
  entry(path: string, name: string, operand = false): Entry | undefined {
    const libc = this.ctx.libc;
    try {
      const st = libc.lstat(path);
      return { name, st, target: S_ISLNK(st.mode) ? libc.readlink(path) : undefined };
    } catch (e) {
      return this.failed(`cannot access ${quote(path)}`, e, operand);
    }
  }

  /** Whether an operand is listed as a directory: without -l, a symlink to one counts, as on the command line. */
  isDirectoryOperand(entry: Entry): boolean {
    return S_ISDIR(entry.st.mode) || (!this.o.long && entry.target !== undefined && isDirectory(this.ctx.libc, entry.name));
  }

  files(entries: readonly Entry[]): string {
    return this.o.long ? longFormat(entries, (st) => this.date(st)) : entries.map((e) => `${e.name}\n`).join("");
  }

  /** A directory's listing, under "DIR:" when more than one operand was named; undefined when it cannot be read. */
  directory(dir: string, header: boolean): string | undefined {
    let names: string[];
    try {
      names = this.ctx.libc.readdir(dir).map((d) => d.name);
    } catch (e) {
      return this.failed(`cannot open directory ${quote(dir)}`, e, true);
    }
    names = names.filter((n) => this.o.all || !n.startsWith(".")).sort(byName);
    const head = header ? `${dir}:\n` : "";
    if (!this.o.long) return `${head}${names.map((n) => `${n}\n`).join("")}`;
    const entries = names.map((n) => this.entry(pathIn(dir, n), n)).filter((e) => e !== undefined);
    // st_blocks counts 512-byte units; ls's total counts 1024-byte ones, rounding up.
    const total = Math.ceil(entries.reduce((n, e) => n + e.st.blocks, 0) / 2);
    return `${head}total ${total}\n${this.files(entries)}`;
  }
}

export const ls: CliCommand = {
  name: "ls",
  usage: "ls [-a] [-l] [PATH...]",
  help: "list directory contents; -a shows dot entries, -l the long format",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("ls", args, ctx, (c) =>
        c.option("-a, --all", "do not hide entries starting with .").option("-l", "use a long listing format").argument("[paths...]"),
      );
      const opts = cmd.opts();
      const operands = cmd.processedArgs[0] as string[];
      const lister = new Lister(ctx, { all: opts.all === true, long: opts.l === true });
      const found = (operands.length > 0 ? operands : ["."]).map((p) => lister.entry(p, p, true)).filter((e) => e !== undefined);
      found.sort((a, b) => byName(a.name, b.name));
      const dirs = found.filter((e) => lister.isDirectoryOperand(e));
      const files = found.filter((e) => !dirs.includes(e));
      const blocks = files.length > 0 ? [lister.files(files)] : [];
      for (const d of dirs) blocks.push(lister.directory(d.name, operands.length > 1) ?? "");
      ctx.out(blocks.filter((b) => b !== "").join("\n"));
      return lister.status;
    }),
};
