// The kernel daemon: `wasm-lkm boot` serving the CLI's commands on a Unix socket, many clients at once,
// clients that vanish, --modules, time passing in a booted kernel, and `wasm-lkm halt`; its trust
// boundary (the socket's directory, request and client limits) and its log of what it survived.

import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UTS_RELEASE } from "../../abi/version.js";
import { CLIENTS_MAX } from "../../host/cli/boot.js";
import { defaultSocketPath, frame, LineDecoder, logPath, parseReply, parseRequest, REQUEST_MAX, socketPath, type Reply } from "../../host/cli/socket.js";
import { depmod } from "../../host/kmod/depmod.js";
import { BUILD_DIR, ROOT } from "../../scripts/paths.js";

const CLI = join(ROOT, "dist/host/cli/wasm-lkm.js");
const base = mkdtempSync(join(tmpdir(), "wasm-lkm-daemon-"));
const sock = (name: string) => join(base, "run", `${name}.sock`);
/** Daemons started by the tests: foreground children, and the pids of detached ones. */
const children: ChildProcess[] = [];
const detached: number[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  for (const pid of detached) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already halted
    }
  }
  rmSync(base, { recursive: true, force: true });
});

interface Result {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real CLI, as a user runs it, against the kernel at socket (node given `flags` first). */
function wasmLkm(socket: string, args: readonly string[], cwd = ROOT, flags: readonly string[] = []): Promise<Result> {
  return new Promise((done) => {
    execFile("node", [...flags, CLI, ...args], { cwd, env: { ...process.env, WASM_LKM_SOCKET: socket } }, (error, stdout, stderr) => {
      const status = error ? Number((error as { code?: unknown }).code) : 0;
      done({ status, stdout, stderr });
    });
  });
}

const ok = (stdout: string): Result => ({ status: 0, stdout, stderr: "" });
const bootLine = (pid: number, socket: string) => `wasm-lkm: kernel ${UTS_RELEASE} booted (pid ${pid}), listening on ${socket}\n`;

interface Foreground {
  readonly child: ChildProcess;
  /** Its first line, printed once it listens. */
  readonly line: string;
  /** Everything it has printed on stdout so far. */
  readonly output: () => string;
}

/** `boot --foreground` as a child; resolves once it listens, which its first line of output says. */
function bootForeground(socket: string, extra: readonly string[] = []): Promise<Foreground> {
  const child = spawn("node", [CLI, "boot", "--socket", socket, "--foreground", ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((done, fail) => {
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const first = !out.includes("\n");
      out += chunk;
      if (first && out.includes("\n")) done({ child, line: out, output: () => out });
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.once("exit", (code) => fail(new Error(`boot exited (${code}) before listening: ${err}`)));
  });
}

/** The replies that come on conn, decoded as they arrive into the array returned; `then` after each chunk. */
function repliesOn(conn: Socket, then: () => void = () => {}): Reply[] {
  const replies: Reply[] = [];
  const lines = new LineDecoder();
  conn.on("data", (chunk: Buffer) => {
    for (const line of lines.push(chunk)) replies.push(parseReply(line)!);
    then();
  });
  return replies;
}

/** A raw protocol client: sends `data`, collects every reply until `count` statuses have come. */
function converse(socket: string, data: string, count: number): Promise<Reply[]> {
  return new Promise((done, fail) => {
    const conn = createConnection(socket);
    const replies = repliesOn(conn, () => {
      if (replies.filter((r) => "status" in r).length === count) {
        conn.end();
        done(replies);
      }
    });
    conn.on("error", fail);
    conn.write(data);
  });
}

/** Every reply that comes on conn until the daemon closes it. */
function untilClosed(conn: Socket): Promise<Reply[]> {
  return new Promise((done, fail) => {
    const replies = repliesOn(conn);
    conn.on("error", fail);
    conn.on("close", () => done(replies));
  });
}

/** A client that sends data and is gone at once, before any answer. */
function sendAndVanish(socket: string, data: string): Promise<void> {
  return new Promise((done, fail) => {
    const conn = createConnection(socket, () => conn.write(data, () => (conn.destroy(), done())));
    conn.on("error", fail);
  });
}

const request = (...argv: string[]) => frame({ argv });

/** How a child ends: its exit code and signal, once it has exited. */
function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once("exit", (code, signal) => done({ code, signal })));
}

/** A wait of ms of wall time: for what only the passing of wall time brings about. */
const wallTime = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the socket path", () => {
  it("is under $XDG_RUNTIME_DIR when it is set, else a per-user folder in the temporary directory", () => {
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: "/run/user/1000" })).toBe("/run/user/1000/wasm-lkm/kernel.sock");
    expect(defaultSocketPath({})).toBe(join(tmpdir(), `wasm-lkm-${process.getuid!()}`, "kernel.sock"));
  });

  it("comes from --socket, else $WASM_LKM_SOCKET, else the default, made absolute", () => {
    const env = { WASM_LKM_SOCKET: "/srv/k.sock", XDG_RUNTIME_DIR: "/run/user/7" };
    expect(socketPath("/x/named.sock", env)).toBe("/x/named.sock");
    expect(socketPath(undefined, env)).toBe("/srv/k.sock");
    expect(socketPath(undefined, { XDG_RUNTIME_DIR: "/run/user/7" })).toBe("/run/user/7/wasm-lkm/kernel.sock");
    expect(socketPath("rel.sock", env)).toBe(join(process.cwd(), "rel.sock"));
  });
});

