#!/usr/bin/env node
// wasm-lkm: the command-line front end. `run` and `shell` drive a kernel of their own; `boot` starts the
// kernel daemon, every shell command (insmod, lsmod, cat...) is also a command that runs in it, and `halt`
// stops it; build and init are one-shot.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Command, Option } from "commander";
import { signo } from "../../abi/signal.js";
import { MODULE_TYPES, type ModuleType } from "../../scripts/init/modules.js";
import { WASM_LKM_VERSION } from "../../abi/version.js";
import { Kernel } from "../init/main.js";
import { boot } from "./boot.js";
import { forward, NoKernelError } from "./client.js";
import { appendInternalError } from "./crashlog.js";
import { addFstestCommand } from "./fstest.js";
import { addKunitCommand } from "./kunit.js";
import { COMMANDS, Session } from "./session.js";
import { socketPath, SOCKET_ENV } from "./socket.js";

const stdout = (s: string) => void process.stdout.write(s);
const stderr = (s: string) => void process.stderr.write(s);
const io = { out: stdout, err: stderr };
/** Commands that only read files: without a running kernel they run in a kernel of their own. */
const LOCAL_WITHOUT_DAEMON = new Set(["modinfo", "depmod"]);

/** Undefined while standard output takes more; else settles once it has drained (or closed). */
function stdoutDrained(): Promise<void> | undefined {
  if (!process.stdout.writableNeedDrain) return undefined;
  return new Promise((resolve) => {
    process.stdout.once("drain", resolve);
    process.stdout.once("close", resolve);
  });
}

/**
 * A reader that has gone (`| head -c 1M`) ends the run as SIGPIPE ends a process that writes to it:
 * quietly, with status 128 + 13.
 */
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(128 + signo("SIGPIPE"));
});

/** A kernel and one session on it whose output is this process's, drained before the session runs on. */
function localSession(): Session {
  return new Session(new Kernel(), stdout, stderr, { drained: stdoutDrained, logInternalError: (where, e) => void appendInternalError(where, e) });
}

/** `wasm-lkm run FILE|-`: every line against one kernel; exits 1 if any command failed. Ctrl-C interrupts the line running. */
async function runScript(file: string, echoLines: boolean): Promise<void> {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const session = localSession();
  process.on("SIGINT", () => session.kill(signo("SIGINT")));
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (echoLines) stdout(`${trimmed === "" || trimmed.startsWith("#") ? trimmed : `$ ${trimmed}`}\n`);
    await session.execAsync(line);
  }
  process.exitCode = session.status === 0 ? 0 : 1;
  process.removeAllListeners("SIGINT");
}

/**
 * `wasm-lkm shell`: lines run one after another as they come. Ctrl-C sends SIGINT to the command running
 * (at an empty prompt it only gives a fresh prompt, as bash does); Ctrl-D or `exit` leaves.
 */
function shell(): void {
  const session = localSession();
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "wasm-lkm# " });
  const lines: string[] = [];
  let running = false;
  let closed = false;
  const next = async (): Promise<void> => {
    running = true;
    for (let line = lines.shift(); line !== undefined; line = lines.shift()) {
      if (/^\s*(exit|quit)\s*$/.test(line)) return rl.close();
      await session.execAsync(line);
      if (!closed) rl.prompt();
    }
    running = false;
  };
  const interrupt = () => {
    if (running) return session.kill(signo("SIGINT"));
    rl.write(null, { ctrl: true, name: "u" });
    stdout("^C\n");
    rl.prompt();
  };
  rl.on("SIGINT", interrupt);
  process.on("SIGINT", interrupt);
  rl.on("line", (line) => {
    lines.push(line);
    if (!running) void next();
  });
  rl.on("close", () => {
    closed = true;
    stdout("\n");
    process.removeListener("SIGINT", interrupt);
  });
  rl.prompt();
}

/** A single kernel command run once in a kernel of its own (modinfo and depmod need no running kernel). */
function oneShot(name: string, args: readonly string[]): void {
  const session = localSession();
  process.exitCode = session.run([name, ...args]) === 0 ? 0 : 1;
}

/** `wasm-lkm NAME ARGS...`: NAME run in the running kernel, exiting with its status. */
async function client(name: string, args: readonly string[], socket?: string): Promise<void> {
  try {
    process.exitCode = await forward([name, ...args], socketPath(socket), io, stdoutDrained);
  } catch (e) {
    if (!(e instanceof NoKernelError)) throw e;
    if (LOCAL_WITHOUT_DAEMON.has(name)) return oneShot(name, args);
    stderr(`${e.message}\n`);
    process.exitCode = 1;
  }
}

