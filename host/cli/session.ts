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
//
// The shell has an environment (`export NAME=VALUE`): commands read it, $NAME expands from it, and the
// shells system() starts and the programs it runs inherit it.

import { basename, dirname } from "node:path";
import { errno } from "../../abi/errno.js";
import { IDLE_LIMIT_NS, Kernel } from "../init/main.js";
import { signo } from "../../abi/signal.js";
import type { Task } from "../kernel/sched.js";
import { firstPending, flushSignals, sendSignal, signalPending } from "../kernel/signal.js";
import { SoftLockup } from "../kernel/watchdog.js";
import { KernelError } from "../kernel/error.js";
import { WAIT, type Libc } from "../user/nolibc.js";
import { blockdev } from "./blockdev.js";
import { firstLine } from "./crashlog.js";
import { cat } from "./cat.js";
import { cd, pwd } from "./cd.js";
import { chmod } from "./chmod.js";
import { chown } from "./chown.js";
import type { CliCommand, CommandContext, CommandSteps, Step } from "./command.js";
import { dd } from "./dd.js";
import { df } from "./df.js";
import { depmod } from "./depmod.js";
import { dmesg } from "./dmesg.js";
import { echo } from "./echo.js";
import { withStdin } from "./redirect.js";
import { execute } from "./execute.js";
import { expect, expectFail } from "./expect.js";
import { hw } from "./hw.js";
import { insmod } from "./insmod.js";
import { ip } from "./ip.js";
import { pingCommand } from "./ping.js";
import { ncCommand } from "./nc.js";
import { ln } from "./ln.js";
import { losetup } from "./losetup.js";
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
import { slattach } from "./slattach.js";
import { stat } from "./stat.js";
import { touch } from "./touch.js";
import { stty } from "./stty.js";
import { syscall } from "./syscall.js";
import { sync } from "./sync.js";
import { exportCommand } from "./export.js";
import { falseCommand, trueCommand } from "./true.js";
import { id } from "./id.js";
import { setpriv } from "./setpriv.js";
import { umount } from "./umount.js";
import { expandWords, parseLine, SyntaxError, type List, type ShellCommand } from "./words.js";

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
  ls, cat, echo, mkdir, rmdir, rm, mv, ln, mknod, chmod, chown, touch, stat, df, mount, umount, cd, pwd, syscall,
  dd, blockdev, losetup, sync, stty, slattach, hw, ip, pingCommand, ncCommand, trueCommand, falseCommand, id, setpriv, exportCommand, expect, expectFail, help,
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

/** fn in a new shell on the kernel (with that environment), which exits afterwards (its task and descriptors gone). */
function inOwnSession(
  kernel: Kernel, out: (t: string) => void, err: (t: string) => void, fn: (s: Session) => number, env?: ReadonlyMap<string, string>,
): number {
  const session = new Session(kernel, out, err, { env });
  try {
    return fn(session);
  } finally {
    session.close();
  }
}

/** Where a session's output goes, and how the drivers learn that it is backed up. */
export interface SessionOptions {
  /** Undefined while the output takes more; else settles once it has drained (or gone). */
  readonly drained?: () => Promise<void> | undefined;
  /**
   * The kernel's clock follows the wall clock (the daemon): a waiting command waits in real time, for
   * another client or the hardware to wake it. Otherwise the driver lets simulated time run itself.
   */
  readonly realtime?: boolean;
  /** Where a host error a command ran into is written down with its stack (host/cli/crashlog.ts). */
  readonly logInternalError?: (where: string, e: unknown) => void;
  /** The environment the shell starts with (none by default). */
  readonly env?: ReadonlyMap<string, string>;
}

