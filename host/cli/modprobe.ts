// modprobe (kmod's tools/modprobe.c): its options, read after those MODPROBE_OPTIONS holds, and the run
// they ask for (host/kmod/modprobe.ts).

import { KernelError } from "../kernel/error.js";
import { loadConfig } from "../kmod/config.js";
import { LOG_EMERG, LOG_ERR, LOG_WARNING, libkmodLine, toolLine } from "../kmod/log.js";
import { KmodContext } from "../kmod/module.js";
import { Modprobe, ModprobeExit, optionsFromArray, optionsFromEnv, type ModprobeFlags } from "../kmod/modprobe.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { moduleDirectory } from "./kmod.js";

interface Options {
  all?: boolean;
  remove?: boolean;
  removeHolders?: boolean;
  removeDependencies?: boolean;
  resolveAlias?: boolean;
  firstTime?: boolean;
  ignoreInstall?: boolean;
  ignoreRemove?: boolean;
  useBlacklist?: boolean;
  force?: boolean;
  forceModversion?: boolean;
  forceVermagic?: boolean;
  showDepends?: boolean;
  showconfig?: boolean;
  showConfig?: boolean;
  dumpModversions?: boolean;
  showModversions?: boolean;
  showExports?: boolean;
  dryRun?: boolean;
  show?: boolean;
  config?: string[];
  dirname?: string;
  setVersion?: string;
}

/** Short options that take an argument: the rest of their cluster, or the next word, is it. */
const WITH_ARGUMENT = "CdS";

/**
 * The -q, -v and -C options of an argument list, in the order getopt meets them: the verbosity is set
 * in that order, and each is passed on in MODPROBE_OPTIONS (env_modprobe_options_append()).
 */
function orderedOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    if (a === "--quiet") out.push("-q");
    else if (a === "--verbose") out.push("-v");
    else if (a === "--config") out.push("-C", args[++i] ?? "");
    else if (a.startsWith("--config=")) out.push("-C", a.slice("--config=".length));
    else if (/^-[^-]/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "q" || c === "v") out.push(`-${c}`);
        if (!WITH_ARGUMENT.includes(c)) continue;
        const value = j + 1 < a.length ? a.slice(j + 1) : args[++i] ?? "";
        if (c === "C") out.push("-C", value);
        break;
      }
    } else if (a.startsWith("--dirname") || a.startsWith("--set-version")) {
      if (!a.includes("=")) i++;
    }
  }
  return out;
}

/** The verbosity -q and -v leave: LOG_WARNING to start with, LOG_EMERG after -q, one more for each -v. */
function verbosity(ordered: readonly string[]): number {
  return ordered.reduce((v, o) => (o === "-q" ? LOG_EMERG : o === "-v" ? v + 1 : v), LOG_WARNING);
}

/** /proc/cmdline as the task reads it; null when it cannot. */
function kernelCmdline(ctx: CommandContext): string | null {
  try {
    return new TextDecoder().decode(ctx.libc.readFile("/proc/cmdline"));
  } catch (e) {
    if (e instanceof KernelError) return null;
    throw e;
  }
}

