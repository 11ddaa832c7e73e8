// mount [-t TYPE] [-o OPTIONS] [SOURCE DIR]: mount a filesystem by mount(2), or list the mounts, as util-linux's
// mount does; -o loop sets a loop device up over SOURCE first (autoclear: it goes with the umount).

import { MS_RDONLY } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import { getmntent, type MountEntry } from "../user/mntent.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { isDirectory, parseNumber, report } from "./coreutils.js";
import { ensureDriver, findFree, LO_FLAGS_AUTOCLEAR, setupLoop } from "./loopdev.js";

/**
 * libmount's words for what mount(2) refused (mnt_context_get_mount_excode), else the errno's own. ENOENT
 * with the mount point there is the source's.
 */
function mountError(e: KernelError, type: string, source: string, dirExists: boolean): string {
  switch (e.code) {
    case "ENODEV":
      return `unknown filesystem type '${type}'`;
    case "ENOENT":
      return dirExists ? `special device ${source} does not exist` : "mount point does not exist";
    case "ENOTDIR":
      return "mount point is not a directory";
    case "ENOTBLK":
      return `${source} is not a block device`;
    case "EBUSY":
      return `${source} already mounted or mount point busy`;
    case "EINVAL":
      return `wrong fs type, bad option, bad superblock on ${source}, missing codepage or helper program, or other error`;
    default:
      return `mount(2) system call failed: ${e.strerror}`;
  }
}

/** "SOURCE on DIR type TYPE (OPTIONS)" for each mount in /proc/mounts, or only those of one type. */
function list(ctx: CommandContext, type: string | undefined): number {
  let mounts: MountEntry[];
  try {
    mounts = getmntent(ctx.libc);
  } catch (e) {
    report(ctx, "mount", "/proc/mounts", e);
    return 1;
  }
  for (const m of mounts) if (type === undefined || m.type === type) ctx.out(`${m.fsname} on ${m.dir} type ${m.type} (${m.opts})\n`);
  return 0;
}

/** -o as mount(8) splits it: flags, the loop device's settings, and the rest for the filesystem. */
interface MountOptions {
  flags: number;
  /** -o loop: true for any free device, or the one named by loop=. */
  loop?: true | string;
  offset: number;
  data: string[];
}

function parseOptions(opts: string | undefined): MountOptions {
  const out: MountOptions = { flags: 0, offset: 0, data: [] };
  for (const opt of opts === undefined ? [] : opts.split(",")) {
    const [key, value] = opt.includes("=") ? [opt.slice(0, opt.indexOf("=")), opt.slice(opt.indexOf("=") + 1)] : [opt, undefined];
    if (key === "ro") out.flags |= MS_RDONLY;
    else if (key === "rw") out.flags &= ~MS_RDONLY;
    else if (key === "loop") out.loop = value ?? true;
    else if (key === "offset" && value !== undefined && parseNumber(value) !== undefined) out.offset = parseNumber(value)!;
    else if (opt !== "") out.data.push(opt);
  }
  return out;
}

/** mount(2), and again read-only when the source is write-protected, as util-linux retries it. */
function mountRetryingReadOnly(ctx: CommandContext, source: string, dir: string, type: string, o: MountOptions): void {
  try {
    ctx.libc.mount(source, dir, type, o.flags, o.data.join(","));
  } catch (e) {
    if (!(e instanceof KernelError) || (e.code !== "EROFS" && e.code !== "EACCES") || o.flags & MS_RDONLY) throw e;
    ctx.libc.mount(source, dir, type, o.flags | MS_RDONLY, o.data.join(","));
    ctx.err(`mount: ${dir}: WARNING: source write-protected, mounted read-only.\n`);
  }
}

function mount1(ctx: CommandContext, type: string, source: string, dir: string, o: MountOptions): number {
  let device = source;
  let loopFd: number | undefined;
  try {
    if (o.loop !== undefined) {
      const load = () => void ctx.system("modprobe -q loop");
      ensureDriver(ctx.libc, load);
      device = o.loop === true ? findFree(ctx.libc, load) : o.loop;
      loopFd = setupLoop(ctx.libc, device, source, { offset: o.offset, readOnly: (o.flags & MS_RDONLY) !== 0, flags: LO_FLAGS_AUTOCLEAR });
    }
    mountRetryingReadOnly(ctx, device, dir, type, o);
    return 0;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`mount: ${dir}: ${loopFd === undefined && o.loop !== undefined ? `failed to setup loop device for ${source}` : mountError(e, type, device, isDirectory(ctx.libc, dir))}.\n`);
    return 1;
  } finally {
    // The device's autoclear unbinds it once this last descriptor closes, unless the mount now holds it.
    if (loopFd !== undefined) ctx.libc.close(loopFd);
  }
}

export const mount: CliCommand = {
  name: "mount",
  usage: "mount [-t TYPE] [-o OPTS] [SOURCE DIR]",
  help: "mount a filesystem of TYPE on DIR (-o ro, loop, offset=N, or options for it); without SOURCE and DIR, list the mounts",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("mount", args, ctx, (c) =>
        c.option("-t, --types <type>", "the filesystem type").option("-o, --options <opts>", "mount options").argument("[source]").argument("[dir]"));
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
      return mount1(ctx, type, source, dir, parseOptions(cmd.opts().options as string | undefined));
    }),
};
