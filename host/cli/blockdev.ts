// blockdev COMMAND... DEVICE...: util-linux's block device ioctls from the command line: --getsize64,
// --getsz, --getss, --getbsz, --getro print a line each; --rereadpt and --flushbufs act.

import { O_NONBLOCK, O_RDONLY } from "../../abi/fcntl.js";
import { BLKBSZGET, BLKFLSBUF, BLKGETSIZE64, BLKROGET, BLKRRPART, BLKSSZGET } from "../block/ioctl.js";
import { KernelError } from "../kernel/error.js";
import type { CliCommand, CommandContext } from "./command.js";

interface BlockdevCommand {
  readonly ioc: number;
  readonly name: string;
  /** Bytes the ioctl fills in, and how the result prints; none for one that only acts. */
  readonly out?: { readonly size: 4 | 8; readonly show: (value: bigint) => string };
}

const asIs = (v: bigint) => String(v);

const BLOCKDEV_COMMANDS: Readonly<Record<string, BlockdevCommand>> = {
  "--getsize64": { ioc: BLKGETSIZE64, name: "BLKGETSIZE64", out: { size: 8, show: asIs } },
  "--getsz": { ioc: BLKGETSIZE64, name: "BLKGETSIZE64", out: { size: 8, show: (v) => String(v / 512n) } },
  "--getss": { ioc: BLKSSZGET, name: "BLKSSZGET", out: { size: 4, show: asIs } },
  "--getbsz": { ioc: BLKBSZGET, name: "BLKBSZGET", out: { size: 4, show: asIs } },
  "--getro": { ioc: BLKROGET, name: "BLKROGET", out: { size: 4, show: asIs } },
  "--rereadpt": { ioc: BLKRRPART, name: "BLKRRPART" },
  "--flushbufs": { ioc: BLKFLSBUF, name: "BLKFLSBUF" },
};

/** Run each command on one device; false after the first that fails (util-linux goes on to the next device). */
function onDevice(ctx: CommandContext, commands: readonly BlockdevCommand[], device: string): boolean {
  let fd: number;
  try {
    fd = ctx.libc.open(device, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`blockdev: cannot open ${device}: ${e.strerror}\n`);
    return false;
  }
  try {
    for (const c of commands) {
      try {
        const { data } = ctx.libc.ioctl(fd, c.ioc, c.out ? new Uint8Array(c.out.size) : 0);
        if (!c.out) continue;
        const view = new DataView(data.buffer);
        ctx.out(`${c.out.show(c.out.size === 8 ? view.getBigUint64(0, true) : BigInt(view.getInt32(0, true)))}\n`);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`blockdev: ioctl error on ${c.name}: ${e.strerror}\n`);
        return false;
      }
    }
    return true;
  } finally {
    ctx.libc.close(fd);
  }
}

export const blockdev: CliCommand = {
  name: "blockdev",
  usage: "blockdev --getsize64|--getsz|--getss|--getbsz|--getro|--rereadpt|--flushbufs... DEVICE...",
  help: "call block device ioctls: print sizes, reread the partition table, flush buffers",
  run: (args, ctx) => {
    const commands = args.filter((a) => a.startsWith("-"));
    const devices = args.filter((a) => !a.startsWith("-"));
    const unknown = commands.find((c) => !BLOCKDEV_COMMANDS[c]);
    if (unknown !== undefined || commands.length === 0 || devices.length === 0) {
      ctx.err(unknown !== undefined ? `blockdev: Unknown command: ${unknown}\n` : "blockdev: no command specified\n");
      ctx.err("Usage:\n blockdev [-v|-q] commands devices\n");
      return 1;
    }
    const results = devices.map((d) => onDevice(ctx, commands.map((c) => BLOCKDEV_COMMANDS[c]!), d));
    return results.every(Boolean) ? 0 : 1;
  },
};
