// Interrupting commands and keeping output bounded: SIGINT to a looping or waiting command (the shell's
// Ctrl-C, through a real pseudo-terminal), a closed or slow output pipe for `run`, a driver that claims
// more bytes than it was asked for, and the kernel daemon serving a client while another streams forever.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signo } from "../../abi/signal.js";
import { frame, LineDecoder, parseReply, type Reply } from "../../host/cli/socket.js";
import { Kernel } from "../../host/init/main.js";
import { ROOT } from "../../scripts/paths.js";
import { cliSession, dmesg, loadBytes, moduleFixtures } from "../helpers.js";

const CLI = join(ROOT, "dist/host/cli/wasm-lkm.js");
const base = mkdtempSync(join(tmpdir(), "wasm-lkm-interrupt-"));
const children: ChildProcess[] = [];

/** A driver whose read waits on a queue nobody wakes, and one whose read claims 100 bytes more than asked. */
const FIXTURES: Record<string, string> = {
  sleeper: `
import { device_create, device_destroy, file_operations, init_waitqueue_head, register_chrdev, unregister_chrdev,
  wait_event_interruptible, THIS_MODULE } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const fops = new file_operations();
let wq: u32 = 0;
function sleeper_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 { return wait_event_interruptible(wq); }
export function init_module(): i32 {
  wq = init_waitqueue_head();
  fops.owner = THIS_MODULE;
  fops.read = sleeper_read.index;
  const err = register_chrdev(241, "sleeper", fops);
  if (err < 0) return err;
  device_create(241, 0, "sleeper");
  return 0;
}
export function cleanup_module(): void { device_destroy(241, 0); unregister_chrdev(241, "sleeper"); }`,
  overread: `
import { device_create, device_destroy, file_operations, register_chrdev, unregister_chrdev, THIS_MODULE } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const fops = new file_operations();
function overread_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 { return count + 100; }
export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.read = overread_read.index;
  const err = register_chrdev(242, "overread", fops);
  if (err < 0) return err;
  device_create(242, 0, "overread");
  return 0;
}
export function cleanup_module(): void { device_destroy(242, 0); unregister_chrdev(242, "overread"); }`,
};

const fixtures = moduleFixtures("interrupt", FIXTURES);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(base, { recursive: true, force: true });
});

/** What waitFor keeps of a stream: its tail, which every pattern here is about (cat of /dev/zero is endless). */
const TAIL = 8192;

