// expect and expect-fail: a run script's assertions, since the shell has no pipes or grep. Each runs the command
// after it in this shell (its output shown as usual) and succeeds only if that command did as expected, so a
// script of them is a test: `wasm-lkm run` exits 1 when any line fails.
//
//   expect [-m TEXT] COMMAND [ARGS...]       COMMAND succeeds, printing TEXT (a substring of its output)
//   expect-fail [-m TEXT] COMMAND [ARGS...]  COMMAND fails, its error output holding TEXT

import type { CliCommand, CommandContext, CommandSteps, Step } from "./command.js";

interface Parsed {
  readonly match: string | undefined;
  readonly words: readonly string[];
}

/** [-m TEXT] [--] COMMAND ARGS...: null (with the usage on err) when there is no command or an unknown option. */
function parse(name: string, args: readonly string[], ctx: CommandContext): Parsed | null {
  let match: string | undefined;
  let i = 0;
  for (; i < args.length && args[i]!.startsWith("-"); i++) {
    if (args[i] === "--") {
      i++;
      break;
    }
    if ((args[i] === "-m" || args[i] === "--match") && i + 1 < args.length) match = args[++i];
    else {
      ctx.err(`${name}: unknown option '${args[i]}'\n`);
      return null;
    }
  }
  if (i >= args.length) {
    ctx.err(`${name}: usage: ${name} [-m TEXT] COMMAND [ARGS...]\n`);
    return null;
  }
  return { match, words: args.slice(i) };
}

/** Run the command, showing its output and keeping a copy of each stream. */
function* captured(ctx: CommandContext, words: readonly string[]): Generator<Step, { status: number; out: string; err: string }, void> {
  let out = "";
  let err = "";
  const status = yield* ctx.subcommand(words, {
    out: (t) => ((out += t), ctx.out(t)),
    err: (t) => ((err += t), ctx.err(t)),
  });
  return { status, out, err };
}

export const expect: CliCommand = {
  name: "expect",
  usage: "expect [-m TEXT] COMMAND [ARGS...]",
  help: "run COMMAND; fail unless it succeeds (and prints TEXT)",
  *run(args, ctx): CommandSteps {
    const p = parse("expect", args, ctx);
    if (!p) return 1;
    const r = yield* captured(ctx, p.words);
    const what = p.words.join(" ");
    if (r.status !== 0) {
      ctx.err(`expect: '${what}' failed with status ${r.status}\n`);
      return 1;
    }
    if (p.match !== undefined && !r.out.includes(p.match)) {
      ctx.err(`expect: '${what}' printed nothing containing '${p.match}'\n`);
      return 1;
    }
    return 0;
  },
};

export const expectFail: CliCommand = {
  name: "expect-fail",
  usage: "expect-fail [-m TEXT] COMMAND [ARGS...]",
  help: "run COMMAND; fail unless it fails (saying TEXT)",
  *run(args, ctx): CommandSteps {
    const p = parse("expect-fail", args, ctx);
    if (!p) return 1;
    const r = yield* captured(ctx, p.words);
    const what = p.words.join(" ");
    if (r.status === 0) {
      ctx.err(`expect-fail: '${what}' succeeded\n`);
      return 1;
    }
    if (p.match !== undefined && !r.err.includes(p.match)) {
      ctx.err(`expect-fail: '${what}' failed without saying '${p.match}'\n`);
      return 1;
    }
    return 0;
  },
};
