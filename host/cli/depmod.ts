// depmod [-a] [-b BASEDIR] [-m MODULEDIR] [-o OUTDIR] [-C PATH] [-e] [-n] [-v] [VERSION]: index
// BASEDIR/lib/modules/VERSION (modules.dep, .alias, .softdep, .weakdep, .symbols, .devname), as kmod's does.

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UTS_RELEASE } from "../../abi/version.js";
import { ROOT } from "../init/paths.js";
import { KernelError } from "../kernel/error.js";
import { depmodFiles, moduleOrder, searchModules, type ModuleIndexEntry } from "../kmod/depmod.js";
import { loadDepmodConfig } from "../kmod/depmod_config.js";
import { LOG_CRIT, LOG_ERR, LOG_WARNING, toolLine, type KmodLog } from "../kmod/log.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";

interface Options {
  all?: boolean;
  basedir?: string;
  moduledir: string;
  outdir?: string;
  config?: string[];
  errsyms?: boolean;
  dryRun?: boolean;
  verbose: number;
}

/** depmod.d's default places, in this tree as modprobe.d's are. */
const DEPMOD_D = ["etc", "run", "lib"].map((d) => join(ROOT, d, "depmod.d"));

/** do_depmod() once the options are read; the exit status. */
function run(opts: Options, kversion: string, ctx: CommandContext): number {
  const verbose = LOG_WARNING + opts.verbose;
  const log: KmodLog = (priority, _fn, message) => {
    if (priority <= verbose) ctx.err(toolLine("depmod", priority, message));
  };
  // The module directory is always relative to the base (or output) directory.
  const moduledir = opts.moduledir.replace(/^\/+/, "");
  const root = opts.basedir === undefined ? ROOT : resolve(opts.basedir);
  const dirname = join(root, moduledir, kversion);
  const outdirname = join(opts.outdir === undefined ? root : resolve(opts.outdir), moduledir, kversion);
  const cfg = loadDepmodConfig(opts.config ?? DEPMOD_D, kversion, log);
  let mods: ModuleIndexEntry[];
  try {
    mods = searchModules(dirname, cfg, log);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    log(LOG_CRIT, "do_depmod", `could not search modules: ${e.strerror}`);
    return 1;
  }
  let files: Record<string, string>;
  try {
    const show = verbose > LOG_WARNING ? (line: string) => ctx.out(line) : undefined;
    files = depmodFiles(moduleOrder(mods, dirname, log), dirname, { printUnknown: opts.errsyms, show, log });
  } catch (e) {
    // Modules in dependency cycles: depmod has said which.
    if (e instanceof KernelError) return 1;
    throw e;
  }
  if (opts.dryRun) {
    ctx.out(Object.values(files).join(""));
    return 0;
  }
  try {
    mkdirSync(outdirname, { recursive: true, mode: 0o755 });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(outdirname, file), text);
  } catch (e) {
    log(LOG_ERR, "depmod_output", `could not write the index into ${outdirname}: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}

export const depmod: CliCommand = {
  name: "depmod",
  usage: "depmod [-a] [-b BASEDIR] [-m MODULEDIR] [-o OUTDIR] [-C PATH] [-e] [-n] [-v] [VERSION]",
  help: "index the module directory: dependencies from symbols, aliases",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("depmod", args, ctx, (c) =>
        c.option("-a, --all", "probe all modules (the default)")
          .option("-b, --basedir <dir>", "root of the module directory")
          .option("-m, --moduledir <dir>", "the module directory under the root", "lib/modules")
          .option("-o, --outdir <dir>", "root of where the index is written (default: the base directory)")
          .option("-C, --config <path>", "depmod.d file or directory instead of the defaults", (v: string, prev: string[] = []) => [...prev, v])
          .option("-e, --errsyms", "report symbols no module exports")
          .option("-n, --dry-run", "print the index instead of writing it")
          .option("--show", "print the index instead of writing it")
          .option("-v, --verbose", "print each dependency found", (_: string, n: number) => n + 1, 0)
          .argument("[version]"),
      );
      const raw = cmd.opts() as Options & { show?: boolean };
      const version = cmd.processedArgs[0] as string | undefined;
      if (version !== undefined && !/^\d+\.\d+/.test(version)) {
        ctx.err(toolLine("depmod", LOG_ERR, `Bad version passed ${version}`));
        return 1;
      }
      return run({ ...raw, dryRun: raw.dryRun || raw.show }, version ?? UTS_RELEASE, ctx);
    }),
};