describe("the wire protocol", () => {
  it("cuts the stream into lines, keeping a line until its newline arrives", () => {
    const d = new LineDecoder();
    expect(d.push(Buffer.from('{"argv":'))).toEqual([]);
    expect(d.push(Buffer.from('["ls"]}\n{"argv":["pwd"]}\n{"ar'))).toEqual(['{"argv":["ls"]}', '{"argv":["pwd"]}']);
    expect(d.push(Buffer.from('gv":["cat"]}\n'))).toEqual(['{"argv":["cat"]}']);
  });

  it("decodes a line as UTF-8 wherever the stream cuts it, inside a character too", () => {
    const bytes = Buffer.from("héllo wörld\n");
    const d = new LineDecoder();
    expect([...bytes].flatMap((b) => d.push(Buffer.from([b])))).toEqual(["héllo wörld"]);
  });

  it("takes a line of its limit, and past the limit keeps nothing and gives no line again", () => {
    const d = new LineDecoder(8);
    expect(d.push(Buffer.from("1234"))).toEqual([]);
    expect(d.push(Buffer.from("5678\nabc"))).toEqual(["12345678"]);
    expect(d.tooLong).toBe(false);
    expect(d.push(Buffer.from("defghi"))).toEqual([]);
    expect(d.tooLong).toBe(true);
    expect(d.push(Buffer.from("\nshort\n"))).toEqual([]);
  });

  it("gives the lines a chunk completes before the one that goes past the limit", () => {
    const d = new LineDecoder(4);
    expect(d.push(Buffer.from("ab\ncd\n12345"))).toEqual(["ab", "cd"]);
    expect(d.tooLong).toBe(true);
  });

  it("takes a request only with a non-empty argv of strings", () => {
    expect(parseRequest('{"argv":["cat","/x"],"cwd":"/tmp"}')).toEqual({ argv: ["cat", "/x"], cwd: "/tmp" });
    for (const bad of ['{"argv":[]}', '{"argv":["syscall",1]}', '{"argv":"ls"}', '{"argv":["ls"],"cwd":3}', "ls", "null"]) {
      expect(parseRequest(bad)).toBeUndefined();
    }
  });
});

