// boot: the kernel daemon. One long-lived kernel on a Unix socket, running the commands its clients send.
//
// `boot` starts itself again, detached, as `boot --foreground`, waits until that process listens and
// prints its line. The server gives each connection a shell session of its own and runs its requests one
// after another, sending what each command prints back to that connection alone. Commands of different
// clients interleave at their system calls (each call is atomic, as on one CPU), so a client streaming
// without end delays another's lsmod by one call; output waits for its client to take it. A client's Ctrl-C
// reaches its command as SIGINT; a client that goes away hangs it up (SIGHUP) and takes its session with
// it: its task exits and its descriptors close, so nothing it opened stays pinned. While it runs, the
// kernel's simulated clock follows the wall clock, so timers fire and devices work as time passes.
// `halt` (or SIGINT, SIGTERM) ends every client's command, closes every session and halts the kernel in order.

import { spawn } from "node:child_process";
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { dirname, resolve } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { Kernel } from "../init/main.js";
import { Session } from "./session.js";
import { signo } from "../../abi/signal.js";
import { firstLine, internalErrorEntry } from "./crashlog.js";
import {
  connect, frame, LineDecoder, logPath, parseRequest, parseSignal, REQUEST_MAX, socketPath, unsafeDirectory,
  type Output, type Reply, type Request,
} from "./socket.js";

export interface BootOptions {
  readonly socket?: string;
  /** The module directory (lib/modules/<release>) the kernel finds modules in. */
  readonly modules?: string;
  /** Seconds between autoclean sweeps (kerneld's delay=), as given on the command line. */
  readonly delay?: string;
  /** Serve in this process rather than in a detached one. */
  readonly foreground?: boolean;
  /** The kernel command line (/proc/cmdline). */
  readonly cmdline?: string;
}

/** How often the daemon moves the simulated clock on to the wall clock's time. */
const CLOCK_PERIOD_MS = 10;
/** Clients served at once; each has a shell whose task has a memory of its own, so the count is bounded. */
export const CLIENTS_MAX = 256;
/** How long a refused client has to read why before its connection is closed under it. */
const REFUSED_LINGER_MS = 1000;
/** The most of the log a failed start prints: what the kernel wrote before it exited. */
const START_LOG_MAX = 64 * 1024;

/**
 * `wasm-lkm boot`: 0 once a kernel listens on the socket (with --foreground: once it has halted);
 * 1, with the reason on err, when the module directory is missing, the socket's directory is not safe,
 * a kernel already runs on the socket, or the kernel cannot start.
 */
export async function boot(opts: BootOptions, io: Output, self: readonly string[]): Promise<number> {
  const path = socketPath(opts.socket);
  if (opts.modules !== undefined) {
    const problem = notADirectory(opts.modules);
    if (problem) {
      io.err(`wasm-lkm boot: cannot use module directory ${opts.modules}: ${problem}\n`);
      return 1;
    }
  }
  const delay = opts.delay === undefined ? undefined : Number(opts.delay);
  if (delay !== undefined && !(Number.isFinite(delay) && delay > 0)) {
    io.err(`wasm-lkm boot: invalid delay '${opts.delay}': seconds, more than 0\n`);
    return 1;
  }
  const kernel: BootKernel = { moduleDir: opts.modules === undefined ? undefined : resolve(opts.modules), autocleanDelay: delay, cmdline: opts.cmdline };
  const refusal = await claim(path);
  if (refusal) {
    io.err(`${refusal}\n`);
    return 1;
  }
  return opts.foreground ? serve(path, kernel, io) : daemonize(path, kernel, io, self);
}

/** What the booted kernel is given: its module directory and kerneld's sweep delay (defaults where undefined). */
interface BootKernel {
  readonly moduleDir: string | undefined;
  readonly autocleanDelay: number | undefined;
  readonly cmdline: string | undefined;
}

/** The kernel's options again as `boot` arguments, for the detached server. */
function bootArgs(kernel: BootKernel): string[] {
  return [
    ...(kernel.moduleDir === undefined ? [] : ["--modules", kernel.moduleDir]),
    ...(kernel.autocleanDelay === undefined ? [] : ["--delay", String(kernel.autocleanDelay)]),
    ...(kernel.cmdline === undefined ? [] : ["--cmdline", kernel.cmdline]),
  ];
}

