// chown [-h] OWNER[:[GROUP]] FILE... and chown [-h] :GROUP FILE...: change owner and group with chown(2) (lchown(2)
// with -h), as coreutils does. There is no user database here: owners and groups are numeric ids.

import { AT_SYMLINK_NOFOLLOW } from "../../abi/fcntl.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { attempt, quote } from "./coreutils.js";

/** -1: chown(2) leaves that id as it is. */
const KEEP = -1;

/** A numeric id, or null (coreutils looks a name up in /etc/passwd or /etc/group, which do not exist here). */
function parseId(s: string): number | null {
  return /^\d+$/.test(s) && Number(s) < 0xffffffff ? Number(s) : null;
}

/** parse_user_spec(): [uid, gid] or coreutils' message for a spec it cannot take. */
export function parseUserSpec(spec: string): [number, number] | string {
  const colon = spec.indexOf(":");
  const user = colon < 0 ? spec : spec.slice(0, colon);
  const group = colon < 0 ? "" : spec.slice(colon + 1);
  const uid = user === "" ? KEEP : parseId(user);
  if (uid === null) return `invalid user: ${quote(spec)}`;
  // OWNER: with no group means OWNER's login group, which needs the user database.
  if (colon >= 0 && group === "" && user !== "") return `invalid spec: ${quote(spec)}`;
  const gid = group === "" ? KEEP : parseId(group);
  if (gid === null) return `invalid group: ${quote(spec)}`;
  return [uid, gid];
}

/** stat (lstat with -h), then fchownat(2): each failure worded as coreutils words it. */
function chownOne(ctx: CommandContext, [uid, gid]: [number, number], path: string, noDeref: boolean): boolean {
  return attempt(ctx, "chown", `cannot access ${quote(path)}`, () => void (noDeref ? ctx.libc.lstat(path) : ctx.libc.stat(path)))
    && attempt(ctx, "chown", `changing ownership of ${quote(path)}`, () => ctx.libc.chown(path, uid, gid, noDeref ? AT_SYMLINK_NOFOLLOW : 0));
}

export const chown: CliCommand = {
  name: "chown",
  usage: "chown [-h] OWNER[:[GROUP]] FILE...",
  help: "change the owner and group of files (numeric ids; -h: the symlink itself)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("chown", args, ctx, (c) => c.option("-h, --no-dereference", "change a symlink, not its target").argument("[operands...]"));
      const [spec, ...files] = cmd.processedArgs[0] as string[];
      if (spec === undefined || files.length === 0) {
        ctx.err(spec === undefined ? "chown: missing operand\n" : `chown: missing operand after ${quote(spec)}\n`);
        return 1;
      }
      const ids = parseUserSpec(spec);
      if (typeof ids === "string") {
        ctx.err(`chown: ${ids}\n`);
        return 1;
      }
      const noDeref = cmd.opts<{ dereference?: boolean }>().dereference === false;
      return files.map((f) => chownOne(ctx, ids, f, noDeref)).every(Boolean) ? 0 : 1;
    }),
};
