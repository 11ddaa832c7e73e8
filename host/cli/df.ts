// df [-a] [-h] [-i] [FILE...]: the mounted filesystems' space (or inodes) by statfs(2), in coreutils' layout.

import { KernelError } from "../kernel/error.js";
import { getmntent, type MountEntry } from "../user/mntent.js";
import type { Statfs } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { quotef, report } from "./coreutils.js";

/** Filesystems df leaves out unless -a (gnulib's ME_DUMMY): they hold no files of their own. */
const DUMMY = new Set(["autofs", "proc", "subfs", "debugfs", "devpts", "fusectl", "mqueue", "rpc_pipefs", "sysfs", "devfs", "kernfs", "ignore", "rootfs"]);

interface DfOptions {
  readonly all: boolean;
  readonly human: boolean;
  readonly inodes: boolean;
}

/** A column: its header, its least width, and whether it is aligned left (text) or right (numbers). */
interface Column {
  readonly header: string;
  readonly min: number;
  readonly left: boolean;
}

function columns(o: DfOptions): Column[] {
  const num = (header: string, min = 5): Column => ({ header, min, left: false });
  const middle = o.inodes
    ? [num("Inodes"), num("IUsed"), num("IFree"), num("IUse%", 4)]
    : [num(o.human ? "Size" : "1K-blocks"), num("Used"), num(o.human ? "Avail" : "Available"), num("Use%", 4)];
  return [{ header: "Filesystem", min: 14, left: true }, ...middle, { header: "Mounted on", min: 0, left: true }];
}

const UNITS = "KMGTPEZY";

/** human_readable() with -h's options (powers of 1024, rounded up): "0", "512", "1.5K", "20M". */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  let e = 0;
  let amt = bytes / 1024;
  for (; amt >= 1024 && e < UNITS.length - 1; e++) amt /= 1024;
  if (amt < 10) {
    const tenths = Math.ceil(amt * 10) / 10;
    if (tenths < 10) return `${tenths.toFixed(1)}${UNITS[e]}`;
  }
  const whole = Math.ceil(amt);
  return whole >= 1024 && e < UNITS.length - 1 ? `1.0${UNITS[e + 1]}` : `${whole}${UNITS[e]}`;
}

/** Use%: used over what a user could have (used + available), rounded up; "-" when both are 0. */
function percent(used: number, avail: number): string {
  const total = used + avail;
  return total === 0 ? "-" : `${Math.ceil((used * 100) / total)}%`;
}

/** The figures of one row, after its source and before its mount point. */
function figures(st: Statfs, o: DfOptions): string[] {
  if (o.inodes) {
    const used = st.f_files! - st.f_ffree!;
    return [String(st.f_files), String(used), String(st.f_ffree), percent(used, st.f_ffree!)];
  }
  const unit = st.f_frsize || st.f_bsize!;
  const show = (blocks: number) => (o.human ? humanSize(blocks * unit) : String(Math.ceil((blocks * unit) / 1024)));
  const used = st.f_blocks! - st.f_bfree!;
  return [show(st.f_blocks!), show(used), show(st.f_bavail!), percent(used, st.f_bavail!)];
}

/** Each column as wide as its widest cell (and its least width); the last one not padded. */
function printTable(ctx: CommandContext, cols: Column[], rows: string[][]): void {
  const all = [cols.map((c) => c.header), ...rows];
  const widths = cols.map((c, i) => Math.max(c.min, ...all.map((r) => r[i]!.length)));
  for (const r of all) {
    const cells = r.map((cell, i) => (i === r.length - 1 ? cell : cols[i]!.left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)));
    ctx.out(`${cells.join(" ")}\n`);
  }
}

/** The mount a file is on: the last one made whose root has the file's device. */
function mountOf(ctx: CommandContext, mounts: MountEntry[], file: string): MountEntry | undefined {
  const dev = ctx.libc.stat(file).dev;
  return mounts.filter((m) => {
    try {
      return ctx.libc.stat(m.dir).dev === dev;
    } catch (e) {
      if (e instanceof KernelError) return false;
      throw e;
    }
  }).pop();
}

function run(ctx: CommandContext, files: string[], o: DfOptions): number {
  let status = 0;
  const rows: string[][] = [];
  const row = (m: MountEntry, statPath: string, listed: boolean): void => {
    if (!listed && !o.all && DUMMY.has(m.type)) return;
    let st: Statfs;
    try {
      st = ctx.libc.statfs(statPath);
    } catch (e) {
      report(ctx, "df", quotef(statPath), e);
      status = 1;
      return;
    }
    if (!listed && !o.all && st.f_blocks === 0) return;
    rows.push([m.fsname, ...figures(st, o), m.dir]);
  };
  let mounts: MountEntry[];
  try {
    mounts = getmntent(ctx.libc);
  } catch (e) {
    report(ctx, "df", "/proc/mounts", e);
    return 1;
  }
  if (files.length === 0) for (const m of mounts) row(m, m.dir, false);
  for (const file of files) {
    try {
      const m = mountOf(ctx, mounts, file);
      if (m) row(m, file, true);
    } catch (e) {
      report(ctx, "df", quotef(file), e);
      status = 1;
    }
  }
  if (rows.length > 0) printTable(ctx, columns(o), rows);
  else if (status === 0) {
    ctx.err("df: no file systems processed\n");
    status = 1;
  }
  return status;
}

export const df: CliCommand = {
  name: "df",
  usage: "df [-a] [-h] [-i] [FILE...]",
  help: "show the space (-i: the inodes) used and free on each mounted filesystem, or on those holding FILEs",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("df", args, ctx, (c) =>
        c.option("-a, --all", "include pseudo and empty filesystems").option("-h, --human-readable", "sizes in powers of 1024 (1K 234M 2G)")
          .option("-i, --inodes", "inodes instead of blocks").argument("[files...]"));
      const opts = cmd.opts<{ all?: boolean; humanReadable?: boolean; inodes?: boolean }>();
      return run(ctx, cmd.processedArgs[0] as string[], { all: !!opts.all, human: !!opts.humanReadable, inodes: !!opts.inodes });
    }),
};
