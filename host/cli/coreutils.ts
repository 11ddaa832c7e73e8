// coreutils' wording, shared by the file commands: how names are quoted and how a failed call becomes
// "prog: what: strerror".

import { KernelError } from "../kernel/error.js";
import type { CommandContext } from "./command.js";

/** quoteaf(): a name in single quotes, always, as error lines show it ('it'\''s' for a quote inside). */
export function quote(name: string): string {
  return `'${name.replace(/'/g, "'\\''")}'`;
}

/** quotef(): a name bare when the shell would read it back unchanged, else quoted as quote() does. */
export function quotef(name: string): string {
  return /^[\w./:,+@%=-]+$/.test(name) ? name : quote(name);
}

/** Print a KernelError as "prog: what: strerror" on stderr; anything else is a bug and goes on up. */
export function report(ctx: CommandContext, prog: string, what: string, e: unknown): void {
  if (!(e instanceof KernelError)) throw e;
  ctx.err(`${prog}: ${what}: ${e.strerror}\n`);
}

/** Run fn; a KernelError from it is reported as "prog: what: strerror". Returns whether fn succeeded. */
export function attempt(ctx: CommandContext, prog: string, what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    report(ctx, prog, what, e);
    return false;
  }
}

/** The exit status of a command that ran once per operand: 1 if any of them failed. */
export function exitStatus(results: readonly boolean[]): number {
  return results.every(Boolean) ? 0 : 1;
}
