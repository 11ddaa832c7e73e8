// mount [-t TYPE] [SOURCE DIR]: mount a filesystem by mount(2), or list the mounts, as util-linux's mount does.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { report } from "./coreutils.js";

/** libmount's words for what mount(2) refused (mnt_context_get_mount_excode), else the errno's own. */
function mountError(e: KernelError, type: string, source: string): string {
  switch (e.code) {
    case "ENODEV":
      return `unknown filesystem type '${type}'`;
    case "ENOENT":
      return "mount point does not exist";
    case "ENOTDIR":
      return "mount point is not a directory";
    case "EBUSY":
      return `${source} already mounted or mount point busy`;
    case "EINVAL":
      return `wrong fs type, bad option, bad superblock on ${source}, missing codepage or helper program, or other error`;
    default:
      return `mount(2) system call failed: ${e.strerror}`;
  }
}

/** /proc/mounts escapes blanks and backslashes in its fields as octal (\040); util-linux prints them plain. */
const unmangle = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** "SOURCE on DIR type TYPE (OPTIONS)" for each mount in /proc/mounts, or only those of one type. */
function list(ctx: CommandContext, type: string | undefined): number {
  let mounts: string;
  try {
    mounts = new TextDecoder().decode(ctx.libc.readFile("/proc/mounts"));
  } catch (e) {
    report(ctx, "mount", "/proc/mounts", e);
    return 1;
  }
  const rows = mounts.split("\n").filter((l) => l !== "").map((l) => l.split(" "));
  for (const [dev, dir, fstype, opts] of rows) {
    if (type === undefined || fstype === type) ctx.out(`${unmangle(dev!)} on ${unmangle(dir!)} type ${fstype} (${opts})\n`);
  }
  return 0;
}

function mount1(ctx: CommandContext, type: string, source: string, dir: string): number {
  try {
    ctx.libc.mount(source, dir, type);
    return 0;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`mount: ${dir}: ${mountError(e, type, source)}.\n`);
    return 1;
  }
}

export const mount: CliCommand = {
  name: "mount",
  usage: "mount [-t TYPE] [SOURCE DIR]",
  help: "mount a filesystem of TYPE on DIR; without SOURCE and DIR, list the mounts (of TYPE)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("mount", args, ctx, (c) => c.option("-t, --types <type>", "the filesystem type").argument("[source]").argument("[dir]"));
      const type = cmd.opts().types as string | undefined;
      const [source, dir] = cmd.processedArgs as [string?, string?];
      if (source === undefined) return list(ctx, type);
      // Without both operands util-linux would look the one given up in /etc/fstab, which this system has not.
      if (dir === undefined) {
        ctx.err(`mount: ${source}: can't find in /etc/fstab.\n`);
        return 1;
      }
      if (type === undefined) {
        ctx.err(`mount: ${dir}: no filesystem type specified.\n`);
        return 1;
      }
      return mount1(ctx, type, source, dir);
    }),
};
