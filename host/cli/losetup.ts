// losetup: util-linux's loop device tool. `losetup [-f|DEVICE] [-r] [-o OFFSET] [-P] [--show] FILE` binds,
// `-d DEVICE...` detaches, `-f` alone prints the first free device, `-a` lists the bound in the old format
// and no arguments in --list's table.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { parseNumber } from "./coreutils.js";
import {
  detachLoop, ensureDriver, findFree, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_READ_ONLY, loopDevices, loopStatus, setupLoop,
  type LoopInfo,
} from "./loopdev.js";

/** The bound loop devices and their status. */
function bound(ctx: CommandContext): [string, LoopInfo][] {
  return loopDevices(ctx.libc).flatMap((dev) => {
    const info = loopStatus(ctx.libc, dev);
    return info ? [[dev, info] as [string, LoopInfo]] : [];
  });
}

/** --list's default columns, as libsmartcols lays them out: NAME and BACK-FILE to the left, the rest to the right. */
const COLUMNS: readonly (readonly [header: string, right: boolean, cell: (dev: string, i: LoopInfo) => string])[] = [
  ["NAME", false, (dev) => dev],
  ["SIZELIMIT", true, (_, i) => String(i.sizelimit)],
  ["OFFSET", true, (_, i) => String(i.offset)],
  ["AUTOCLEAR", true, (_, i) => (i.flags & LO_FLAGS_AUTOCLEAR ? "1" : "0")],
  ["RO", true, (_, i) => (i.flags & LO_FLAGS_READ_ONLY ? "1" : "0")],
  ["BACK-FILE", false, (_, i) => i.fileName],
  ["DIO", true, () => "0"],
  ["LOG-SEC", true, () => "512"],
];

function listTable(ctx: CommandContext): number {
  const rows = bound(ctx);
  if (rows.length === 0) return 0;
  const table = [COLUMNS.map(([h]) => h), ...rows.map(([dev, info]) => COLUMNS.map(([, , cell]) => cell(dev, info)))];
  const widths = COLUMNS.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const row of table) {
    const cells = row.map((cell, c) => (COLUMNS[c]![1] ? cell.padStart(widths[c]!) : c === row.length - 1 ? cell : cell.padEnd(widths[c]!)));
    ctx.out(`${cells.join(" ")}\n`);
  }
  return 0;
}

/** printf_loopdev(): "/dev/loop0: [0064]:12 (/tmp/file)", then ", offset N" and ", sizelimit N" when set. */
function listAll(ctx: CommandContext): number {
  for (const [dev, info] of bound(ctx)) {
    let line = `${dev}: [${String(info.device).padStart(4, "0")}]:${info.inode} (${info.fileName})`;
    if (info.offset) line += `, offset ${info.offset}`;
    if (info.sizelimit) line += `, sizelimit ${info.sizelimit}`;
    ctx.out(`${line}\n`);
  }
  return 0;
}

function detach(ctx: CommandContext, devices: readonly string[]): number {
  let status = 0;
  for (const dev of devices) {
    try {
      detachLoop(ctx.libc, dev);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      ctx.err(`losetup: ${dev}: detach failed: ${e.strerror}\n`);
      status = 1;
    }
  }
  return status;
}

interface SetupOptions {
  readonly find: boolean;
  readonly readOnly: boolean;
  readonly offset: number;
  readonly partscan: boolean;
  readonly show: boolean;
}

function setup(ctx: CommandContext, o: SetupOptions, device: string | undefined, file: string): number {
  let dev = device;
  const load = () => void ctx.system("modprobe -q loop");
  try {
    ensureDriver(ctx.libc, load);
    dev ??= findFree(ctx.libc, load);
    const size = ctx.libc.stat(file).size;
    if ((size - o.offset) % 512 !== 0) {
      ctx.err(`losetup: ${file}: Warning: file does not end on a 512-byte sector boundary; the remaining end of the file will be ignored.\n`);
    }
    ctx.libc.close(setupLoop(ctx.libc, dev, file, { offset: o.offset, readOnly: o.readOnly, flags: o.partscan ? LO_FLAGS_PARTSCAN : 0 }));
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(dev === undefined ? `losetup: cannot find an unused loop device\n` : `losetup: ${file}: failed to set up loop device: ${e.strerror}\n`);
    return 1;
  }
  if (o.show) ctx.out(`${dev}\n`);
  return 0;
}

export const losetup: CliCommand = {
  name: "losetup",
  usage: "losetup [-a] | -d DEV... | -f | [-f|DEV] [-r] [-o N] [-P] [--show] FILE",
  help: "set up and control loop devices",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("losetup", args, ctx, (c) =>
        c.option("-a, --all").option("-d, --detach").option("-f, --find").option("-r, --read-only").option("-o, --offset <offset>")
          .option("-P, --partscan").option("--show").argument("[args...]"));
      const opts = cmd.opts() as { all?: boolean; detach?: boolean; find?: boolean; readOnly?: boolean; offset?: string; partscan?: boolean; show?: boolean };
      const rest = (cmd.processedArgs[0] as string[] | undefined) ?? [];
      if (opts.detach) return detach(ctx, rest);
      if (opts.all) return listAll(ctx);
      if (rest.length === 0 && !opts.find) return listTable(ctx);
      const offset = opts.offset === undefined ? 0 : parseNumber(opts.offset);
      if (offset === undefined || offset < 0) {
        ctx.err(`losetup: failed to parse offset: '${opts.offset}'\n`);
        return 1;
      }
      const setupOpts = { find: !!opts.find, readOnly: !!opts.readOnly, offset, partscan: !!opts.partscan, show: !!opts.show };
      if (opts.find && rest.length === 0) {
        try {
          ctx.out(`${findFree(ctx.libc, () => void ctx.system("modprobe -q loop"))}\n`);
          return 0;
        } catch (e) {
          if (!(e instanceof KernelError)) throw e;
          ctx.err("losetup: cannot find an unused loop device\n");
          return 1;
        }
      }
      if (opts.find) return setup(ctx, setupOpts, undefined, rest[0]!);
      if (rest.length !== 2) {
        ctx.err("losetup: bad usage\nTry 'losetup --help' for more information.\n");
        return 1;
      }
      return setup(ctx, setupOpts, rest[0], rest[1]!);
    }),
};
