// The kernel daemon's socket: where it lives, how a client reaches it, and the wire protocol's framing.
//
// The protocol is newline-delimited JSON. A client sends one request a line, {"argv": [...], "cwd": "..."}
// (cwd: where the client runs, so a module path is taken as the user typed it); the daemon answers with
// {"out": "..."} and {"err": "..."} chunks as the command prints them, then {"status": N}. A connection
// may carry any number of requests, answered in order; it is one shell session from first to last.
// {"signal": N} sends signal N to the command the connection is running (the client's Ctrl-C is 2).

import { lstatSync, type Stats } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { ERRNO, errno, strerror, type ErrnoName } from "../../abi/errno.js";

/** The environment variable naming the socket, for clients (and for boot and halt without --socket). */
export const SOCKET_ENV = "WASM_LKM_SOCKET";

/** $XDG_RUNTIME_DIR/wasm-lkm/kernel.sock, else <tmpdir>/wasm-lkm-<uid>/kernel.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env["XDG_RUNTIME_DIR"];
  if (runtime) return join(runtime, "wasm-lkm", "kernel.sock");
  return join(tmpdir(), `wasm-lkm-${process.getuid?.() ?? userInfo().uid}`, "kernel.sock");
}

/** The socket to use: the one named (--socket), else $WASM_LKM_SOCKET, else the default; absolute. */
export function socketPath(named?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(named ?? (env[SOCKET_ENV] || defaultSocketPath(env)));
}

/** The daemon's log beside its socket (kernel.sock's is kernel.log): its stderr and what it survived, once detached. */
export function logPath(socket: string): string {
  return `${socket.replace(/\.sock$/, "")}.log`;
}

/**
 * Why the socket's directory cannot be trusted, or undefined when it can (or does not exist yet). Whoever
 * can write in it can put a socket of their own there and answer the clients, so, as tmux and ssh-agent
 * require, it must be a directory itself (not a symbolic link to one), owned by this user, and writable
 * by nobody else: `directory D has unsafe permissions: owned by uid 1000, not 0`.
 */
export function unsafeDirectory(dir: string): string | undefined {
  let st: Stats | undefined;
  try {
    st = lstatSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `cannot read directory ${dir}: ${code !== undefined && code in ERRNO ? strerror(errno(code as ErrnoName)) : (e as Error).message}`;
  }
  if (st === undefined) return undefined;
  if (st.isSymbolicLink()) return `${dir} is a symbolic link, not a directory`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.() ?? userInfo().uid;
  if (st.uid !== uid) return `directory ${dir} has unsafe permissions: owned by uid ${st.uid}, not ${uid}`;
  const writers = [st.mode & 0o020 ? "its group" : "", st.mode & 0o002 ? "others" : ""].filter((w) => w !== "");
  if (writers.length === 0) return undefined;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
  return `directory ${dir} has unsafe permissions: mode ${mode}, writable by ${writers.join(" and ")}`;
}

/** Where a command's output goes: its standard output and standard error. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface Request {
  readonly argv: readonly string[];
  readonly cwd?: string;
}

/** A signal from the client for the command its connection runs: {"signal": 2} is its Ctrl-C. */
export interface SignalMessage {
  readonly signal: number;
}

export type Reply = { readonly out: string } | { readonly err: string } | { readonly status: number };

/** One message as a line on the wire. */
export function frame(message: Request | SignalMessage | Reply): string {
  return `${JSON.stringify(message)}\n`;
}

/** The longest request line the daemon reads, in bytes without its newline: past it the connection is refused. */
export const REQUEST_MAX = 1 << 20;

/** A line kept past this many bytes gives its space back once it ends, so an idle connection holds little. */
const LINE_KEEP = 64 * 1024;

/**
 * Cuts a byte stream into lines of UTF-8 text; a line not yet ended stays until its newline comes (or
 * never does). Each byte is looked at once and copied at most twice (the buffer doubles as it grows),
 * so any split of the stream costs the same. Past `limit` bytes without a newline the decoder is
 * `tooLong`: it lets go of the line and returns no line again, since where that line ends is not known.
 */
export class LineDecoder {
  private partial = Buffer.alloc(0);
  private partialBytes = 0;
  private overflowed = false;

  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  /** A line went past the limit: the stream cannot be read on. */
  get tooLong(): boolean {
    return this.overflowed;
  }

  /** The lines this chunk completes, without their newlines (UTF-8 never has a newline byte inside a character). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1 && !this.overflowed; nl = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, nl));
      if (!this.overflowed) lines.push(this.partial.toString("utf8", 0, this.partialBytes));
      this.partialBytes = 0;
      if (this.partial.length > LINE_KEEP) this.partial = Buffer.alloc(0);
      start = nl + 1;
    }
    this.keep(chunk.subarray(start));
    return lines;
  }

  private keep(part: Buffer): void {
    if (this.overflowed) return;
    const needed = this.partialBytes + part.length;
    if (needed > this.limit) {
      this.overflowed = true;
      this.partial = Buffer.alloc(0);
      return;
    }
    if (needed > this.partial.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, 2 * this.partial.length, 256), this.limit));
      this.partial.copy(grown, 0, 0, this.partialBytes);
      this.partial = grown;
    }
    this.partialBytes += part.copy(this.partial, this.partialBytes);
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** A request line, or undefined when it is not one: argv must be a non-empty list of strings. */
export function parseRequest(line: string): Request | undefined {
  const m = parse(line) as { argv?: unknown; cwd?: unknown } | undefined;
  if (typeof m !== "object" || m === null || !Array.isArray(m.argv) || m.argv.length === 0) return undefined;
  if (!m.argv.every((w) => typeof w === "string")) return undefined;
  if (m.cwd !== undefined && typeof m.cwd !== "string") return undefined;
  return m.cwd === undefined ? { argv: m.argv as string[] } : { argv: m.argv as string[], cwd: m.cwd };
}

/** The signal a signal line carries (1 to 31), or undefined when the line is not one. */
export function parseSignal(line: string): number | undefined {
  const m = parse(line) as { signal?: unknown } | undefined;
  const sig = typeof m === "object" && m !== null ? m.signal : undefined;
  return typeof sig === "number" && Number.isInteger(sig) && sig >= 1 && sig <= 31 ? sig : undefined;
}

/** A reply line, or undefined when it is not one. */
export function parseReply(line: string): Reply | undefined {
  const m = parse(line) as Record<string, unknown> | undefined;
  if (typeof m !== "object" || m === null) return undefined;
  if (typeof m["out"] === "string") return { out: m["out"] };
  if (typeof m["err"] === "string") return { err: m["err"] };
  if (typeof m["status"] === "number") return { status: m["status"] };
  return undefined;
}

/**
 * Connect to the socket at `path`. Rejects with Node's error: ENOENT when there is no socket file,
 * ECONNREFUSED when there is one but nobody listens (a stale socket), anything else as it comes.
 */
export function connect(path: string): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const sock = createConnection(path);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolveSocket(sock);
    });
    sock.once("error", reject);
  });
}