describe("boot", () => {
  it("daemonizes, prints its line once the socket listens, and makes the socket 0600 in a 0700 folder", async () => {
    const socket = sock("detached");
    const r = await wasmLkm(socket, ["boot", "--socket", socket]);
    const pid = Number(/\(pid (\d+)\)/.exec(r.stdout)?.[1]);
    detached.push(pid);
    expect(r).toEqual(ok(bootLine(pid, socket)));
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(base, "run")).mode & 0o777).toBe(0o700);
    expect(await wasmLkm(socket, ["lsmod"])).toEqual(ok("Module                  Size  Used by\n"));
    expect(await wasmLkm(socket, ["halt", "--socket", socket])).toEqual(ok("reboot: System halted\n"));
    expect(existsSync(socket)).toBe(false);
  });

  it("refuses a second kernel on a socket where one is running", async () => {
    const socket = sock("busy");
    const { child } = await bootForeground(socket);
    expect(await wasmLkm(socket, ["boot", "--socket", socket])).toEqual({
      status: 1, stdout: "", stderr: `wasm-lkm boot: a kernel is already running on ${socket}\n`,
    });
    expect(await wasmLkm(socket, ["pwd"])).toEqual(ok("/\n"));
    const exited = exitOf(child);
    expect(await wasmLkm(socket, ["halt", "--socket", socket])).toEqual(ok("reboot: System halted\n"));
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(existsSync(socket)).toBe(false);
  });

  it("takes over a stale socket that nobody listens on", async () => {
    const socket = sock("stale");
    // A server that dies without closing leaves its socket file behind.
    await new Promise((done) => {
      const code = `require("net").createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, "SIGKILL"))`;
      spawn("node", ["-e", code]).once("exit", done);
    });
    expect(statSync(socket).isSocket()).toBe(true);
    expect(await wasmLkm(socket, ["lsmod"])).toEqual({
      status: 1, stdout: "", stderr: `wasm-lkm: no kernel is running (nothing listening on ${socket}); start one with: wasm-lkm boot\n`,
    });
    const { child, line } = await bootForeground(socket);
    expect(line).toBe(bootLine(child.pid!, socket));
    expect(await wasmLkm(socket, ["pwd"])).toEqual(ok("/\n"));
    expect(await wasmLkm(socket, ["halt"])).toEqual(ok("reboot: System halted\n"));
  });

  it("refuses a module directory that does not exist, and starts nothing", async () => {
    const socket = sock("nodir");
    const missing = join(base, "no-such-dir");
    expect(await wasmLkm(socket, ["boot", "--socket", socket, "--modules", missing])).toEqual({
      status: 1, stdout: "", stderr: `wasm-lkm boot: cannot use module directory ${missing}: No such file or directory\n`,
    });
    expect(existsSync(socket)).toBe(false);
  });

  it("refuses a delay that is not a number of seconds above 0", async () => {
    const socket = sock("baddelay");
    expect(await wasmLkm(socket, ["boot", "--socket", socket, "--delay", "soon"])).toEqual({
      status: 1, stdout: "", stderr: "wasm-lkm boot: invalid delay 'soon': seconds, more than 0\n",
    });
    expect(existsSync(socket)).toBe(false);
  });
});

describe("demand loading in a booted kernel", () => {
  const socket = sock("demand");
  const cli = (...args: string[]) => wasmLkm(socket, args);

  it("loads a filesystem's module when a client mounts it, and autoclean takes it back once unused", async () => {
    await bootForeground(socket, ["--delay", "1"]);
    expect(await cli("mount", "-t", "ramfs", "none", "/mnt")).toEqual(ok(""));
    expect((await cli("lsmod")).stdout).toMatch(/^Module +Size {2}Used by\nramfs +\d+ {2}1\n$/);
    expect(await cli("umount", "/mnt")).toEqual(ok(""));
    // kerneld sweeps every second here: three seconds of simulated time see it spared once, then removed.
    expect(await cli("hw", "tick", "3s")).toEqual(ok(""));
    expect(await cli("lsmod")).toEqual(ok("Module                  Size  Used by\n"));
    expect(await cli("halt")).toEqual(ok("reboot: System halted\n"));
  });
});

describe("without a kernel running", () => {
  const socket = sock("none");
  const none = `wasm-lkm: no kernel is running (no socket at ${socket}); start one with: wasm-lkm boot\n`;

  it("says so for every command that needs the kernel, and for halt", async () => {
    for (const args of [["lsmod"], ["insmod", "hello"], ["cat", "/proc/modules"], ["halt"]]) {
      expect(await wasmLkm(socket, args)).toEqual({ status: 1, stdout: "", stderr: none });
    }
  });

  it("still runs modinfo and depmod, which only read files, on their own", async () => {
    expect(await wasmLkm(socket, ["modinfo", "-F", "author", "hello"])).toEqual(ok("wasm-lkm developers\n"));
    const dep = await wasmLkm(socket, ["depmod", "-n"]);
    expect(dep.status).toBe(0);
    expect(dep.stdout).toMatch(/^kernel\/counter\.wasm:\n/m);
    expect(dep.stdout).toContain("kernel/counter_user.wasm: kernel/counter.wasm\n");
  });
});