const program = new Command("wasm-lkm")
  .description("A Linux-like kernel that loads WebAssembly kernel modules")
  .version(WASM_LKM_VERSION)
  .enablePositionalOptions();

program
  .command("run")
  .description("run the commands in FILE (or - for standard input) against one kernel")
  .argument("<file>")
  .option("-e, --echo", "print each command before its output")
  .action((file: string, opts: { echo?: boolean }) => runScript(file, opts.echo === true));

program.command("shell").description("an interactive session against one kernel").action(shell);

const socketHelp = `the kernel's socket (default: $${SOCKET_ENV}, else $XDG_RUNTIME_DIR/wasm-lkm/kernel.sock or <tmpdir>/wasm-lkm-<uid>/kernel.sock)`;

program
  .command("boot")
  .description("start a kernel that runs until halted, serving the commands below on a Unix socket")
  .option("--socket <path>", socketHelp)
  .option("--modules <dir>", "the module directory (lib/modules/<release>, with modules.dep) the kernel uses")
  .option("--delay <seconds>", "seconds between autoclean sweeps of modules loaded on demand (default 60)")
  .option("--cmdline <text>", "the kernel command line (/proc/cmdline): modprobe applies its MODULE.PARAM=VALUE and modprobe.blacklist=")
  .addOption(new Option("--foreground", "serve in this process").hideHelp())
  .action(async (opts: { socket?: string; modules?: string; delay?: string; foreground?: boolean; cmdline?: string }) => {
    process.exitCode = await boot(opts, io, [process.execPath, ...process.execArgv, process.argv[1]!]);
  });

program
  .command("halt")
  .description("stop the running kernel: unmount, unload every module in order, halt")
  .option("--socket <path>", socketHelp)
  .action((opts: { socket?: string }) => client("halt", [], opts.socket));

// Each shell command runs in the running kernel (help is commander's own). Its words go over as typed,
// "--" included, so the command's own parser sees them.
for (const c of COMMANDS.filter((c) => c.name !== "help")) {
  program
    .command(c.name)
    .description(c.help)
    .allowUnknownOption()
    .helpOption(false)
    .passThroughOptions()
    .argument("[args...]")
    .action(() => client(c.name, process.argv.slice(3)));
}

program
  .command("build")
  .description("build modules outside the tree from their AssemblyScript sources, against this kernel")
  .argument("<source...>", "each module's entry file, NAME.ts")
  .option("-o, --output <path>", "a directory for the NAME.wasm files, or with one source the file (default: beside each source)")
  .option("--extra-symbols <module...>", "modules built elsewhere (.wasm files or directories of them) whose symbols these use, as KBUILD_EXTRA_SYMBOLS")
  .action(async (sources: string[], opts: { output?: string; extraSymbols?: string[] }) => {
    const { buildModules, BuildError } = await import("../../scripts/build.js");
    try {
      for (const path of await buildModules(sources, { output: opts.output, extraSymbols: opts.extraSymbols })) stdout(`${path}\n`);
    } catch (e) {
      if (!(e instanceof BuildError)) throw e;
      stderr(`${e.message}\n`);
      process.exitCode = 1;
    }
  });

program
  .command("init")
  .description("make a project for a module outside the tree: its source, its KUnit test module, a vitest test that loads it, a script to try it")
  .argument("<dir>", "the project's directory, new or empty; its name is the module's")
  .addOption(new Option("--type <type>", "what the module starts as").choices(MODULE_TYPES).default("misc"))
  .option("--dependency <spec>", "how package.json names wasm-lkm (default: this checkout as file:DIR, or ^VERSION when installed)")
  .action(async (dir: string, opts: { type: ModuleType; dependency?: string }) => {
    const { initProject, InitError } = await import("../../scripts/init.js");
    try {
      for (const file of initProject(dir, opts)) stdout(`${join(dir, file)}\n`);
      stdout(`Next: cd ${dir} && npm install && npm test\n`);
    } catch (e) {
      if (!(e instanceof InitError)) throw e;
      stderr(`${e.message}\n`);
      process.exitCode = 1;
    }
  });

addKunitCommand(program, io);
addFstestCommand(program, io);

program.addHelpText("after", `\nCommands inside run and shell, and as \`wasm-lkm NAME ...\` in the kernel boot started:\n${COMMANDS.map((c) => `  ${c.usage}`).join("\n")}\n`);

await program.parseAsync();
