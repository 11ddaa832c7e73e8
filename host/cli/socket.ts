// The kernel daemon's socket: where it lives, how a client reaches it, and the wire protocol's framing.
//
// The protocol is newline-delimited JSON. A client sends one request a line, {"argv": [...], "cwd": "..."}
// (cwd: where the client runs, so a module path is taken as the user typed it); the daemon answers with
// {"out": "..."} and {"err": "..."} chunks as the command prints them, then {"status": N}. A connection
// may carry any number of requests, answered in order; it is one shell session from first to last.

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

export type Reply = { readonly out: string } | { readonly err: string } | { readonly status: number };

/** One message as a line on the wire. */
export function frame(message: Request | Reply): string {
  return `${JSON.stringify(message)}\n`;
}

/** Cuts a stream of text into lines; a line not yet ended stays until its newline comes (or never does). */
export class LineDecoder {
  private partial = "";

  /** The lines this chunk completes, without their newlines. */
  push(chunk: string): string[] {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop()!;
    return lines;
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
