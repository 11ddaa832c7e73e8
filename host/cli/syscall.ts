// syscall NAME|NR [ARG...]: make one raw system call as the shell's task and print its return, strace-style.
//
// An argument that reads as a C integer (decimal, 0x hex, 0 octal, perhaps negative) is passed as that
// number; any other word is copied into the task's memory as a C string and passed as its address. A call
// that ends the shell's task (exit) prints as strace prints it; the session then goes on in a new shell.

import { errnoName, strerror } from "../../abi/errno.js";
import { WEXITSTATUS } from "../../abi/signal.js";
import { SYSCALLS, syscallName, type SyscallName } from "../../abi/syscalls.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { parseNumber } from "./coreutils.js";

/** The number of a system call named by its x86_64 name or its number; undefined for neither. */
function syscallNumber(word: string): number | undefined {
  if (Object.hasOwn(SYSCALLS, word)) return SYSCALLS[word as SyscallName];
  const nr = parseNumber(word);
  return nr !== undefined && nr >= 0 ? nr : undefined;
}

/** strace's way with a return: the value, or -1 and the errno's name and text. */
function formatReturn(ret: number): string {
  if (ret >= 0) return String(ret);
  return `-1 ${errnoName(-ret) ?? `ERRNO_${-ret}`} (${strerror(-ret)})`;
}

/** A call that ended the task (exit, exit_group) never returns: strace's "= ?" and the status it exited with. */
function exited(ctx: CommandContext, nr: number, status: number): number {
  ctx.out(`syscall(${syscallName(nr) ?? nr}) = ?\n+++ exited with ${WEXITSTATUS(status)} +++\n`);
  return WEXITSTATUS(status);
}

export const syscall: CliCommand = {
  name: "syscall",
  usage: "syscall NAME|NR [ARG...]",
  help: "make a raw system call: numbers as they are, other words as C strings",
  run: (args, ctx) =>
    withUsage(() => {
      // Arguments are operands even when they look like options (-100 is AT_FDCWD).
      const cmd = parseArgs("syscall", args, ctx, (c) => c.argument("<name>").argument("[args...]").allowUnknownOption());
      const [name, words] = cmd.processedArgs as [string, string[]];
      const nr = syscallNumber(name);
      if (nr === undefined) {
        ctx.err(`syscall: ERROR: unknown system call '${name}'\n`);
        return 1;
      }
      const task = ctx.libc.task;
      const ret = ctx.libc.syscall(nr, ...words.map((w) => parseNumber(w) ?? w));
      if (task.exitCode !== null) return exited(ctx, nr, task.exitCode);
      ctx.out(`syscall(${syscallName(nr) ?? nr}) = ${formatReturn(ret)}\n`);
      return ret < 0 ? 1 : 0;
    }),
};
