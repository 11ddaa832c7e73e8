// The kernel daemon's socket: where it lives, how a client reaches it, and the wire protocol's framing.
//
// The protocol is newline-delimited JSON. A client sends one request a line, {"argv": [...], "cwd": "..."}
// (cwd: where the client runs, so a module path is taken as the user typed it); the daemon answers with
// {"out": "..."} and {"err": "..."} chunks as the command prints them, then {"status": N}. A connection
// may carry any number of requests, answered in order; it is one shell session from first to last.
// {"signal": N} sends signal N to the command the connection is running (the client's Ctrl-C is 2).

import { createConnection, type Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join, resolve } from "node:path";

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
