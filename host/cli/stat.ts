// stat [-f] PATH...: a file's inode in coreutils' default layout (lstat: a symlink is shown, not followed),
// or with -f the filesystem it is on (statfs).

import { major, minor, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK, S_ISBLK, S_ISCHR, S_ISLNK } from "../../abi/stat.js";
import { DEBUGFS_MAGIC, EXT2_SUPER_MAGIC, MSDOS_SUPER_MAGIC, PROC_SUPER_MAGIC, RAMFS_MAGIC, SYSFS_MAGIC, TMPFS_MAGIC } from "../../abi/magic.js";
import type { Stat, Statfs } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { attempt, exitStatus, idName, modeString, quote, quotef } from "./coreutils.js";

const TYPE_NAMES = new Map([
  [S_IFDIR, "directory"], [S_IFLNK, "symbolic link"], [S_IFCHR, "character special file"],
  [S_IFBLK, "block special file"], [S_IFIFO, "fifo"], [S_IFSOCK, "socket"],
]);

/** file_type(): %F, which tells an empty regular file from one with data. */
function fileType(st: Stat): string {
  return TYPE_NAMES.get(st.mode & S_IFMT) ?? (st.size === 0 ? "regular empty file" : "regular file");
}

/** %x, %y, %z: "2023-11-23 02:13:00.123456789 +0000", in UTC as the system has no /etc/localtime. */
function statTime(sec: number, nsec: number): string {
  const iso = new Date(sec * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(nsec).padStart(9, "0")} +0000`;
}

/** "%5u/%8U": the id right-aligned, then its name (UNKNOWN without one). */
function owner(id: number): string {
  return `${String(id).padStart(5)}/${(idName(id) ?? "UNKNOWN").padStart(8)}`;
}

/** coreutils' default format: File, Size, Device (and Device type for a device), Access, the times, Birth. */
function format(path: string, st: Stat, target: string | undefined): string {
  const isDevice = S_ISCHR(st.mode) || S_ISBLK(st.mode);
  const links = isDevice ? `${String(st.nlink).padEnd(5)} Device type: ${major(st.rdev)},${minor(st.rdev)}` : String(st.nlink);
  const perms = (st.mode & 0o7777).toString(8).padStart(4, "0");
  return (
    `  File: ${quotef(path)}${target === undefined ? "" : ` -> ${quotef(target)}`}\n` +
    `  Size: ${String(st.size).padEnd(10)}\tBlocks: ${String(st.blocks).padEnd(10)} IO Block: ${String(st.blksize).padEnd(6)} ${fileType(st)}\n` +
    `Device: ${major(st.dev)},${minor(st.dev)}\tInode: ${String(st.ino).padEnd(10)}  Links: ${links}\n` +
    `Access: (${perms}/${modeString(st.mode)})  Uid: (${owner(st.uid)})   Gid: (${owner(st.gid)})\n` +
    `Access: ${statTime(st.atime, st.atimeNsec)}\nModify: ${statTime(st.mtime, st.mtimeNsec)}\nChange: ${statTime(st.ctime, st.ctimeNsec)}\n` +
    " Birth: -\n"
  );
}

/** human_fstype(): %T, the name of a filesystem's magic. */
const FS_TYPE_NAMES = new Map([
  [RAMFS_MAGIC, "ramfs"], [TMPFS_MAGIC, "tmpfs"], [PROC_SUPER_MAGIC, "proc"], [SYSFS_MAGIC, "sysfs"], [DEBUGFS_MAGIC, "debugfs"],
  [MSDOS_SUPER_MAGIC, "msdos"], [EXT2_SUPER_MAGIC, "ext2/ext3"],
]);

/** coreutils' default format with -f: ID is f_fsid's two words as one hex number, the first word high. */
function formatFs(path: string, st: Statfs): string {
  const id = ((BigInt(st.f_fsid0! >>> 0) << 32n) | BigInt(st.f_fsid1! >>> 0)).toString(16);
  const type = FS_TYPE_NAMES.get(st.f_type!) ?? `UNKNOWN (0x${st.f_type!.toString(16)})`;
  return (
    `  File: "${path}"\n` +
    `    ID: ${id.padEnd(8)} Namelen: ${String(st.f_namelen).padEnd(7)} Type: ${type}\n` +
    `Block size: ${String(st.f_bsize).padEnd(10)} Fundamental block size: ${st.f_frsize}\n` +
    `Blocks: Total: ${String(st.f_blocks).padEnd(10)} Free: ${String(st.f_bfree).padEnd(10)} Available: ${st.f_bavail}\n` +
    `Inodes: Total: ${String(st.f_files).padEnd(10)} Free: ${st.f_ffree}\n`
  );
}

function showFs(ctx: CommandContext, path: string): boolean {
  return attempt(ctx, "stat", `cannot read file system information for ${quote(path)}`, () => ctx.out(formatFs(path, ctx.libc.statfs(path))));
}

/** coreutils' stat asks statx(2), which this kernel lacks, so lstat(2) stands in and birth is unknown ("-"). */
function show(ctx: CommandContext, path: string): boolean {
  return attempt(ctx, "stat", `cannot statx ${quote(path)}`, () => {
    const st = ctx.libc.lstat(path);
    ctx.out(format(path, st, S_ISLNK(st.mode) ? ctx.libc.readlink(path) : undefined));
  });
}

export const stat: CliCommand = {
  name: "stat",
  usage: "stat [-f] PATH...",
  help: "show a file's inode: size, type, device, inode, links, mode, owner, times; -f: its filesystem's figures",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("stat", args, ctx, (c) => c.option("-f, --file-system", "show the filesystem's status").argument("<paths...>"));
      const fs = cmd.opts<{ fileSystem?: boolean }>().fileSystem === true;
      return exitStatus((cmd.processedArgs[0] as string[]).map((p) => (fs ? showFs(ctx, p) : show(ctx, p))));
    }),
};
