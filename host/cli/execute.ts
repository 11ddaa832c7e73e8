// A command word with a '/' is a program: the shell forks, the child execs the file with the words as
// argv, and the shell waits for it (execute_disk_command in bash, with no PATH search).
//
// The child has the shell's root, cwd and descriptors, so the program's output reaches the session's
// terminal, and the shell's environment. The status is the program's exit status, 128 + the signal that killed it (the signal named on
// stderr, as bash names it), 127 when there is no such file, and 126 when it cannot be executed.

import { strsignal, W_EXITCODE, WEXITSTATUS, WIFSIGNALED, WTERMSIG } from "../../abi/signal.js";
import { KernelError } from "../kernel/error.js";
import type { CommandContext } from "./command.js";

export function execute(ctx: CommandContext, argv: readonly string[]): number {
  const path = argv[0]!;
  const child = ctx.kernel.fork(ctx.libc);
  let status: number;
  try {
    status = child.execve(path, argv, [...ctx.env].map(([k, v]) => `${k}=${v}`));
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`wasm-lkm: ${path}: ${e.strerror}\n`);
    const code = e.code === "ENOENT" ? 127 : 126;
    ctx.kernel.tasks.exit(child.task, W_EXITCODE(code));
    return code;
  }
  if (!WIFSIGNALED(status)) return WEXITSTATUS(status);
  ctx.err(`${strsignal(WTERMSIG(status))}\n`);
  return 128 + WTERMSIG(status);
}
