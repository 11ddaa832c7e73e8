// The kernel daemon's client: one command sent to the running kernel, its output and exit status back.

import type { Socket } from "node:net";
import { dirname } from "node:path";
import { signo } from "../../abi/signal.js";
import { connect, frame, LineDecoder, parseReply, unsafeDirectory, type Output } from "./socket.js";

/** Nobody listens on the socket; the message says so, and how to start a kernel. */
export class NoKernelError extends Error {}

/** Connect to the kernel at path; NoKernelError when there is no socket or nobody listens on it. */
async function reach(path: string): Promise<Socket> {
  try {
    return await connect(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? `no socket at ${path}` : code === "ECONNREFUSED" ? `nothing listening on ${path}` : undefined;
    if (why === undefined) throw e;
    throw new NoKernelError(`wasm-lkm: no kernel is running (${why}); start one with: wasm-lkm boot`);
  }
}

/**
 * Run argv in the kernel listening at path, from this process's working directory, printing what it
 * prints as it comes (taking no more while standard output is backed up, so the kernel's command waits).
 * Ctrl-C is sent on to the command as SIGINT. The command's exit status; 1 if the kernel goes away before
 * it finishes, or if the socket's directory is not safe (whoever can write there may be the one listening).
 * Throws NoKernelError when no kernel runs there.
 */
export async function forward(argv: readonly string[], path: string, io: Output, drained?: () => Promise<void> | undefined): Promise<number> {
  const unsafe = unsafeDirectory(dirname(path));
  if (unsafe !== undefined) {
    io.err(`wasm-lkm: ${unsafe}\n`);
    return 1;
  }
  const sock = await reach(path);
  const interrupt = () => void sock.write(frame({ signal: signo("SIGINT") }));
  process.on("SIGINT", interrupt);
  return new Promise((done) => {
    const lines = new LineDecoder();
    let status: number | undefined;
    sock.on("data", (chunk: Buffer) => {
      for (const line of lines.push(chunk)) {
        const reply = parseReply(line);
        if (reply === undefined || status !== undefined) continue;
        if ("out" in reply) io.out(reply.out);
        else if ("err" in reply) io.err(reply.err);
        else {
          status = reply.status;
          sock.end();
        }
      }
      const backedUp = drained?.();
      if (backedUp) {
        sock.pause();
        void backedUp.then(() => sock.resume());
      }
    });
    // ECONNRESET and the like: 'close' follows, and says what was lost.
    sock.on("error", () => {});
    sock.on("close", () => {
      process.off("SIGINT", interrupt);
      if (status === undefined) io.err("wasm-lkm: the kernel closed the connection before the command finished\n");
      done(status ?? 1);
    });
    sock.write(frame({ argv, cwd: process.cwd() }));
  });
}
