// cat PATH...: print files, device nodes included, read through the shell's task; coreutils' error lines.
//
// cat runs in steps, one read and its output each, so a file without end (/dev/zero) can be interrupted
// and other work goes on between its reads (see Session's drivers). A read that waits for data lets
// time run; one still waiting when the shell gives up on it (Kernel.idleUntilWoken) ends cat as Ctrl-C
// would: quietly, with status 130.

import { O_RDONLY } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import { parseArgs, SCHEDULE, withUsage, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";
import { quotef, report } from "./coreutils.js";

/** What a shell reports for a command ended by SIGINT: 128 + 2. */
const INTERRUPTED = 130;
/** Bytes asked for per read(2), as coreutils' cat asks for its buffer size. */
const BUFSIZE = 65536;

function* catOne(ctx: CommandContext, path: string): CommandSteps {
  const decoder = new TextDecoder();
  let fd: number;
  try {
    fd = ctx.libc.open(path, O_RDONLY);
  } catch (e) {
    report(ctx, "cat", quotef(path), e);
    return 1;
  }
  try {
    for (;;) {
      const chunk = yield* ctx.libc.readSteps(fd, BUFSIZE);
      if (chunk.length === 0) return 0;
      ctx.out(decoder.decode(chunk, { stream: true }));
      yield SCHEDULE;
    }
  } catch (e) {
    if (e instanceof KernelError && e.code === "EINTR") return INTERRUPTED;
    report(ctx, "cat", quotef(path), e);
    return 1;
  } finally {
    ctx.libc.close(fd);
  }
}

function* catAll(ctx: CommandContext, paths: readonly string[]): CommandSteps {
  let status = 0;
  for (const path of paths) {
    const s = yield* catOne(ctx, path);
    if (s === INTERRUPTED) return s;
    status = Math.max(status, s);
  }
  return status;
}

export const cat: CliCommand = {
  name: "cat",
  usage: "cat PATH...",
  help: "print files",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("cat", args, ctx, (c) => c.argument("<paths...>"));
      return catAll(ctx, cmd.processedArgs[0] as string[]);
    }),
};
