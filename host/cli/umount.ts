// umount DIR: unmount the filesystem mounted on DIR by umount2(2), with util-linux's words for a refusal.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";

/** libmount's words for what umount(2) refused (mnt_context_get_umount_excode). */
const UMOUNT_ERRORS = new Map([
  ["EINVAL", "not mounted"],
  ["EBUSY", "target is busy"],
  ["ENOENT", "no mount point specified"],
  ["EPERM", "must be superuser to unmount"],
]);

export const umount: CliCommand = {
  name: "umount",
  usage: "umount DIR",
  help: "unmount the filesystem on DIR (refused while anything uses it)",
  run: (args, ctx) =>
    withUsage(() => {
      const dir = parseArgs("umount", args, ctx, (c) => c.argument("<dir>")).processedArgs[0] as string;
      try {
        ctx.libc.umount(dir);
        return 0;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`umount: ${dir}: ${UMOUNT_ERRORS.get(e.code ?? "") ?? `umount(2) system call failed: ${e.strerror}`}.\n`);
        return 1;
      }
    }),
};
