// setpriv --reuid=UID --regid=GID --clear-groups|--groups=G,.. COMMAND...: run a command as another user, as
// util-linux's setpriv does (the set*id calls, then exec): here in a forked child of the shell, which ends with it.

import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";

/** SETPRIV_EXIT_PRIVERR: a privilege change failed, so the command never ran. */
const EXIT_PRIVERR = 127;

/** get_user()/get_group() without /etc/passwd: a number, or strtol_or_err's "failed to parse X: 'S'". */
function parseId(value: string | undefined, what: string): number | undefined | string {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) && Number(value) < 0xffffffff ? Number(value) : `setpriv: failed to parse ${what}: '${value}'\n`;
}

interface Change {
  uid?: number;
  gid?: number;
  /** The supplementary groups to set; undefined with --keep-groups. */
  groups?: number[];
}

/** The changes the options ask for, or the message that refuses them. */
function change(opts: Record<string, string | boolean | undefined>): Change | string {
  const uid = parseId(opts.reuid as string | undefined, "reuid");
  const gid = parseId(opts.regid as string | undefined, "regid");
  for (const v of [uid, gid]) if (typeof v === "string") return v;
  const groupOpts = [opts.clearGroups, opts.keepGroups, opts.groups].filter((o) => o !== undefined).length;
  if (groupOpts > 1) return "setpriv: --keep-groups, --clear-groups and --groups are mutually exclusive\n";
  if (gid !== undefined && groupOpts === 0) return "setpriv: --[re]gid requires --keep-groups, --clear-groups, --init-groups, or --groups\n";
  let groups: number[] | undefined = opts.clearGroups ? [] : undefined;
  if (typeof opts.groups === "string") {
    const list = opts.groups.split(",").map((g) => parseId(g, "group"));
    const bad = list.find((g) => typeof g === "string");
    if (bad !== undefined) return bad as string;
    groups = list as number[];
  }
  return { uid: uid as number | undefined, gid: gid as number | undefined, groups };
}

/** The set*id calls, groups first while the child still has CAP_SETGID; the message of the one refused. */
function apply(child: Libc, c: Change): string | null {
  const steps: [string, (() => void) | null][] = [
    ["setgroups", c.groups ? () => child.setgroups(c.groups!) : null],
    ["setresgid", c.gid !== undefined ? () => child.setresgid(c.gid!, c.gid!, c.gid!) : null],
    ["setresuid", c.uid !== undefined ? () => child.setresuid(c.uid!, c.uid!, c.uid!) : null],
  ];
  for (const [call, fn] of steps) {
    try {
      fn?.();
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return `setpriv: ${call} failed: ${e.strerror}\n`;
    }
  }
  return null;
}

function* run(ctx: CommandContext, c: Change, command: readonly string[]): CommandSteps {
  const child = ctx.kernel.fork(ctx.libc);
  try {
    const refused = apply(child, c);
    if (refused) {
      ctx.err(refused);
      return EXIT_PRIVERR;
    }
    return yield* ctx.subcommand(command, ctx, child);
  } finally {
    ctx.kernel.tasks.exit(child.task);
  }
}

export const setpriv: CliCommand = {
  name: "setpriv",
  usage: "setpriv [--reuid=UID] [--regid=GID] [--clear-groups|--keep-groups|--groups=G,...] COMMAND [ARG...]",
  help: "run a command with other user and group ids",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("setpriv", args, ctx, (c) =>
        c.option("--reuid <uid>", "set the real and effective user id").option("--regid <gid>", "set the real and effective group id")
          .option("--clear-groups", "clear the supplementary groups").option("--keep-groups", "keep the supplementary groups")
          .option("--groups <groups>", "set the supplementary groups").argument("[command...]").passThroughOptions(),
      );
      const command = cmd.processedArgs[0] as string[];
      const c = change(cmd.opts());
      if (typeof c === "string") {
        ctx.err(c);
        return 1;
      }
      if (command.length === 0) {
        ctx.err("setpriv: No program specified\n");
        return 1;
      }
      return run(ctx, c, command);
    }),
};