describe("clients of one kernel", () => {
  let socket = "";
  let daemon: ChildProcess;
  let kernels = 0;
  const cli = (...args: string[]) => wasmLkm(socket, args);

  // Each test has a kernel of its own, fresh, and leaves it serving, never gone down, before it halts.
  beforeEach(async () => {
    socket = sock(`main${kernels++}`);
    const { child, line } = await bootForeground(socket);
    daemon = child;
    expect(line).toBe(bootLine(child.pid!, socket));
  });

  afterEach(async () => {
    expect(await cli("pwd")).toEqual(ok("/\n"));
    expect(daemon.exitCode).toBe(null);
    const exited = exitOf(daemon);
    expect((await cli("halt")).status).toBe(0);
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it("runs insmod, lsmod and rmmod with each command's output and status, and keeps state between clients", async () => {
    expect(await cli("insmod", "counter")).toEqual(ok(""));
    expect(await cli("insmod", "counter_user", "step=3")).toEqual(ok(""));
    expect((await cli("lsmod")).stdout).toMatch(/^Module {18}Size {2}Used by\ncounter_user +\d+ {2}0\ncounter +\d+ {2}1 counter_user\n$/);
    expect(await cli("rmmod", "counter")).toEqual({ status: 1, stdout: "", stderr: "rmmod: ERROR: Module counter is in use by: counter_user\n" });
    expect(await cli("insmod", "nosuchmodule")).toEqual({
      status: 1, stdout: "", stderr: "insmod: ERROR: could not load module nosuchmodule: No such file or directory\n",
    });
    expect(await cli("rmmod", "counter_user")).toEqual(ok(""));
    expect(await cli("rmmod", "counter")).toEqual(ok(""));
    expect(await cli("dmesg", "-t")).toEqual(ok(
      "counter: ready at 0\ncounter_user: added 3, counter_add returned 3, counter_get says 3\n" +
        "counter_user: leaving the counter at 3\ncounter: unloading at 3\n",
    ));
    expect(await cli("cat", "/proc/modules")).toEqual(ok(""));
    expect(await cli("cat", "/nope")).toEqual({ status: 1, stdout: "", stderr: "cat: /nope: No such file or directory\n" });
  });

  it("writes with echo, its '>' passed as a word of its own", async () => {
    expect(await cli("echo", "3", ">", "/proc/sys/kernel/printk")).toEqual(ok(""));
    expect(await cli("cat", "/proc/sys/kernel/printk")).toEqual(ok("3\t4\t1\t7\n"));
    expect(await cli("echo", "-n", "7", ">", "/proc/sys/kernel/printk")).toEqual(ok(""));
    expect(await cli("echo", "one", ">", "/tmp/log")).toEqual(ok(""));
    expect(await cli("echo", "two", ">>", "/tmp/log")).toEqual(ok(""));
    expect(await cli("cat", "/proc/sys/kernel/printk", "/tmp/log")).toEqual(ok("7\t4\t1\t7\none\ntwo\n"));
    expect(await cli("echo", "to", "the", "terminal")).toEqual(ok("to the terminal\n"));
  });

  it("takes a module path from the client's own working directory", async () => {
    expect(await wasmLkm(socket, ["modinfo", "-F", "name", "./memdev.wasm"], BUILD_DIR)).toEqual(ok("memdev\n"));
    expect(await wasmLkm(socket, ["insmod", "./memdev.wasm"], BUILD_DIR)).toEqual(ok(""));
    expect(await cli("rmmod", "memdev")).toEqual(ok(""));
  });

  it("gives each of twelve clients at once exactly its own output", async () => {
    const text = (i: number) => `${String.fromCharCode(97 + i)}${i}`.repeat(2000);
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const wrote = await cli("echo", text(i), ">", `/tmp/c${i}`);
        const read = await cli("cat", `/tmp/c${i}`);
        const missing = await cli("cat", `/tmp/none${i}`);
        return [wrote, read, missing];
      }),
    );
    results.forEach(([wrote, read, missing], i) => {
      expect(wrote).toEqual(ok(""));
      expect(read).toEqual(ok(`${text(i)}\n`));
      expect(missing).toEqual({ status: 1, stdout: "", stderr: `cat: /tmp/none${i}: No such file or directory\n` });
    });
  });

  it("runs the requests of one connection in order, in one session", async () => {
    const replies = await converse(socket, request("cd", "/tmp") + request("pwd") + request("cat", "nothing") + '{"argv": 1}\n', 4);
    expect(replies).toEqual([
      { status: 0 },
      { out: "/tmp\n" },
      { status: 0 },
      { err: "cat: nothing: No such file or directory\n" },
      { status: 1 },
      { err: "wasm-lkm: malformed request\n" },
      { status: 2 },
    ]);
  });

  it("is left as it was by clients that vanish mid-command or mid-request, and serves on", async () => {
    expect(await cli("hw", "attach", "uart16550")).toEqual(ok("uart0: uart16550 at 0x3f8 irq 4\n"));
    expect(await cli("insmod", "serial16550")).toEqual(ok(""));
    // A command that leaves the device open in its shell, another that waits on it: both clients gone first.
    await sendAndVanish(socket, request("mkdir", "/tmp/gone1") + request("syscall", "open", "/dev/ttyS0", "2"));
    await sendAndVanish(socket, request("mkdir", "/tmp/gone2") + request("cat", "/dev/ttyS0"));
    await sendAndVanish(socket, '{"argv": ["mkdir", "/tmp/gone3"');
    expect(await cli("ls", "/tmp/gone1", "/tmp/gone2", "/tmp/gone3")).toEqual({
      status: 2, stdout: "/tmp/gone1:\n\n/tmp/gone2:\n", stderr: "ls: cannot access '/tmp/gone3': No such file or directory\n",
    });
    expect(await cli("cat", "/sys/module/serial16550/refcnt")).toEqual(ok("0\n"));
    const pids = (await cli("ls", "/proc")).stdout.split("\n").filter((n) => /^\d+$/.test(n));
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe("1");
    expect(await cli("rmmod", "serial16550")).toEqual(ok(""));
    expect(await cli("hw", "detach", "uart0")).toEqual(ok(""));
  });

  it("lets simulated time pass with wall time, so kernel timers fire without a command", async () => {
    expect(await cli("insmod", "ticker")).toEqual(ok(""));
    expect(await cli("dmesg", "-t", "-l", "warn")).toEqual(ok(""));
    // The ticker's watchdog is a kernel timer that fires each second; with no PIT attached it complains.
    // No command runs between the polls but dmesg, which does not move the clock: only the wall clock moves the kernel's.
    // A loaded machine may take longer than a second to let the daemon run, so poll rather than sleep a fixed time.
    let warnings = "";
    for (let waited = 0; warnings === "" && waited < 30_000; waited += 250) {
      await wallTime(250);
      warnings = (await cli("dmesg", "-t", "-l", "warn")).stdout;
    }
    expect(warnings).toMatch(/^(ticker: no interrupt from the PIT for a second\n)+$/);
    expect(await cli("rmmod", "ticker")).toEqual(ok(""));
  });
});

