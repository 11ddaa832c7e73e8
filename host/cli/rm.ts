// rm [-r] [-f] PATH...: remove files, and with -r directories with everything below them (symlinks are not
// followed), as coreutils' rm: directories last, each through unlinkat(2), so a module guarding it has its say.
//
// -r walks the tree depth first with a stack of its own, not by recursion, so no depth overflows the host's
// stack; and as fts does, it reaches a deep directory through a descriptor opened part way down, so no path
// it passes grows past PATH_MAX however deep the tree.

import { basename } from "node:path";
import { AT_FDCWD, AT_REMOVEDIR, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from "../../abi/fcntl.js";
import { DT_DIR, S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Dirent } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { exitStatus, pathIn, quote, report } from "./coreutils.js";

interface RmOptions {
  readonly recursive: boolean;
  readonly force: boolean;
}

/** A name as the *at() calls take it: a path relative to a directory descriptor (or AT_FDCWD). */
interface At {
  readonly fd: number;
  readonly path: string;
}

/** A directory rm -r is emptying. */
interface Level {
  /** The path rm prints for it. */
  readonly shown: string;
  /** Where unlinkat(2) removes it from once it is empty. */
  readonly self: At;
  /** Where its entries are: through a descriptor of its own once the path to it grew long, else as self. */
  readonly base: At;
  /** The entries still to remove, last first. */
  readonly entries: Dirent[];
  /** Nothing below it has stayed so far. */
  ok: boolean;
}

/**
 * A path is not extended past this many bytes: the directory it names is opened, and the walk goes on from
 * that descriptor. Short, so each step's lookup is short; one descriptor per span, so a tree as deep as
 * RLIMIT_NOFILE spans fits (past that, EMFILE is the error).
 */
const PATH_SPAN = 256;
const encoder = new TextEncoder();

/** Report why path stays, unless -f and it is not there at all. Returns whether rm may count it as gone. */
function failed(ctx: CommandContext, path: string, e: unknown, o: RmOptions): boolean {
  if (o.force && e instanceof KernelError && e.code === "ENOENT") return true;
  report(ctx, "rm", `cannot remove ${quote(path)}`, e);
  return false;
}

/** An operand: a file goes at once, a directory (with -r) is emptied first, depth first. False when anything stays. */
function remove(ctx: CommandContext, path: string, o: RmOptions): boolean {
  const stack: Level[] = [];
  try {
    if (!S_ISDIR(ctx.libc.lstat(path).mode)) {
      ctx.libc.unlink(path);
      return true;
    }
    if (!o.recursive) throw new KernelError("EISDIR", `${path}: Is a directory`);
    stack.push(descend(ctx, path, { fd: AT_FDCWD, path }));
  } catch (e) {
    return failed(ctx, path, e, o);
  }
  let gone = true;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const entry = top.entries.pop();
    if (entry) {
      top.ok = removeEntry(ctx, top, entry, stack, o) && top.ok;
      continue;
    }
    stack.pop();
    gone = removeEmptied(ctx, top, o);
    if (stack.length > 0) stack[stack.length - 1]!.ok &&= gone;
  }
  return gone;
}

/** A directory to empty, reached as self: listed through a descriptor of its own when self's path is long. */
function descend(ctx: CommandContext, shown: string, self: At): Level {
  if (encoder.encode(self.path).length <= PATH_SPAN) return level(ctx, shown, self, self);
  const base = { fd: ctx.libc.openat(self.fd, self.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), path: "." };
  try {
    return level(ctx, shown, self, base);
  } catch (e) {
    ctx.libc.close(base.fd);
    throw e;
  }
}

/** A directory's entries, listed through base. */
function level(ctx: CommandContext, shown: string, self: At, base: At): Level {
  const fd = ctx.libc.openat(base.fd, base.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const entries = ctx.libc.getdents(fd).filter((d) => d.name !== "." && d.name !== "..").reverse();
    return { shown, self, base, entries, ok: true };
  } finally {
    ctx.libc.close(fd);
  }
}

/** One entry of top: anything but a directory is unlinked; a directory is pushed, to be emptied. False when it stays. */
function removeEntry(ctx: CommandContext, top: Level, entry: Dirent, stack: Level[], o: RmOptions): boolean {
  const shown = pathIn(top.shown, entry.name);
  const self = { fd: top.base.fd, path: pathIn(top.base.path, entry.name) };
  try {
    // d_type may be DT_UNKNOWN: unlinkat's EISDIR then tells a directory.
    if (entry.type !== DT_DIR && unlinkUnlessDirectory(ctx, self)) return true;
    stack.push(descend(ctx, shown, self));
    return true;
  } catch (e) {
    return failed(ctx, shown, e, o);
  }
}

function unlinkUnlessDirectory(ctx: CommandContext, at: At): boolean {
  try {
    ctx.libc.unlinkat(at.fd, at.path, 0);
    return true;
  } catch (e) {
    if (e instanceof KernelError && e.code === "EISDIR") return false;
    throw e;
  }
}

/** A directory whose entries are done: closed if it had a descriptor of its own, removed if nothing below it stayed. */
function removeEmptied(ctx: CommandContext, dir: Level, o: RmOptions): boolean {
  if (dir.base !== dir.self) ctx.libc.close(dir.base.fd);
  if (!dir.ok) return false;
  try {
    ctx.libc.unlinkat(dir.self.fd, dir.self.path, AT_REMOVEDIR);
    return true;
  } catch (e) {
    return failed(ctx, dir.shown, e, o);
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
