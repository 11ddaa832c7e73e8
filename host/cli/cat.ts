// cat PATH...: print files, device nodes included, read through the shell's task; coreutils' error lines.
//
// Output goes out as each read returns, so a device that is read until it would wait shows what it gave.
// A read still waiting when the shell gives up on it (see Kernel.idleUntilWoken) ends cat as Ctrl-C
// would: quietly, with status 130.

import { O_RDONLY } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { quotef, report } from "./coreutils.js";

/** What a shell reports for a command ended by SIGINT: 128 + 2. */
const INTERRUPTED = 130;

function catOne(ctx: CommandContext, path: string): number {
  const decoder = new TextDecoder();
  let fd: number;
  try {
    fd = ctx.libc.open(path, O_RDONLY);
  } catch (e) {
    report(ctx, "cat", quotef(path), e);
    return 1;
  }
  try {
    for (let chunk = ctx.libc.read(fd, 65536); chunk.length > 0; chunk = ctx.libc.read(fd, 65536)) {
      ctx.out(decoder.decode(chunk, { stream: true }));
    }
    return 0;
  } catch (e) {
    if (e instanceof KernelError && e.code === "EINTR") return INTERRUPTED;
    report(ctx, "cat", quotef(path), e);
    return 1;
  } finally {
    ctx.libc.close(fd);
  }
}

export const cat: CliCommand = {
  name: "cat",
  usage: "cat PATH...",
  help: "print files",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("cat", args, ctx, (c) => c.argument("<paths...>"));
      const paths = cmd.processedArgs[0] as string[];
      let status = 0;
      for (const path of paths) {
        const s = catOne(ctx, path);
        if (s === INTERRUPTED) return s;
        status = Math.max(status, s);
      }
      return status;
    }),
};