describe("a kernel booted with --modules DIR", () => {
  const socket = sock("moddir");
  const dir = join(base, "lib", "modules", UTS_RELEASE);

  beforeAll(async () => {
    mkdirSync(join(dir, "kernel"), { recursive: true });
    for (const m of ["counter", "counter_user", "hello"]) copyFileSync(join(BUILD_DIR, `${m}.wasm`), join(dir, "kernel", `${m}.wasm`));
    depmod(dir);
  });

  it("finds modules by name in DIR's modules.dep", async () => {
    await bootForeground(socket, ["--modules", dir]);
    expect(await wasmLkm(socket, ["modinfo", "-F", "filename", "hello"])).toEqual(ok(`${join(dir, "kernel", "hello.wasm")}\n`));
    expect(await wasmLkm(socket, ["insmod", "hello", "who=dir"])).toEqual(ok(""));
    expect(await wasmLkm(socket, ["dmesg", "-t"])).toEqual(ok("Hello, dir!\n"));
    expect(await wasmLkm(socket, ["halt"])).toEqual(ok("reboot: Unloading module hello\nGoodbye, dir.\nreboot: System halted\n"));
  });

  it("boots, detached, with --cmdline as /proc/cmdline, whose MODULE.PARAM=VALUE and modprobe.blacklist= modprobe applies", async () => {
    const r = await wasmLkm(socket, ["boot", "--socket", socket, "--modules", dir, "--cmdline", "quiet hello.who=cmdline modprobe.blacklist=counter"]);
    detached.push(Number(/\(pid (\d+)\)/.exec(r.stdout)?.[1]));
    expect(await wasmLkm(socket, ["cat", "/proc/cmdline"])).toEqual(ok("quiet hello.who=cmdline modprobe.blacklist=counter\n"));
    expect(await wasmLkm(socket, ["modprobe", "-b", "counter"])).toEqual(ok(""));
    expect(await wasmLkm(socket, ["modprobe", "hello"])).toEqual(ok(""));
    expect((await wasmLkm(socket, ["lsmod"])).stdout).toMatch(/^Module +Size {2}Used by\nhello +\d+ {2}0\n$/);
    expect(await wasmLkm(socket, ["dmesg", "-t"])).toEqual(ok("Hello, cmdline!\n"));
    expect((await wasmLkm(socket, ["halt"])).status).toBe(0);
  });
});