/** Resolves once the tail of what `stream` has produced matches `pattern`; returns that tail. */
function waitFor(stream: NodeJS.ReadableStream, pattern: RegExp, seen: { text: string }): Promise<string> {
  return new Promise((done) => {
    const check = () => {
      if (!pattern.test(seen.text)) return false;
      stream.off("data", onData);
      done(seen.text);
      return true;
    };
    const onData = (chunk: Buffer | string) => {
      seen.text = (seen.text + chunk.toString()).slice(-TAIL);
      check();
    };
    if (!check()) stream.on("data", onData);
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
}

describe("a command interrupted in an asynchronous session", () => {
  it("cat of an endless device ends with 130 at SIGINT, the rest of the line is not run, its file is closed", async () => {
    const k = new Kernel();
    k.insmod(loadBytes("memdev"));
    const { s, out } = cliSession(k);
    const line = s.execAsync("cat /dev/zero; echo not reached");
    await new Promise((r) => setImmediate(r));
    expect(out.join("").length).toBeGreaterThan(0);
    s.kill(signo("SIGINT"));
    expect(await line).toBe(130);
    expect(out.join("")).not.toContain("not reached");
    expect(k.read("/proc/modules")).toMatch(/^memdev \d+ 0 /m);
    expect(s.exec("echo still here")).toBe(0);
    expect(out.at(-1)).toBe("still here\n");
  });

  it("a read waiting on a queue nobody wakes returns EINTR at SIGINT: cat ends with 130 and the task sleeps no more", async () => {
    const k = new Kernel();
    k.insmod(fixtures.get("sleeper")!);
    k.machine.attach("pit");
    const { s, err } = cliSession(k);
    const line = s.execAsync("cat /dev/sleeper");
    await new Promise((r) => setImmediate(r));
    expect(s.libc.task.sleeping).toBe(true);
    s.kill(signo("SIGINT"));
    expect(await line).toBe(130);
    expect(err).toEqual([]);
    expect(s.libc.task.sleeping).toBe(false);
    expect(s.libc.task.sigpending).toBe(0);
  });

  it("a waiting read that nothing could wake is given up at once, as Ctrl-C would end it (130)", async () => {
    const k = new Kernel();
    k.insmod(fixtures.get("sleeper")!);
    const { s } = cliSession(k);
    expect(await s.execAsync("cat /dev/sleeper")).toBe(130);
  });

  it("hw tick of a long time runs in slices that a SIGINT ends", async () => {
    const k = new Kernel();
    const { s } = cliSession(k);
    const line = s.execAsync("hw tick 1000000s");
    await new Promise((r) => setImmediate(r));
    s.kill(signo("SIGINT"));
    expect(await line).toBe(130);
    expect(k.clock.nowNs).toBeLessThan(1e6 * 1e9);
    expect(k.clock.nowNs).toBeGreaterThan(0);
  });
});

describe("a file operation that returns more bytes than it was asked for", () => {
  it("is EIO, reported once with the module and the operation named; nothing is copied", () => {
    const k = new Kernel();
    k.insmod(fixtures.get("overread")!);
    const { s, out, err } = cliSession(k);
    k.log.clear();
    expect(s.exec("cat /dev/overread")).toBe(1);
    expect(s.exec("cat /dev/overread")).toBe(1);
    expect(err.join("")).toBe("cat: /dev/overread: Input/output error\n".repeat(2));
    expect(out).toEqual([]);
    expect(dmesg(k)).toEqual(["overread: file_operations.read returned 65636 for a read of 65536 bytes"]);
  });
});

describe("wasm-lkm shell at a terminal", () => {
  it("Ctrl-C interrupts a looping cat and the rest of its line, gives a fresh prompt when nothing runs, and Ctrl-D leaves", async () => {
    const child = spawn("script", ["-qfec", `node ${CLI} shell`, "/dev/null"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    children.push(child);
    const seen = { text: "" };
    const type = (keys: string) => child.stdin!.write(keys);
    // readline redraws its prompt with cursor moves: "ESC[1G ESC[0J wasm-lkm#  ESC[11G".
    const prompt = "wasm-lkm# (\\x1b\\[\\d+G)?$";
    const after = (what: string) => new RegExp(`${what}[^]*${prompt}`);
    await waitFor(child.stdout!, new RegExp(prompt), seen);
    type("insmod memdev\r");
    await waitFor(child.stdout!, after("insmod memdev\\r*\\n"), seen);
    type("cat /dev/zero; echo not reached\r");
    await waitFor(child.stdout!, /\0/, seen);
    type("\x03");
    await waitFor(child.stdout!, after("\\0"), seen);
    seen.text = "";
    type("lsmod\r");
    await waitFor(child.stdout!, after("memdev +\\d+ +0\\r*\\n"), seen);
    seen.text = "";
    type("\x03");
    await waitFor(child.stdout!, after("\\^C\\r*\\n"), seen);
    type("rmmod memdev\r");
    await waitFor(child.stdout!, after("rmmod memdev\\r*\\n"), seen);
    type("\x04");
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(seen.text).not.toContain("not reached");
  });
});

describe("wasm-lkm run with its output in a pipe", () => {
  const script = () => {
    const path = join(base, "zero.lkm");
    writeFileSync(path, "insmod memdev\ncat /dev/zero\n");
    return path;
  };

  it("keeps its memory bounded while the reader is slow (backpressure)", async () => {
    const child = spawn("node", [CLI, "run", script()], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    const stdout = child.stdout!;
    stdout.pause();
    let peakKb = 0;
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      for (let n = 0; n < 4 && stdout.read() !== null; n++);
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      peakKb = Math.max(peakKb, Number(rss?.[1] ?? 0));
    }
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(200 * 1024);
    child.kill("SIGKILL");
  });

  it("ends quietly as SIGPIPE would (status 141) when the reader goes away", async () => {
    const child = spawn("node", [CLI, "run", script()], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    let read = 0;
    child.stdout!.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read >= 1 << 20) child.stdout!.destroy();
    });
    expect(await exited(child)).toEqual({ code: 141, signal: null });
    expect(stderr).toBe("");
  });
});

describe("the kernel daemon", () => {
  const socket = join(base, "run", "kernel.sock");
  let daemon: ChildProcess;

  beforeAll(async () => {
    daemon = spawn("node", [CLI, "boot", "--socket", socket, "--foreground"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(daemon);
    await waitFor(daemon.stdout!, /listening on/, { text: "" });
    const replies = await converse(frame({ argv: ["insmod", "memdev"] }), 1);
    expect(replies).toEqual([{ status: 0 }]);
  });

  /** A protocol client: sends data and gathers replies; `statuses` settles when that many have come. */
  function client(): { conn: Socket; replies: Reply[]; statuses: (n: number) => Promise<Reply[]>; bytes: () => number } {
    const conn = createConnection(socket);
    const replies: Reply[] = [];
    const lines = new LineDecoder();
    const waiters: (() => void)[] = [];
    let bytes = 0;
    conn.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      for (const line of lines.push(chunk)) {
        const reply = parseReply(line)!;
        if (!("out" in reply)) replies.push(reply);
      }
      for (const w of waiters.splice(0)) w();
    });
    const statuses = (n: number) =>
      new Promise<Reply[]>((done) => {
        const check = () => (replies.filter((r) => "status" in r).length >= n ? done(replies) : waiters.push(check));
        check();
      });
    return { conn, replies, statuses, bytes: () => bytes };
  }

  async function converse(data: string, count: number): Promise<Reply[]> {
    const c = client();
    c.conn.write(data);
    const replies = await c.statuses(count);
    c.conn.end();
    return replies;
  }

  async function streaming(): Promise<ReturnType<typeof client>> {
    const c = client();
    c.conn.write(frame({ argv: ["cat", "/dev/zero"] }));
    await new Promise<void>((done) => {
      const check = () => (c.bytes() > 1 << 20 ? done() : setTimeout(check, 5));
      check();
    });
    return c;
  }

  it("answers one client's lsmod while another's cat of /dev/zero streams on", async () => {
    const stream = await streaming();
    expect(await converse(frame({ argv: ["lsmod"] }), 1)).toEqual([{ status: 0 }]);
    const before = stream.bytes();
    await new Promise((r) => setTimeout(r, 50));
    expect(stream.bytes()).toBeGreaterThan(before);
    expect(stream.replies).toEqual([]);
    stream.conn.write(frame({ signal: signo("SIGINT") }));
    expect(await stream.statuses(1)).toEqual([{ status: 130 }]);
    stream.conn.end();
  });

  it("interrupts the command of a client that disconnects: its file closes and memdev is free again", async () => {
    const stream = await streaming();
    stream.conn.destroy();
    for (;;) {
      const c = client();
      c.conn.write(frame({ argv: ["rmmod", "memdev"] }));
      const [reply] = await c.statuses(1);
      c.conn.end();
      if ((reply as { status: number }).status === 0) break;
    }
    expect(await converse(frame({ argv: ["insmod", "memdev"] }), 1)).toEqual([{ status: 0 }]);
  });

  it("halts in order on SIGTERM while a client streams, ending that client's command", async () => {
    const stream = await streaming();
    const seen = { text: "" };
    const halted = waitFor(daemon.stdout!, /reboot: System halted/, seen);
    daemon.kill("SIGTERM");
    await halted;
    expect(seen.text).toContain("reboot: Unloading module memdev");
    expect(await exited(daemon)).toEqual({ code: 0, signal: null });
    await new Promise<void>((done) => (stream.conn.destroyed ? done() : stream.conn.once("close", () => done())));
  });
});
