// id [-u|-g|-G]: the shell's user and group ids, as coreutils' id prints them.

import type { Ids } from "../user/nolibc.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { idName } from "./coreutils.js";

/** An id with its name in parentheses, when it has one (there is no /etc/passwd: only 0 is named, root). */
const named = (id: number): string => (idName(id) === undefined ? String(id) : `${id}(${idName(id)})`);

/** xgetgroups(): the effective group first, then the supplementary groups but it. */
const groupList = (ids: Ids): number[] => [ids.egid, ...ids.groups.filter((g) => g !== ids.egid)];

/** print_full_info(): uid, gid, euid and egid where they differ from the real ones, then the groups. */
function fullInfo(ids: Ids): string {
  let line = `uid=${named(ids.uid)} gid=${named(ids.gid)}`;
  if (ids.euid !== ids.uid) line += ` euid=${named(ids.euid)}`;
  if (ids.egid !== ids.gid) line += ` egid=${named(ids.egid)}`;
  return `${line} groups=${groupList(ids).map(named).join(",")}`;
}

export const id: CliCommand = {
  name: "id",
  usage: "id [-u|-g|-G]",
  help: "print the shell's user and group ids",
  run: (args, ctx) =>
    withUsage(() => {
      const opts = parseArgs("id", args, ctx, (c) =>
        c.option("-u, --user", "only the effective user id").option("-g, --group", "only the effective group id").option("-G, --groups", "only the groups"),
      ).opts();
      const ids = ctx.libc.ids();
      if ([opts.user, opts.group, opts.groups].filter(Boolean).length > 1) {
        ctx.err("id: cannot print \"only\" of more than one choice\n");
        return 1;
      }
      const line = opts.user ? String(ids.euid) : opts.group ? String(ids.egid) : opts.groups ? groupList(ids).join(" ") : fullInfo(ids);
      ctx.out(`${line}\n`);
      return 0;
    }),
};
