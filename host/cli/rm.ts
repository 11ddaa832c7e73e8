// rm [-r] [-f] PATH...: remove files, and with -r directories with everything below them (symlinks are not
// followed), as coreutils' rm: directories last, each through unlinkat(2), so a module guarding it has its say.

import { basename } from "node:path";
import { S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { exitStatus, pathIn, quote, report } from "./coreutils.js";

interface RmOptions {
  readonly recursive: boolean;
  readonly force: boolean;
}

/** Report why path stays, unless -f and it is not there at all. Returns whether rm may count it as gone. */
function failed(ctx: CommandContext, path: string, e: unknown, o: RmOptions): boolean {
  if (o.force && e instanceof KernelError && e.code === "ENOENT") return true;
  report(ctx, "rm", `cannot remove ${quote(path)}`, e);
  return false;
}

/** Remove path, and with -r what is below it first. Throws what stopped it; false when something below stayed. */
function removeOne(ctx: CommandContext, path: string, o: RmOptions): boolean {
  if (!S_ISDIR(ctx.libc.lstat(path).mode)) {
    ctx.libc.unlink(path);
    return true;
  }
  if (!o.recursive) throw new KernelError("EISDIR", `${path}: Is a directory`);
  const names = ctx.libc.readdir(path).map((d) => d.name).filter((n) => n !== "." && n !== "..");
  if (!names.map((n) => remove(ctx, pathIn(path, n), o)).every(Boolean)) return false;
  ctx.libc.rmdir(path);
  return true;
}

/** removeOne, saying why a path stays; false when anything does. */
function remove(ctx: CommandContext, path: string, o: RmOptions): boolean {
  try {
    return removeOne(ctx, path, o);
  } catch (e) {
    return failed(ctx, path, e, o);
  }
}

function sameFile(ctx: CommandContext, a: string, b: string): boolean {
  try {
    const [x, y] = [ctx.libc.lstat(a), ctx.libc.lstat(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}

/** POSIX's checks on an operand of rm -r: never "." or "..", and never / itself (--preserve-root). */
function refused(ctx: CommandContext, path: string): boolean {
  const last = basename(path);
  if (last === "." || last === "..") {
    ctx.err(`rm: refusing to remove '.' or '..' directory: skipping ${quote(path)}\n`);
    return true;
  }
  if (!sameFile(ctx, path, "/")) return false;
  ctx.err(`rm: it is dangerous to operate recursively on ${quote(path)}${path === "/" ? "" : " (same as '/')"}\n`);
  ctx.err("rm: use --no-preserve-root to override this failsafe\n");
  return true;
}

export const rm: CliCommand = {
  name: "rm",
  usage: "rm [-r] [-f] PATH...",
  help: "remove files; -r directories and their contents, -f ignores missing files",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("rm", args, ctx, (c) =>
        c.option("-r, --recursive", "remove directories and their contents").option("-f, --force", "ignore missing files").argument("<paths...>"),
      );
      const o: RmOptions = { recursive: cmd.opts().recursive === true, force: cmd.opts().force === true };
      const paths = cmd.processedArgs[0] as string[];
      return exitStatus(paths.map((path) => !(o.recursive && refused(ctx, path)) && remove(ctx, path, o)));
    }),
};
