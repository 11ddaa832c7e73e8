// A command session against one kernel: splits lines into words, dispatches, and keeps the exit status.
//
// Words split at blanks; '...' and "..." quote; an unquoted '>' or '>>' is a word of its own; an unquoted
// '#' at the start of a word begins a comment. A line starting with '-' may fail without failing the run,
// as in a Makefile.
//
// The session is one shell task for its whole life: every command makes its system calls as that task,
// so `cd` lasts from line to line and a module that overrides a system call sees the shell's calls. The
// task has a terminal on descriptors 0, 1 and 2 whose output is the session's; a command word with a '/'
// runs that file as a program on it (host/cli/execute.ts).
//
// The commands are also this system's programs: the first session gives the kernel its usermode helper,
// so request_module's /sbin/modprobe is the modprobe command here, run in a session of its own.

import { basename } from "node:path";
import { errno } from "../../abi/errno.js";
import { Kernel } from "../init/main.js";
import type { Libc } from "../user/nolibc.js";
import { cat } from "./cat.js";
import { cd, pwd } from "./cd.js";
import type { CliCommand, CommandContext } from "./command.js";
import { depmod } from "./depmod.js";
import { dmesg } from "./dmesg.js";
import { echo } from "./echo.js";
import { execute } from "./execute.js";
import { hw } from "./hw.js";
import { insmod } from "./insmod.js";
import { ln } from "./ln.js";
import { ls } from "./ls.js";
import { lsmod } from "./lsmod.js";
import { mkdir } from "./mkdir.js";
import { mknod } from "./mknod.js";
import { modinfo } from "./modinfo.js";
import { modprobe } from "./modprobe.js";
import { mount } from "./mount.js";
import { mv } from "./mv.js";
import { rm } from "./rm.js";
import { rmdir } from "./rmdir.js";
import { rmmod } from "./rmmod.js";
import { stat } from "./stat.js";
import { syscall } from "./syscall.js";
import { umount } from "./umount.js";

const help: CliCommand = {
  name: "help",
  usage: "help",
  help: "list the commands",
  run: (_args, ctx) => {
    ctx.out(COMMANDS.map((c) => `  ${c.usage.padEnd(52)}${c.help}\n`).join(""));
    return 0;
  },
};

export const COMMANDS: readonly CliCommand[] = [
  insmod, rmmod, lsmod, modinfo, modprobe, depmod, dmesg,
  ls, cat, echo, mkdir, rmdir, rm, mv, ln, mknod, stat, mount, umount, cd, pwd, syscall,
  hw, help,
];

export class SyntaxError extends Error {}

/**
 * Run a program to completion as user space would, in a session of its own: argv[0]'s basename names
 * the command (/sbin/modprobe is modprobe). Its exit status, or -ENOENT when there is no such program.
 */
export function runProgram(kernel: Kernel, argv: readonly string[], out: (t: string) => void, err: (t: string) => void): number {
  const [path = "", ...args] = argv;
  const name = basename(path);
  if (!COMMANDS.some((c) => c.name === name)) return -errno("ENOENT");
  const session = new Session(kernel, out, err);
  try {
    return session.run([name, ...args]);
  } finally {
    session.close();
  }
}

/** Split a line into words; [] for a blank or comment line. Throws SyntaxError on an open quote. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  let prev = "";
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (/\s/.test(ch) || ch === ">") {
      if (word !== undefined) words.push(word);
      word = undefined;
      if (ch === ">") words.push(prev === ">" && words.at(-1) === ">" ? `${words.pop()}>` : ">");
    } else if (ch === "#" && word === undefined) {
      break;
    } else word = (word ?? "") + ch;
    prev = ch;
  }
  if (quote) throw new SyntaxError(`unterminated ${quote}`);
  if (word !== undefined) words.push(word);
  return words;
}

export class Session implements CommandContext {
  /** Non-zero once any command (not marked with '-') has failed. */
  status = 0;
  /** The shell's task (comm sh), made once: its cwd and open descriptors last the whole session. */
  readonly libc: Libc;

  constructor(
    readonly kernel: Kernel,
    readonly out: (text: string) => void,
    readonly err: (text: string) => void,
  ) {
    this.libc = kernel.spawn("sh");
    const files = this.libc.task.files;
    files.install(kernel.ptys.open((text) => this.out(text)));
    files.dup(0);
    files.dup(0);
    kernel.kmod.usermodehelper ??= (argv) => runProgram(kernel, argv, () => {}, () => {});
  }

  /** The shell exits: its descriptors close (letting go of whatever they pinned), its cwd is released. */
  close(): void {
    if (this.kernel.tasks.find(this.libc.task.pid) === this.libc.task) this.kernel.tasks.exit(this.libc.task);
  }

  /** Run one line; returns that command's exit status. */
  exec(line: string): number {
    const trimmed = line.trim();
    const tolerant = trimmed.startsWith("-");
    let words: string[];
    try {
      words = splitWords(tolerant ? trimmed.slice(1) : trimmed);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      this.err(`wasm-lkm: syntax error: ${e.message}\n`);
      return this.record(2, tolerant);
    }
    return this.record(this.run(words), tolerant);
  }

  /** Run one command already split into words; returns its exit status. */
  run(words: readonly string[]): number {
    const [name, ...args] = words;
    if (name === undefined) return 0;
    if (name.includes("/")) return this.as(basename(name), () => execute(this, words));
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      this.err(`wasm-lkm: ${name}: command not found\n`);
      return 127;
    }
    return this.as(name, () => command.run(args, this));
  }

  /** Run fn named `comm`, in Oops lines and /proc/PID/comm, as the program the shell would have run. */
  private as(comm: string, fn: () => number): number {
    const task = this.libc.task;
    const [kernelComm, taskComm] = [this.kernel.comm, task.comm];
    this.kernel.comm = task.comm = comm;
    try {
      return fn();
    } finally {
      this.kernel.comm = kernelComm;
      task.comm = taskComm;
    }
  }

  private record(status: number, tolerant: boolean): number {
    if (status !== 0 && !tolerant) this.status = status;
    return status;
  }
}
