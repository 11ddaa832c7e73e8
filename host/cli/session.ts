// A command session against one kernel: splits lines into commands (host/cli/words.ts), dispatches, and
// keeps the exit status. A line starting with '-' may fail without failing the run, as in a Makefile.
//
// The session is one shell task for its whole life: every command makes its system calls as that task,
// so `cd` lasts from line to line and a module that overrides a system call sees the shell's calls. The
// task has a terminal on descriptors 0, 1 and 2 whose output is the session's; a command word with a '/'
// runs that file as a program on it (host/cli/execute.ts).
//
// The commands are also this system's programs: the first session gives the kernel its usermode helper,
// so request_module's /sbin/modprobe is the modprobe command here, run in a session of its own.

import { basename, dirname } from "node:path";
import { errno } from "../../abi/errno.js";
import { Kernel } from "../init/main.js";
import type { Libc } from "../user/nolibc.js";
import { cat } from "./cat.js";
import { cd, pwd } from "./cd.js";
import { chmod } from "./chmod.js";
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
import { falseCommand, trueCommand } from "./true.js";
import { umount } from "./umount.js";
import { splitCommands, SyntaxError, type ListCommand } from "./words.js";

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
  ls, cat, echo, mkdir, rmdir, rm, mv, ln, mknod, chmod, stat, mount, umount, cd, pwd, syscall,
  hw, trueCommand, falseCommand, help,
];

/** Where this system keeps its programs: each command is also /bin/NAME, /sbin/NAME..., as busybox's applets are. */
const BIN_DIRS = ["/bin", "/sbin", "/usr/bin", "/usr/sbin"];

/** The command a program name or path stands for: a bare name, or a path in one of the bin directories. */
function findCommand(name: string): CliCommand | undefined {
  const bare = name.includes("/") ? (BIN_DIRS.includes(dirname(name)) ? basename(name) : undefined) : name;
  return COMMANDS.find((c) => c.name === bare);
}

/**
 * Run a program to completion as user space would, in a session of its own (/sbin/modprobe is the
 * modprobe command). Its exit status, or -ENOENT when there is no such program.
 */
export function runProgram(kernel: Kernel, argv: readonly string[], out: (t: string) => void, err: (t: string) => void): number {
  if (!findCommand(argv[0] ?? "")) return -errno("ENOENT");
  return inOwnSession(kernel, out, err, (s) => s.run(argv));
}

/** fn in a new shell on the kernel, which exits afterwards (its task and descriptors gone). */
function inOwnSession(kernel: Kernel, out: (t: string) => void, err: (t: string) => void, fn: (s: Session) => number): number {
  const session = new Session(kernel, out, err);
  try {
    return fn(session);
  } finally {
    session.close();
  }
}

export class Session implements CommandContext {
  /** Non-zero once any command (not marked with '-') has failed. */
  status = 0;
  private shell: Libc;

  constructor(
    readonly kernel: Kernel,
    readonly out: (text: string) => void,
    readonly err: (text: string) => void,
  ) {
    this.shell = this.startShell();
    kernel.kmod.usermodehelper ??= (argv) => runProgram(kernel, argv, () => {}, () => {});
  }

  /**
   * The shell's task (comm sh): its cwd and open descriptors last from command to command. Should a command
   * end it (`syscall exit 0`), the next command runs in a new shell, never on the task that exited.
   */
  get libc(): Libc {
    return this.shell;
  }

  /** A new shell task with the terminal on descriptors 0, 1 and 2. */
  private startShell(): Libc {
    const libc = this.kernel.spawn("sh");
    const files = libc.task.files;
    files.install(this.kernel.ptys.open((text) => this.out(text)));
    files.dup(0);
    files.dup(0);
    return libc;
  }

  /** After a command that ended the shell's task: say so, and go on in a new shell (in init's cwd, /). */
  private replaceExitedShell(): void {
    const old = this.shell.task;
    if (old.exitCode === null) return;
    this.shell = this.startShell();
    this.err(`wasm-lkm: the shell (pid ${old.pid}) exited; a new shell (pid ${this.shell.task.pid}) goes on in /\n`);
  }

  /** The shell exits: its descriptors close (letting go of whatever they pinned), its cwd is released. */
  close(): void {
    if (this.kernel.tasks.find(this.libc.task.pid) === this.libc.task) this.kernel.tasks.exit(this.libc.task);
  }

  system(line: string): number {
    return inOwnSession(this.kernel, this.out, this.err, (s) => s.exec(line));
  }

  /** Run one line; returns that command's exit status. */
  exec(line: string): number {
    const trimmed = line.trim();
    const tolerant = trimmed.startsWith("-");
    let commands: ListCommand[];
    try {
      commands = splitCommands(tolerant ? trimmed.slice(1) : trimmed);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      this.err(`wasm-lkm: syntax error: ${e.message}\n`);
      return this.record(2, tolerant);
    }
    return this.record(this.runList(commands), tolerant);
  }

  /** A list: each command runs after `;`, after `&&` only if the one before succeeded, after `||` only if it failed. */
  private runList(commands: readonly ListCommand[]): number {
    let status = 0;
    commands.forEach((c, i) => {
      const joined = i === 0 ? ";" : commands[i - 1]!.connector;
      if (joined === ";" || (joined === "&&") === (status === 0)) status = this.run(c.words);
    });
    return status;
  }

  /** Run one command already split into words; returns its exit status. */
  run(words: readonly string[]): number {
    const [name, ...args] = words;
    if (name === undefined) return 0;
    const command = findCommand(name);
    if (!command && name.includes("/")) return this.as(basename(name), () => execute(this, words));
    if (!command) {
      this.err(`wasm-lkm: ${name}: command not found\n`);
      return 127;
    }
    return this.as(command.name, () => command.run(args, this));
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
      this.replaceExitedShell();
    }
  }

  private record(status: number, tolerant: boolean): number {
    if (status !== 0 && !tolerant) this.status = status;
    return status;
  }
}
