// What every shell command is: a name, a one-line help, and a run() that prints and returns an exit status.

import { Command, CommanderError } from "commander";
import type { Kernel } from "../init/main.js";
import type { Libc, Wait } from "../user/nolibc.js";

export interface CommandContext {
  readonly kernel: Kernel;
  /** The shell's task: commands make their system calls through it, so they share its cwd. */
  readonly libc: Libc;
  out(text: string): void;
  err(text: string): void;
  /** The shell's environment, which the programs it runs and the shells system() starts inherit. */
  readonly env: ReadonlyMap<string, string>;
  /** export NAME=VALUE: set a variable of the shell's environment. */
  setenv(name: string, value: string): void;
  /**
   * system(3): run a command line in a shell of its own on this kernel, printing where this command
   * prints, its environment this one's with `env` added (as setenv() before system() gives it).
   */
  system(line: string, env?: Readonly<Record<string, string>>): number;
  /**
   * Another command of this shell, run as a step of this one (as expect runs the command it checks), printing
   * to io; as another task (a child setpriv forked and changed), if given.
   */
  subcommand(words: readonly string[], io: Pick<CommandContext, "out" | "err">, libc?: Libc): CommandSteps;
}

/**
 * A step of a command that loops over system calls yields SCHEDULE each time it returns to user space
 * (whoever drives it may let other work run, wait for its output to drain, and deliver signals there),
 * or WAIT while a system call waits to be woken (nolibc's Libc.call).
 */
export const SCHEDULE = "schedule";
export type Step = Wait | typeof SCHEDULE;
/** A command running in steps; its return value is the exit status. */
export type CommandSteps = Generator<Step, number, void>;

export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  readonly help: string;
  /** The exit status, or, for a command that may run long (cat, hw tick), its steps. */
  run(args: readonly string[], ctx: CommandContext): number | CommandSteps;
}

/** Thrown out of a command's argument parsing: the message is already printed, the status is 1. */
class UsageError extends Error {}

/**
 * Parse a command's arguments with commander (a fresh Command per call, so nothing carries over);
 * usage errors print as "name: error: ..." and end the command with status 1.
 */
export function parseArgs(name: string, args: readonly string[], ctx: CommandContext, define: (cmd: Command) => Command): Command {
  const cmd = define(new Command(name))
    .exitOverride()
    .helpOption(false)
    .configureOutput({ writeOut: (s) => ctx.out(s), writeErr: (s) => ctx.err(`${name}: ${s.replace(/^error: /, "ERROR: ")}`) });
  try {
    cmd.parse([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(e.message);
    throw e;
  }
  return cmd;
}

/** Run a command body, turning a usage error into status 1. */
export function withUsage<R extends number | CommandSteps>(body: () => R): R | 1 {
  try {
    return body();
  } catch (e) {
    if (e instanceof UsageError) return 1;
    throw e;
  }
}
