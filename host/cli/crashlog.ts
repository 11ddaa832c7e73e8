// Host errors the kernel survived: one line for the user, the stack for whoever reads the log.
//
// A bug in a command (or anywhere the daemon serves) must not reach the user as a JavaScript stack trace,
// nor kill `run`, `shell` or the daemon: the command fails with one line and status 1, and the entry, with
// its time and stack, goes to the kernel log file: the daemon's stderr once detached (kernel.log beside its
// socket), and for `run` and `shell` the same file beside the default socket.

import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { logPath, socketPath, unsafeDirectory } from "./socket.js";

/** The first line of a host error's message, for the user. */
export function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n", 1)[0]!;
}

/** The log entry for a host error: when, where, and its stack. */
export function internalErrorEntry(where: string, e: unknown): string {
  const trace = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  return `${new Date().toISOString()} wasm-lkm: ${where}: internal error: ${trace}\n`;
}

/** Where `run` and `shell` keep their log: kernel.log beside the default socket. */
export function localLogPath(): string {
  return logPath(socketPath());
}

/**
 * Append the entry to the local log, making its directory (0700) if need be; false when the directory is
 * not the user's alone or the file cannot be written (the entry is then lost, the user still told).
 */
export function appendInternalError(where: string, e: unknown, path = localLogPath()): boolean {
  try {
    if (unsafeDirectory(dirname(path)) !== undefined) return false;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, internalErrorEntry(where, e));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}
