// mkdir [-p] DIR...: make directories (0777 before the umask), with -p their missing parents too.

import { dirname } from "node:path";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { exitStatus, isDirectory, quote, report } from "./coreutils.js";

/** A directory that could not be made, named for the message (with -p, perhaps a parent of the operand). */
class MkdirError extends Error {
  constructor(
    readonly dir: string,
    readonly error: KernelError,
  ) {
    super(`${dir}: ${error.message}`);
  }
}

function mkdirOne(libc: Libc, dir: string): void {
  try {
    libc.mkdir(dir);
  } catch (e) {
    throw e instanceof KernelError ? new MkdirError(dir, e) : e;
  }
}

/**
 * make_dir_parents(): where a parent is missing make it first; a directory that already exists is no error.
 * The missing ancestors are collected going up and made coming down, with no recursion however deep.
 */
function mkdirParents(libc: Libc, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      mkdirOne(libc, d);
      break;
    } catch (e) {
      if (!(e instanceof MkdirError)) throw e;
      if (e.error.code === "ENOENT" && dirname(d) !== d) missing.push(d);
      else if (!isDirectory(libc, d)) throw e;
      else break;
    }
  }
  for (const d of missing.reverse()) mkdirOne(libc, d);
}

function make(ctx: CommandContext, dir: string, parents: boolean): boolean {
  try {
    (parents ? mkdirParents : mkdirOne)(ctx.libc, dir);
    return true;
  } catch (e) {
    if (!(e instanceof MkdirError)) throw e;
    report(ctx, "mkdir", `cannot create directory ${quote(e.dir)}`, e.error);
    return false;
  }
}

export const mkdir: CliCommand = {
  name: "mkdir",
  usage: "mkdir [-p] DIR...",
  help: "make directories; -p makes missing parents and accepts existing ones",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("mkdir", args, ctx, (c) => c.option("-p, --parents", "make parents as needed").argument("<dirs...>"));
      const parents = cmd.opts().parents === true;
      return exitStatus((cmd.processedArgs[0] as string[]).map((dir) => make(ctx, dir, parents)));
    }),
};