describe("halt", () => {
  const socket = sock("halt");
  const cli = (...args: string[]) => wasmLkm(socket, args);
  /** What halting logs for counter, ramfs and counter_user loaded in that order, ramfs mounted on /mnt. */
  const HALTED =
    "reboot: Unmounting /mnt (ramfs)\n" +
    "reboot: Unloading module counter_user\n" +
    "counter_user: leaving the counter at 5\n" +
    "reboot: Unloading module ramfs\n" +
    "reboot: Unloading module counter\n" +
    "counter: unloading at 5\n" +
    "reboot: System halted\n";

  it("closes every client, unmounts and unloads in order, removes the socket and exits 0", async () => {
    const { child } = await bootForeground(socket);
    for (const args of [
      ["insmod", "counter"], ["insmod", "ramfs"], ["insmod", "counter_user"],
      ["mount", "-t", "ramfs", "none", "/mnt"], ["mkdir", "/mnt/d"], ["mount", "-t", "devtmpfs", "dev", "/mnt/d"],
    ]) {
      expect(await cli(...args)).toEqual(ok(""));
    }
    // A client that is connected, idle, its shell's cwd inside the mount: halt ends its session first.
    const idle = createConnection(socket);
    const idleClosed = new Promise((done) => idle.once("close", done));
    idle.write(request("cd", "/mnt"));
    const exited = exitOf(child);
    await new Promise((r) => idle.once("data", r));
    expect(await cli("halt")).toEqual(ok(`reboot: Unmounting /mnt/d (devtmpfs)\n${HALTED}`));
    expect(existsSync(socket)).toBe(false);
    await idleClosed;
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(await cli("lsmod")).toEqual({
      status: 1, stdout: "", stderr: `wasm-lkm: no kernel is running (no socket at ${socket}); start one with: wasm-lkm boot\n`,
    });
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`happens on ${signal} as halt does it, the log on the daemon's own output`, async () => {
      const socket = sock(signal);
      const { child, line, output } = await bootForeground(socket);
      for (const args of [["insmod", "counter"], ["insmod", "ramfs"], ["insmod", "counter_user"], ["mount", "-t", "ramfs", "none", "/mnt"]]) {
        expect(await wasmLkm(socket, args)).toEqual(ok(""));
      }
      const exited = exitOf(child);
      child.kill(signal);
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output()).toBe(line + HALTED);
      expect(existsSync(socket)).toBe(false);
    });
  }
});

