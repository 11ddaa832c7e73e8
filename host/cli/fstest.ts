// wasm-lkm fstest -t TYPE [--module FILE] [-o OPTIONS]: the POSIX checks every filesystem owes its users
// (testing/fs.ts) against one filesystem type, each in a fresh kernel, reported as KTAP, as xfstests runs its
// generic group against any filesystem. Exits 1 when a check fails.

import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { resolveModules } from "../../testing/build.js";
import { fsCheckGroups, prepareFs, type FsUnderTest } from "../../testing/fs.js";
import { formatKtap, type KtapResult } from "../../testing/ktap.js";

interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface FstestOptions {
  readonly type: string;
  /** The module that registers the type: a .wasm file, a .ts source, or a module name. */
  readonly module?: string;
  /** Mount options (mount -o). */
  readonly options?: string;
}

/** A check's run: passed, or failed with what it threw. */
function runCheck(fs: FsUnderTest, run: (c: ReturnType<typeof prepareFs>) => void, name: string): KtapResult {
  try {
    run(prepareFs(fs));
    return { name, ok: true };
  } catch (e) {
    return { name, ok: false, diagnostics: [e instanceof Error ? `${e.name}: ${e.message}` : String(e)] };
  }
}

export async function fstest(opts: FstestOptions, io: Output): Promise<number> {
  const { BuildError } = await import("../../scripts/build.js");
  let module: Uint8Array | string | undefined = opts.module;
  if (opts.module !== undefined && /\.(ts|wasm)$/.test(opts.module)) {
    try {
      const built = await resolveModules([opts.module]);
      module = new Uint8Array(readFileSync(built.modules[0]!));
      built.cleanup();
    } catch (e) {
      if (e instanceof BuildError) io.err(`${e.message}\n`);
      else if (e instanceof Error && "code" in e && e.code === "ENOENT") io.err(`wasm-lkm fstest: ERROR: ${e.message}\n`);
      else throw e;
      return 1;
    }
  }
  const fs: FsUnderTest = { type: opts.type, module, mountOptions: opts.options, mount: opts.type !== "rootfs" };
  const groups = fsCheckGroups().map(([name, checks]) => ({ name, results: checks.map((c) => runCheck(fs, c.run, c.name)) }));
  io.out(formatKtap(groups).map((l) => `${l}\n`).join(""));
  return groups.every((g) => g.results.every((r) => r.ok)) ? 0 : 1;
}

/** The fstest command on the wasm-lkm program. */
export function addFstestCommand(program: Command, io: Output): void {
  program
    .command("fstest")
    .description("put a filesystem type through the POSIX checks, each in a fresh kernel, printing KTAP")
    .requiredOption("-t, --type <type>", "the filesystem type, as mount -t names it")
    .option("--module <file>", "the module that registers it: a .wasm file, a .ts source, or a module name")
    .option("-o, --options <options>", "mount options")
    .action(async (opts: FstestOptions) => {
      process.exitCode = await fstest(opts, io);
    });
}