/** The simulated time a waiting command's driver lets pass between turns of the event loop. */
const IDLE_SLICE_NS = 100e6;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A wait that does not keep the process alive by itself. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class Session implements CommandContext {
  /** Non-zero once any command (not marked with '-') has failed. */
  status = 0;
  private shell: Libc;
  /** The host directory host paths are taken from while this session's command runs (the daemon's client's). */
  hostCwd: string | undefined;
  readonly env: Map<string, string>;

  constructor(
    readonly kernel: Kernel,
    readonly out: (text: string) => void,
    readonly err: (text: string) => void,
    private readonly opts: SessionOptions = {},
  ) {
    this.env = new Map(opts.env);
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
    files.install(this.kernel.ptys.open((text) => this.out(text), libc.task));
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

  system(line: string, env: Readonly<Record<string, string>> = {}): number {
    return inOwnSession(this.kernel, this.out, this.err, (s) => s.exec(line), new Map([...this.env, ...Object.entries(env)]));
  }

  setenv(name: string, value: string): void {
    this.env.set(name, value);
  }

  subcommand(words: readonly string[], io: Pick<CommandContext, "out" | "err">, libc = this.libc): CommandSteps {
    const ctx: CommandContext = {
      kernel: this.kernel, libc, out: io.out, err: io.err, env: this.env,
      setenv: (name, value) => this.setenv(name, value), system: (line, env) => this.system(line, env),
      subcommand: (w, io2) => this.subcommand(w, io2),
    };
    return this.command(words, ctx);
  }

  /** Run one line to its end, now; returns its exit status. */
  exec(line: string): number {
    return this.drive(this.line(line));
  }

  /** Run one line, letting the event loop turn between its system calls; resolves to its exit status. */
  execAsync(line: string): Promise<number> {
    return this.driveAsync(this.line(line));
  }

  /** Run one command already split into words, to its end, now; returns its exit status. */
  run(words: readonly string[]): number {
    return this.drive(this.command(words));
  }

  /** run(), letting the event loop turn between the command's system calls. */
  runAsync(words: readonly string[]): Promise<number> {
    return this.driveAsync(this.command(words));
  }

  /** Send the running command's task a signal (Ctrl-C is SIGINT): it ends at its next return to user space. */
  kill(sig: number): void {
    sendSignal(this.libc.task, sig);
  }

  private *line(line: string): CommandSteps {
    const trimmed = line.trim();
    const tolerant = trimmed.startsWith("-");
    let commands: List;
    try {
      commands = parseLine(tolerant ? trimmed.slice(1) : trimmed);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      this.err(`wasm-lkm: syntax error: ${e.message}\n`);
      return this.record(2, tolerant);
    }
    return this.record(yield* this.list(commands), tolerant);
  }

  /** A list: each command runs after `;`, after `&&` only if the one before succeeded, after `||` only if it failed. */
  private *list(commands: List): CommandSteps {
    let status = 0;
    for (const [i, c] of commands.entries()) {
      const joined = i === 0 ? ";" : commands[i - 1]!.connector;
      if (joined === ";" || (joined === "&&") === (status === 0)) status = yield* this.shellCommand(c.command);
    }
    return status;
  }

  /** A group runs its list; a simple command's words (and its `< FILE`) are expanded as it starts. */
  private *shellCommand(c: ShellCommand): CommandSteps {
    if ("group" in c) return yield* this.list(c.group);
    const words = expandWords(c.words, this.env);
    if (c.stdin === undefined) return yield* this.command(words);
    const file = expandWords([c.stdin], this.env);
    if (file.length !== 1) {
      this.err(`wasm-lkm: ${file.join(" ") || "\"\""}: ambiguous redirect\n`);
      return 1;
    }
    return yield* withStdin(this.libc, file[0]!, this.err, () => this.command(words));
  }

  /** One command, named `comm` in Oops lines and /proc/PID/comm while it runs, as the program the shell would run. */
  private *command(words: readonly string[], ctx: CommandContext = this): CommandSteps {
    const [name, ...args] = words;
    if (name === undefined) return 0;
    const command = findCommand(name);
    if (!command && !name.includes("/")) {
      ctx.err(`wasm-lkm: ${name}: command not found\n`);
      return 127;
    }
    const task = this.libc.task;
    const saved = task.comm;
    task.comm = command?.name ?? basename(name);
    try {
      const result = command ? command.run(args, ctx) : execute(ctx, words);
      return typeof result === "number" ? result : yield* result;
    } catch (e) {
      return this.failed(task.comm, e);
    } finally {
      task.comm = saved;
      this.replaceExitedShell();
    }
  }

  /**
   * One step of a line, as its task: the kernel's comm is the task's for Oops lines, and host paths are
   * taken from the client's directory while it runs.
   */
  private step(steps: CommandSteps): IteratorResult<Step, number> {
    return this.asTask(() => steps.next());
  }

  private asTask<T>(fn: () => T): T {
    const comm = this.kernel.comm;
    this.kernel.comm = this.libc.task.comm;
    if (this.hostCwd !== undefined) chdirOrRoot(this.hostCwd);
    try {
      return fn();
    } finally {
      this.kernel.comm = comm;
      if (this.hostCwd !== undefined) process.chdir("/");
    }
  }

  /**
   * The synchronous driver: a waiting call lets simulated time run until its task is woken. Nothing else
   * runs meanwhile, so nothing else can send a signal either: the watchdog is what bounds it. A command
   * that runs past the soft-lockup threshold is reported and killed (SIGKILL) at its next step.
   */
  private drive(steps: CommandSteps): number {
    const task = this.libc.task;
    const watchdog = this.kernel.watchdog;
    watchdog.enter();
    try {
      for (let s = this.step(steps); ; s = this.step(steps)) {
        if (s.done) return this.reap(s.value);
        if (s.value === WAIT) this.kernel.idleUntilWoken(task);
        this.checkLockup(task);
        if (signalPending(task)) {
          this.asTask(() => steps.return(0));
          return this.reap(0);
        }
      }
    } finally {
      watchdog.leave();
    }
  }

  private checkLockup(task: Task): void {
    try {
      this.kernel.watchdog.tick();
    } catch (e) {
      if (!(e instanceof SoftLockup)) throw e;
      this.kernel.softLockup(task, e);
      this.kernel.watchdog.touch();
      sendSignal(task, signo("SIGKILL"));
    }
  }

  /**
   * The asynchronous driver: between steps the event loop turns (other clients, timers, Ctrl-C) and the
   * output drains; a pending signal ends the line there, as it kills a process on its return to user space.
   */
  private async driveAsync(steps: CommandSteps): Promise<number> {
    const task = this.libc.task;
    for (let s = this.step(steps); ; s = this.step(steps)) {
      if (s.done) return this.reap(s.value);
      await (s.value === WAIT ? this.waitWoken() : this.schedule());
      if (signalPending(task)) {
        this.asTask(() => steps.return(0));
        return this.reap(0);
      }
    }
  }

  /** The line's status: 128 + the signal that ended it, if one is pending (then it is taken), else its own. */
  private reap(status: number): number {
    const task = this.libc.task;
    const sig = firstPending(task);
    if (sig === 0) return status;
    flushSignals(task);
    return 128 + sig;
  }

  /** A return to user space: the event loop turns, and a backed-up output drains first. */
  private async schedule(): Promise<void> {
    await turn();
    const drained = this.opts.drained?.();
    if (drained) await drained;
  }

  /** The task sleeps: wake-ups, signals and the give-up limit, in real or simulated time. */
  private async waitWoken(): Promise<void> {
    const task = this.libc.task;
    const clock = this.kernel.clock;
    const start = clock.nowNs;
    while (task.sleeping && !signalPending(task) && clock.nowNs - start < IDLE_LIMIT_NS) {
      if (this.opts.realtime) await Promise.race([task.whenWoken(), sleep((IDLE_LIMIT_NS - (clock.nowNs - start)) / 1e6)]);
      else if (!this.kernel.idle(task, IDLE_SLICE_NS)) return;
      else await turn();
    }
  }

  /**
   * A command that threw instead of returning a status: a refusal it did not report is said as strerror
   * says it; a host error (a bug) in one line, its stack logged. Either way the command fails, not the shell.
   */
  private failed(comm: string, e: unknown): number {
    if (e instanceof KernelError) {
      this.err(`wasm-lkm: ${comm}: ${e.strerror}\n`);
      return 1;
    }
    this.opts.logInternalError?.(comm, e);
    this.err(`wasm-lkm: ${comm}: internal error: ${firstLine(e)}\n`);
    return 1;
  }

  private record(status: number, tolerant: boolean): number {
    if (status !== 0 && !tolerant) this.status = status;
    return status;
  }
}

/** A client's directory, or / when the daemon cannot enter it. */
function chdirOrRoot(dir: string): void {
  try {
    process.chdir(dir);
  } catch {
    process.chdir("/");
  }
}