describe("the socket's directory", () => {
  /** A directory of its own under base with exactly `mode` (chmod: the umask does not narrow it). */
  function dirWithMode(name: string, mode: number): string {
    const dir = join(base, name);
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  }
  const refused = (why: string): Result => ({ status: 1, stdout: "", stderr: `wasm-lkm boot: ${why}\n` });

  it("is refused by boot, detached or not, when its group or others may write in it, and nothing starts", async () => {
    for (const [mode, writers] of [[0o770, "its group"], [0o703, "others"], [0o1777, "its group and others"]] as const) {
      const dir = dirWithMode(`unsafe-${mode.toString(8)}`, mode);
      const socket = join(dir, "kernel.sock");
      const why = refused(`directory ${dir} has unsafe permissions: mode ${mode.toString(8).padStart(4, "0")}, writable by ${writers}`);
      expect(await wasmLkm(socket, ["boot", "--socket", socket])).toEqual(why);
      expect(await wasmLkm(socket, ["boot", "--socket", socket, "--foreground"])).toEqual(why);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it("is refused by boot when it is a symbolic link to a directory", async () => {
    const target = dirWithMode("link-target", 0o700);
    const link = join(base, "link");
    symlinkSync(target, link);
    const socket = join(link, "kernel.sock");
    expect(await wasmLkm(socket, ["boot", "--socket", socket])).toEqual(refused(`${link} is a symbolic link, not a directory`));
    expect(readdirSync(target)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)("is refused by boot when another user owns it (as root, chown to uid 1)", async () => {
    const dir = dirWithMode("not-mine", 0o700);
    chownSync(dir, 1, 1);
    const socket = join(dir, "kernel.sock");
    expect(await wasmLkm(socket, ["boot", "--socket", socket])).toEqual(refused(`directory ${dir} has unsafe permissions: owned by uid 1, not 0`));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps a client from talking to whoever listens in an unsafe directory", async () => {
    const dir = dirWithMode("rogue", 0o777);
    const socket = join(dir, "kernel.sock");
    // Another user's server, answering as a kernel would.
    const rogue = createServer((c) => c.end(frame({ out: "rogue\n" }) + frame({ status: 0 })));
    await new Promise<void>((listening) => rogue.listen(socket, listening));
    try {
      const why = `wasm-lkm: directory ${dir} has unsafe permissions: mode 0777, writable by its group and others\n`;
      for (const args of [["lsmod"], ["modinfo", "hello"], ["halt"]]) {
        expect(await wasmLkm(socket, args)).toEqual({ status: 1, stdout: "", stderr: why });
      }
    } finally {
      rogue.close();
    }
  });
});

/** Send `data` on an open connection and collect the replies until a status comes. */
function ask(conn: Socket, data: string): Promise<Reply[]> {
  return new Promise((done) => {
    const replies: Reply[] = [];
    const lines = new LineDecoder();
    const take = (chunk: Buffer) => {
      for (const line of lines.push(chunk)) replies.push(parseReply(line)!);
      if (replies.some((r) => "status" in r)) {
        conn.off("data", take);
        done(replies);
      }
    };
    conn.on("data", take);
    conn.write(data);
  });
}

describe("limits on one kernel's clients", () => {
  const socket = sock("limits");

  beforeAll(async () => {
    await bootForeground(socket);
  });

  it(`serves a request line of ${REQUEST_MAX} bytes`, async () => {
    const word = "x".repeat(REQUEST_MAX - request("echo", "").length + 1);
    const line = request("echo", word);
    expect(line.length).toBe(REQUEST_MAX + 1);
    const replies = await converse(socket, line, 1);
    expect(replies.at(-1)).toEqual({ status: 0 });
    expect(replies.slice(0, -1).map((r) => ("out" in r ? r.out : "")).join("")).toBe(`${word}\n`);
  });

  it("refuses a longer line before it ends, once the requests before it are answered, and closes the connection", async () => {
    const conn = createConnection(socket);
    conn.write(request("pwd") + "x".repeat(REQUEST_MAX + 1));
    const replies = await untilClosed(conn);
    expect(replies).toEqual([
      { out: "/\n" },
      { status: 0 },
      { err: "wasm-lkm: request longer than 1048576 bytes: Argument list too long\n" },
      { status: 2 },
    ]);
    expect(await wasmLkm(socket, ["pwd"])).toEqual(ok("/\n"));
  });

  it(`refuses clients past ${CLIENTS_MAX} at once with a reply of their own, and serves the others`, async () => {
    const extra = 20;
    const conns: Socket[] = [];
    const refusals: string[] = [];
    await new Promise<void>((allRefused, fail) => {
      for (let i = 0; i < CLIENTS_MAX + extra; i++) {
        const conn = createConnection(socket);
        let text = "";
        conn.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        conn.on("error", fail);
        conn.on("close", () => refusals.push(text) === extra && allRefused());
        conns.push(conn);
      }
    });
    const tooMany = frame({ err: `wasm-lkm: too many clients (${CLIENTS_MAX} connected); try again later\n` }) + frame({ status: 1 });
    expect(refusals).toEqual(Array(extra).fill(tooMany));
    const served = conns.filter((c) => !c.destroyed);
    expect(served).toHaveLength(CLIENTS_MAX);
    expect(await wasmLkm(socket, ["pwd"])).toEqual({
      status: 1, stdout: "", stderr: `wasm-lkm: too many clients (${CLIENTS_MAX} connected); try again later\n`,
    });
    const answers = await Promise.all(served.map((c) => ask(c, request("pwd"))));
    expect(answers).toEqual(Array(CLIENTS_MAX).fill([{ out: "/\n" }, { status: 0 }]));
    for (const c of served) c.destroy();
    // Every shell went with its client: the kernel's own task and this one's are all there is.
    const pids = (await wasmLkm(socket, ["ls", "/proc"])).stdout.split("\n").filter((n) => /^\d+$/.test(n));
    expect(pids).toHaveLength(2);
  });
});

describe("the log of a detached kernel", () => {
  const socket = sock("logged");
  const log = logPath(socket);
  const module = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, "dist", path)).href);
  // Loaded into the daemon with node --import: bugs that its commands and its kernel do not have.
  const inject = join(base, "inject.mjs");
  const injected = ["--import", pathToFileURL(inject).href];
  const cli = (...args: string[]) => wasmLkm(socket, args, ROOT, injected);
  const entry = (where: string, error: string) =>
    new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z wasm-lkm: ${where}: internal error: ${error}\\n( {4}at .*\\n)+`, "m");

  beforeAll(async () => {
    writeFileSync(inject, [
      `import { Session } from ${module("host/cli/session.js")};`,
      `import { Kernel } from ${module("host/init/main.js")};`,
      "const run = Session.prototype.runAsync;",
      "let failSpawn = false;",
      "Session.prototype.runAsync = function (argv) {",
      '  if (argv[0] === "true" && argv[1] === "--bug") throw new Error("injected bug\\nover two lines");',
      '  if (argv[0] === "true" && argv[1] === "--uncaught") setImmediate(() => { throw new Error("injected uncaught"); });',
      '  if (argv[0] === "true" && argv[1] === "--no-shell") failSpawn = true;',
      "  return run.call(this, argv);",
      "};",
      "const spawn = Kernel.prototype.spawn;",
      "Kernel.prototype.spawn = function (comm) {",
      '  if (failSpawn) { failSpawn = false; throw new RangeError("injected: WebAssembly.Memory(): could not allocate memory"); }',
      "  return spawn.call(this, comm);",
      "};",
      "",
    ].join("\n"));
    const r = await cli("boot", "--socket", socket);
    const pid = Number(/\(pid (\d+)\)/.exec(r.stdout)?.[1]);
    detached.push(pid);
    expect(r).toEqual(ok(bootLine(pid, socket)));
  });

  afterAll(async () => {
    await cli("halt");
  });

  it("is the socket's path with .log for .sock, made 0600, and starts with the boot line", () => {
    expect(logPath("/run/user/1000/wasm-lkm/kernel.sock")).toBe("/run/user/1000/wasm-lkm/kernel.log");
    expect(logPath("/srv/kernel")).toBe("/srv/kernel.log");
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(readFileSync(log, "utf8")).toMatch(/^wasm-lkm: kernel .* booted \(pid \d+\), listening on .*logged\.sock\n/);
  });

  it("records an internal error in a command with its stack; the command fails with one line, and the kernel serves on", async () => {
    expect(await cli("true", "--bug")).toEqual({ status: 1, stdout: "", stderr: "wasm-lkm: true: internal error: injected bug\n" });
    expect(readFileSync(log, "utf8")).toMatch(entry("true", "Error: injected bug\\nover two lines"));
    expect(await cli("pwd")).toEqual(ok("/\n"));
  });

  it("records an exception nothing caught, and the kernel serves on", async () => {
    const conn = createConnection(socket);
    expect(await ask(conn, request("true", "--uncaught"))).toEqual([{ status: 0 }]);
    // The exception is thrown before the daemon reads the next request, so its answer comes after.
    expect(await ask(conn, request("pwd"))).toEqual([{ out: "/\n" }, { status: 0 }]);
    conn.destroy();
    expect(readFileSync(log, "utf8")).toMatch(entry("kerneld", "Error: injected uncaught"));
  });

  it("records a client that could not be given a shell, which is told so in one reply", async () => {
    expect(await cli("true", "--no-shell")).toEqual(ok(""));
    expect(await untilClosed(createConnection(socket))).toEqual([
      { err: "wasm-lkm: internal error: injected: WebAssembly.Memory(): could not allocate memory\n" },
      { status: 1 },
    ]);
    expect(readFileSync(log, "utf8")).toMatch(entry("accept", "RangeError: injected: WebAssembly.Memory\\(\\): could not allocate memory"));
    expect(await cli("pwd")).toEqual(ok("/\n"));
  });

  it("is where a kernel that cannot start says why, which boot prints", async () => {
    const failing = join(base, "cannot-start.mjs");
    writeFileSync(failing, 'if (process.argv.includes("--foreground")) { process.stderr.write("injected: cannot start\\n"); process.exit(3); }\n');
    const socket = sock("nostart");
    const flags = ["--import", pathToFileURL(failing).href];
    const cannot = { status: 1, stdout: "", stderr: "injected: cannot start\n" };
    expect(await wasmLkm(socket, ["boot", "--socket", socket], ROOT, flags)).toEqual(cannot);
    expect(await wasmLkm(socket, ["boot", "--socket", socket], ROOT, flags)).toEqual(cannot);
    expect(readFileSync(logPath(socket), "utf8")).toBe("injected: cannot start\ninjected: cannot start\n");
  });
});