/** do_modprobe() once the options are read: the configuration (read before modprobe's log is set up), then the action. */
function run(opts: Options, args: readonly string[], ordered: readonly string[], ctx: CommandContext): number {
  const verbose = verbosity(ordered);
  const showConfig = opts.showconfig || opts.showConfig;
  if (args.length === 0 && !showConfig) {
    // Said before the verbosity is set up, so even -q does not hide it.
    ctx.err(toolLine("modprobe", LOG_ERR, "missing parameters. See -h."));
    return 1;
  }
  const dir = moduleDirectory(ctx.kernel.moduleDir, opts.dirname, opts.setVersion);
  const config = loadConfig(opts.config ?? ctx.kernel.modprobeConfig, dir, kernelCmdline(ctx), (priority, fn, message) => {
    if (priority <= LOG_ERR) ctx.err(libkmodLine(priority, fn, message));
  });
  const kmod = new KmodContext(dir, config, ctx.kernel, (priority, _fn, message) => {
    if (priority <= verbose) ctx.err(toolLine("modprobe", priority, message));
  }, ctx.libc.task.cred);
  // env_modprobe_options_append(): set only once there is something to pass on.
  const inherited = ctx.env.get("MODPROBE_OPTIONS");
  const passed: Record<string, string> = inherited === undefined && ordered.length === 0 ? {} : { MODPROBE_OPTIONS: [...(inherited === undefined ? [] : [inherited]), ...ordered].join(" ") };
  const flags: ModprobeFlags = {
    all: opts.all,
    removeHolders: opts.removeHolders || opts.removeDependencies,
    lookupOnly: opts.resolveAlias,
    firstTime: opts.firstTime,
    ignoreCommands: opts.ignoreInstall || opts.ignoreRemove,
    useBlacklist: opts.useBlacklist,
    force: opts.force,
    forceModversion: opts.forceModversion,
    forceVermagic: opts.forceVermagic,
    showDepends: opts.showDepends,
    dryRun: opts.dryRun || opts.show,
    verbose,
  };
  const probe = new Modprobe(flags, kmod, {
    out: (t) => ctx.out(t),
    err: (t) => ctx.err(t),
    system: (line, module) => ctx.system(line, { ...passed, MODPROBE_MODULE: module }),
  });
  let err = 0;
  try {
    if (showConfig) probe.showConfig();
    else if (opts.dumpModversions || opts.showModversions) err = probe.showCrcs(args[0]!, "modversions");
    else if (opts.showExports) err = probe.showCrcs(args[0]!, "symbols");
    else if (opts.remove) for (const a of args) err = Math.min(err, probe.remove(a));
    else if (opts.all) for (const a of args) err = Math.min(err, probe.insert(a, null));
    else err = probe.insert(args[0]!, optionsFromArray(args.slice(1)));
  } catch (e) {
    if (e instanceof ModprobeExit) return 1;
    throw e;
  }
  return err >= 0 ? 0 : 1;
}

export const modprobe: CliCommand = {
  name: "modprobe",
  usage: "modprobe [-r] [-n] [-v] [-q] [-a] [-i] [-b] [-f] MODULE [param=value...]",
  help: "load a module and what it needs by name or alias (-r: remove it and what it needed)",
  run: (args, ctx) =>
    withUsage(() => {
      const argv = [...optionsFromEnv(ctx.env.get("MODPROBE_OPTIONS")), ...args];
      const cmd = parseArgs("modprobe", argv, ctx, (c) =>
        c.option("-a, --all", "every argument is a module")
          .option("-r, --remove", "remove modules instead of inserting")
          .option("--remove-holders", "also remove the modules holding it")
          .option("--remove-dependencies", "deprecated: --remove-holders")
          .option("-R, --resolve-alias", "only look up and print the module names")
          .option("--first-time", "fail if the module is already inserted or removed")
          .option("-i, --ignore-install", "ignore install and remove commands")
          .option("--ignore-remove", "ignore install and remove commands")
          .option("-b, --use-blacklist", "apply the blacklist to the name given too")
          .option("-f, --force", "ignore vermagic and symbol versions (taints F)")
          .option("--force-modversion", "ignore symbol versions (taints F)")
          .option("--force-vermagic", "ignore the version magic (taints F)")
          .option("-D, --show-depends", "only print what would be loaded, loaded or not")
          .option("-c, --showconfig", "print the configuration and the indexes")
          .option("--show-config", "print the configuration and the indexes")
          .option("--dump-modversions", "print a module's __versions")
          .option("--show-modversions", "print a module's __versions")
          .option("--show-exports", "print a module's exported symbols")
          .option("-n, --dry-run", "do not act, only show (with -v)")
          .option("--show", "do not act, only show (with -v)")
          .option("-C, --config <path>", "configuration file or directory instead of the defaults", (v: string, prev: string[] = []) => [...prev, v])
          .option("-d, --dirname <dir>", "root of the module directory (DIR/lib/modules/RELEASE)")
          .option("-S, --set-version <release>", "the release instead of the kernel's")
          .option("-q, --quiet", "no messages")
          .option("-v, --verbose", "more messages (repeatable)")
          .argument("[args...]"),
      );
      return run(cmd.opts() as Options, cmd.processedArgs[0] as string[], orderedOptions(argv), ctx);
    }),
};
