// sync: write every block device's dirty buffers back (sync(2)), as coreutils' sync does without operands.

import { SYSCALLS } from "../../abi/syscalls.js";
import type { CliCommand } from "./command.js";

export const sync: CliCommand = {
  name: "sync",
  usage: "sync",
  help: "write cached block device data back to the devices",
  run: (_args, ctx) => (ctx.libc.syscall(SYSCALLS.sync) < 0 ? 1 : 0),
};