/** Why dir cannot be a module directory (strerror's words), or undefined when it can. */
function notADirectory(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : strerror(errno("ENOTDIR"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? strerror(errno("ENOENT")) : (e as Error).message;
  }
}

/**
 * Start `boot --foreground` detached, its stdout and stderr appended to the log beside the socket, and
 * wait for its "booted" message (sent when it listens) or its exit, whose reason is what it logged.
 */
async function daemonize(path: string, kernel: BootKernel, io: Output, self: readonly string[]): Promise<number> {
  const log = logPath(path);
  let logFd: number;
  try {
    // The directory is the user's alone (claim saw to it); O_NOFOLLOW still refuses a link planted in it.
    logFd = openSync(log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    io.err(`wasm-lkm boot: cannot open log ${log}: ${(e as Error).message}\n`);
    return 1;
  }
  const logStart = fstatSync(logFd).size;
  const [node = process.execPath, ...script] = self;
  const args = [...script, "boot", "--foreground", "--socket", path, ...bootArgs(kernel)];
  const child = spawn(node, args, { detached: true, stdio: ["ignore", logFd, logFd, "ipc"] });
  closeSync(logFd);
  const outcome = await new Promise<{ booted: string } | { exit: string }>((done) => {
    child.once("message", (m: { booted?: unknown }) => done({ booted: String(m.booted) }));
    child.once("exit", (code, signal) => done({ exit: signal ? `killed by ${signal}` : `status ${code}` }));
    child.once("error", (e) => done({ exit: e.message }));
  });
  if ("booted" in outcome) {
    io.out(outcome.booted);
    if (child.connected) child.disconnect();
    child.unref();
    return 0;
  }
  io.err(readLog(log, logStart) || `wasm-lkm boot: the kernel exited (${outcome.exit}) before it was ready\n`);
  return 1;
}

/** What the log holds from byte `start` on, at most START_LOG_MAX bytes of it. */
function readLog(log: string, start: number): string {
  const fd = openSync(log, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const text = Buffer.alloc(Math.max(0, Math.min(fstatSync(fd).size - start, START_LOG_MAX)));
    return text.subarray(0, readSync(fd, text, 0, text.length, start)).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Make the socket's directory (0700), make sure it is safe (see unsafeDirectory), and make sure the
 * path is free: a socket nobody listens on is stale and removed. The refusal line, or undefined when
 * the path may be used.
 */
async function claim(path: string): Promise<string | undefined> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    return `wasm-lkm boot: cannot use ${path}: ${(e as Error).message}`;
  }
  const unsafe = unsafeDirectory(dirname(path));
  if (unsafe !== undefined) return `wasm-lkm boot: ${unsafe}`;
  try {
    if (!lstatSync(path, { throwIfNoEntry: false })) return undefined;
  } catch (e) {
    return `wasm-lkm boot: cannot use ${path}: ${(e as Error).message}`;
  }
  if (!lstatSync(path).isSocket()) return `wasm-lkm boot: ${path} exists and is not a socket`;
  try {
    (await connect(path)).destroy();
    return `wasm-lkm boot: a kernel is already running on ${path}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ECONNREFUSED") return `wasm-lkm boot: cannot use ${path}: ${(e as Error).message}`;
    rmSync(path, { force: true });
    return undefined;
  }
}

/** The server: boot a kernel, listen, announce, and run until halted; the exit status. */
async function serve(path: string, kernel: BootKernel, io: Output): Promise<number> {
  // Whatever escapes is written down, and the daemon serves on: its clients' kernel is still there.
  process.on("uncaughtException", (e) => logInternalError(io, "kerneld", e));
  process.on("unhandledRejection", (e) => logInternalError(io, "kerneld", e));
  // A daemon keeps no directory busy; each request runs from its client's working directory.
  process.chdir("/");
  const daemon = new Kerneld(new Kernel({ moduleDir: kernel.moduleDir, autocleanDelay: kernel.autocleanDelay, cmdline: kernel.cmdline }), path, io);
  try {
    await daemon.listen();
  } catch (e) {
    io.err(`wasm-lkm boot: cannot listen on ${path}: ${(e as Error).message}\n`);
    return 1;
  }
  const line = `wasm-lkm: kernel ${UTS_RELEASE} booted (pid ${process.pid}), listening on ${path}\n`;
  io.out(line);
  if (process.send) {
    process.send({ booted: line });
    process.disconnect();
  }
  return daemon.halted;
}

/** One client: its socket and its shell session, which lasts as long as the connection. */
class Connection {
  readonly session: Session;
  private readonly lines = new LineDecoder(REQUEST_MAX);
  private sessionOpen = true;
  /** The requests so far, run one after another; settles once the last has been answered. */
  private queue: Promise<void> = Promise.resolve();
  private running = false;

  constructor(
    private readonly sock: Socket,
    kernel: Kernel,
    onRequest: (conn: Connection, line: string) => Promise<void>,
    onClose: (conn: Connection) => void,
    logInternalError: (where: string, e: unknown) => void,
  ) {
    const io = { drained: () => drained(sock), realtime: true, logInternalError };
    this.session = new Session(kernel, (text) => this.send({ out: text }), (text) => this.send({ err: text }), io);
    sock.on("data", (chunk: Buffer) => {
      for (const line of this.lines.push(chunk)) {
        const sig = parseSignal(line);
        if (sig !== undefined) this.signal(sig);
        else if (this.sessionOpen) this.queue = this.queue.then(() => this.serve(onRequest, line));
      }
      if (this.lines.tooLong && this.sessionOpen) {
        // The requests before it are answered first; then the shell exits and the client hears why.
        this.sessionOpen = false;
        this.queue = this.queue.then(() => {
          this.session.close();
          refuse(sock, `wasm-lkm: request longer than ${REQUEST_MAX} bytes: ${strerror(errno("E2BIG"))}\n`, 2);
        });
      }
    });
    // EPIPE, ECONNRESET: the client has gone. 'close' follows, and ends the session.
    sock.on("error", () => {});
    sock.on("close", () => {
      this.closeSession();
      onClose(this);
    });
  }

  private async serve(onRequest: (conn: Connection, line: string) => Promise<void>, line: string): Promise<void> {
    if (!this.sessionOpen) return;
    this.running = true;
    try {
      await onRequest(this, line);
    } finally {
      this.running = false;
    }
  }

  /** A signal for the command running, if one is (a signal between commands would kill the next one). */
  signal(sig: number): void {
    if (this.running) this.session.kill(sig);
  }

  send(reply: Reply): void {
    if (this.sock.writable) this.sock.write(frame(reply));
  }

  /**
   * The shell exits, once the command running (sent SIGHUP, as a terminal's hang-up sends it) has ended:
   * its task's descriptors close and its cwd is let go. Later requests are ignored. Settles then.
   */
  closeSession(): Promise<void> {
    if (this.sessionOpen) {
      this.sessionOpen = false;
      this.signal(signo("SIGHUP"));
      this.queue = this.queue.then(() => this.session.close());
    }
    return this.queue;
  }

  /** Send the last replies, then close the connection. */
  finish(replies: readonly Reply[]): void {
    if (!this.sock.writable) return void this.sock.destroy();
    this.sock.end(replies.map(frame).join(""), () => this.sock.destroy());
  }

  drop(): void {
    this.sock.destroy();
  }
}

/** Undefined while the socket takes more; else settles once it has drained, or closed. */
function drained(sock: Socket): Promise<void> | undefined {
  if (!sock.writableNeedDrain || sock.destroyed) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      sock.off("drain", done);
      sock.off("close", done);
      resolve();
    };
    sock.on("drain", done);
    sock.on("close", done);
  });
}

/** The daemon's state: the kernel, the listening socket, the clients, the clock. */
class Kerneld {
  /** Settles with the exit status once the kernel has halted. */
  readonly halted: Promise<number>;
  private settle: (status: number) => void = () => {};
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private stopClock: () => void = () => {};
  private halting = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly path: string,
    private readonly io: Output,
  ) {
    this.halted = new Promise((settle) => (this.settle = settle));
    this.server = createServer((sock) => this.accept(sock));
  }

  /** Listen (the socket chmod 0600), start the clock, and halt on SIGINT and SIGTERM. */
  listen(): Promise<void> {
    return new Promise((listening, refused) => {
      this.server.once("error", refused);
      this.server.listen(this.path, () => {
        this.server.off("error", refused);
        this.server.on("error", (e) => void this.kernel.printk(`kerneld: ${e.message}\n`, LOGLEVELS.KERN_ERR));
        chmodSync(this.path, 0o600);
        this.stopClock = followWallClock(this.kernel);
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void this.halt(null));
        listening();
      });
    });
  }

  private accept(sock: Socket): void {
    if (this.halting) return void sock.destroy();
    if (this.connections.size >= CLIENTS_MAX) return refuse(sock, `wasm-lkm: too many clients (${CLIENTS_MAX} connected); try again later\n`);
    try {
      const log = (where: string, e: unknown) => logInternalError(this.io, where, e);
      const conn = new Connection(sock, this.kernel, (c, line) => this.request(c, line), (c) => this.connections.delete(c), log);
      this.connections.add(conn);
    } catch (e) {
      logInternalError(this.io, "accept", e);
      refuse(sock, `wasm-lkm: internal error: ${firstLine(e)}\n`);
    }
  }

  /** One request line: a command in the connection's session, or halt. */
  private async request(conn: Connection, line: string): Promise<void> {
    const req = parseRequest(line);
    if (!req) {
      conn.send({ err: "wasm-lkm: malformed request\n" });
      conn.send({ status: 2 });
      return;
    }
    if (req.argv.length === 1 && req.argv[0] === "halt") return this.halt(conn);
    conn.send({ status: await this.run(conn.session, req) });
  }

  /**
   * Run a command from its client's directory, interleaved with other clients' commands at its system
   * calls; a bug in a command fails that command, not the daemon.
   */
  private async run(session: Session, req: Request): Promise<number> {
    session.hostCwd = req.cwd ?? "/";
    try {
      return await session.runAsync(req.argv);
    } catch (e) {
      logInternalError(this.io, req.argv[0]!, e);
      session.err(`wasm-lkm: ${req.argv[0]}: internal error: ${firstLine(e)}\n`);
      return 1;
    }
  }

  /**
   * Stop accepting, end every other client's command (SIGHUP, as their terminals hang up) and close their
   * sessions, halt the kernel in order and send what it logged meanwhile to the client that asked (or to
   * this process's output, on a signal). The socket file goes first, so once the client hears the status
   * no kernel is to be found there.
   */
  private async halt(requester: Connection | null): Promise<void> {
    if (this.halting) return;
    this.halting = true;
    this.server.close();
    rmSync(this.path, { force: true });
    this.stopClock();
    const others = [...this.connections].filter((c) => c !== requester);
    await Promise.all(others.map((c) => c.closeSession()));
    for (const conn of others) conn.drop();
    requester?.session.close();
    const last = this.kernel.log.read().at(-1)?.seq ?? -1;
    let status = 0;
    try {
      this.kernel.halt();
    } catch (e) {
      // The kernel halts all the same: what it could not take down is in the crash log, and the status says so.
      logInternalError(this.io, "halt", e);
      status = 1;
    }
    const log = this.kernel.log.read().filter((r) => r.seq > last).map((r) => `${r.text}\n`).join("");
    if (requester) requester.finish([{ out: log }, { status }]);
    else this.io.out(log);
    this.settle(status);
  }
}

/**
 * A connection the daemon will serve no more: told why and given `status`, then closed once the client
 * closes its end, or REFUSED_LINGER_MS later. Until then what it sends is read and thrown away, so a
 * client still writing is not cut off (EPIPE) before it reads why.
 */
function refuse(sock: Socket, why: string, status = 1): void {
  sock.on("error", () => {});
  sock.resume();
  sock.end(frame({ err: why }) + frame({ status }));
  const linger = setTimeout(() => sock.destroy(), REFUSED_LINGER_MS).unref();
  sock.once("close", () => clearTimeout(linger));
}

/**
 * Write down a host error the daemon survived, when and where, with its stack, on its stderr: the log
 * beside the socket once detached (see logPath), the terminal with --foreground.
 */
function logInternalError(io: Output, where: string, e: unknown): void {
  io.err(internalErrorEntry(where, e));
}

/** A booted kernel is a running system: every CLOCK_PERIOD_MS, simulated time catches up with wall time. */
function followWallClock(kernel: Kernel): () => void {
  let last = process.hrtime.bigint();
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    kernel.tick(Number(now - last));
    last = now;
  }, CLOCK_PERIOD_MS);
  return () => clearInterval(timer);
}
