#!/usr/bin/env node
// wasm-lkm: the command-line front end. `run` and `shell` drive one kernel; modinfo and build are one-shot.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Command } from "commander";
import { WASM_LKM_VERSION } from "../../abi/version.js";
import { Kernel } from "../init/main.js";
import { COMMANDS, Session } from "./session.js";

const stdout = (s: string) => void process.stdout.write(s);
const stderr = (s: string) => void process.stderr.write(s);

/** `wasm-lkm run FILE|-`: every line against one kernel; exits 1 if any command failed. */
function runScript(file: string, echoLines: boolean): void {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const session = new Session(new Kernel(), stdout, stderr);
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (echoLines) stdout(`${trimmed === "" || trimmed.startsWith("#") ? trimmed : `$ ${trimmed}`}\n`);
    session.exec(line);
  }
  process.exitCode = session.status === 0 ? 0 : 1;
}

function shell(): void {
  const session = new Session(new Kernel(), stdout, stderr);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "wasm-lkm# " });
  rl.prompt();
  rl.on("line", (line) => {
    if (/^\s*(exit|quit)\s*$/.test(line)) return rl.close();
    session.exec(line);
    rl.prompt();
  });
  rl.on("close", () => stdout("\n"));
}

/** A single kernel command run once (modinfo needs no running kernel). */
function oneShot(name: string, args: string[]): void {
  const session = new Session(new Kernel(), stdout, stderr);
  process.exitCode = session.run([name, ...args]) === 0 ? 0 : 1;
}

const program = new Command("wasm-lkm")
  .description("A Linux-like kernel that loads WebAssembly kernel modules")
  .version(WASM_LKM_VERSION);

program
  .command("run")
  .description("run the commands in FILE (or - for standard input) against one kernel")
  .argument("<file>")
  .option("-e, --echo", "print each command before its output")
  .action((file: string, opts: { echo?: boolean }) => runScript(file, opts.echo === true));

program.command("shell").description("an interactive session against one kernel").action(shell);

program
  .command("modinfo")
  .description("show a module file's information")
  .allowUnknownOption()
  .helpOption(false)
  .argument("[args...]")
  .action((args: string[]) => oneShot("modinfo", args));

program
  .command("build")
  .description("build an out-of-tree module from its AssemblyScript source against this tree")
  .argument("<source>", "the module's entry file, NAME.ts")
  .option("-o, --output <file>", "where to write NAME.wasm (default: beside the source)")
  .action(async (source: string, opts: { output?: string }) => {
    const { buildExternal, BuildError } = await import("../../scripts/build.js");
    try {
      stdout(`${await buildExternal(source, opts.output)}\n`);
    } catch (e) {
      if (!(e instanceof BuildError)) throw e;
      stderr(`wasm-lkm build: ERROR: ${e.message}\n`);
      process.exitCode = 1;
    }
  });

program.addHelpText("after", `\nCommands inside run and shell:\n${COMMANDS.map((c) => `  ${c.usage}`).join("\n")}\n`);

await program.parseAsync();
