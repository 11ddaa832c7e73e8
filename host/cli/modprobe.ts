// modprobe (kmod's tools/modprobe.c): load a module by name or alias with everything it needs, or remove
// it and what it needed; the configuration in modprobe.d; the query options -R, -D, -c, --dump-modversions.

import { join } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import type { NamedU32 } from "../../abi/module.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { KernelError } from "../kernel/error.js";
import { loadConfig, showConfig } from "../kmod/config.js";
import { pathToModname } from "../kmod/depmod.js";
import { moduleSymbols, moduleVersions } from "../kmod/elf.js";
import { KmodContext, probeInsert, type KmodModule } from "../kmod/module.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { modulePath } from "./kmod.js";

/** syslog priorities, as kmod's log filters by them: a message shows when its priority <= the verbosity. */
const LOG_CRIT = 2;
const LOG_ERR = 3;
const LOG_WARNING = 4;
const LOG_NOTICE = 5;
const PREFIX: Record<number, string> = { [LOG_CRIT]: "FATAL", [LOG_ERR]: "ERROR", [LOG_WARNING]: "WARNING", [LOG_NOTICE]: "NOTICE" };

interface Options {
  all?: boolean;
  remove?: boolean;
  removeHolders?: boolean;
  resolveAlias?: boolean;
  firstTime?: boolean;
  ignoreInstall?: boolean;
  useBlacklist?: boolean;
  force?: boolean;
  showDepends?: boolean;
  showconfig?: boolean;
  dumpModversions?: boolean;
  showExports?: boolean;
  dryRun?: boolean;
  config?: string[];
  dirname?: string;
  setVersion?: string;
  quiet?: boolean;
  verbose: number;
}

/** One modprobe run: its options, its kmod context, and its output. */
class Modprobe {
  readonly verbosity: number;
  readonly ctx: KmodContext;
  /** Modules removed (or that a dry run would remove) by this run, so their dependencies count as unused. */
  private readonly gone = new Set<string>();

  constructor(private readonly opts: Options, private readonly io: CommandContext) {
    this.verbosity = opts.quiet ? 0 : LOG_WARNING + opts.verbose;
    const dir = opts.dirname !== undefined || opts.setVersion !== undefined
      ? join(opts.dirname ?? "/", "lib", "modules", opts.setVersion ?? UTS_RELEASE)
      : io.kernel.moduleDir;
    const config = loadConfig(opts.config ?? io.kernel.modprobeConfig, dir, (m) => this.log(LOG_ERR, m));
    this.ctx = new KmodContext(dir, config, io.kernel, (m) => this.log(LOG_ERR, m));
  }

  log(priority: number, message: string): void {
    if (priority <= this.verbosity) this.io.err(`modprobe: ${PREFIX[priority]}: ${message}\n`);
  }

  /** SHOW(): the actions, with -v or -D. */
  show(line: string): void {
    if (this.opts.showDepends || this.verbosity > LOG_WARNING) this.io.out(`${line}\n`);
  }

  /** command_do(): an install or remove command through the shell; -status when it fails. */
  command(mod: KmodModule, type: "install" | "remove", command: string): number {
    if (this.opts.dryRun) return 0;
    const status = this.io.system(command);
    if (status === 0) return 0;
    this.log(LOG_ERR, `Error running ${type} command '${command}' for module ${mod.name}: retcode ${status}`);
    return -errno("EINVAL");
  }

  /** insmod(): look the name up (or take a path) and probe every module it stands for. */
  insert(alias: string, extraOptions: string): number {
    let mods: KmodModule[];
    if (alias.startsWith("/") || alias.startsWith("./")) mods = [{ name: pathToModname(alias), path: alias }];
    else {
      mods = this.ctx.lookup(alias);
      if (mods.length === 0) {
        this.log(LOG_CRIT, `Module ${alias} not found in directory ${this.ctx.dirname}`);
        return -errno("ENOENT");
      }
    }
    let err = 0;
    for (const mod of mods) err = this.insertOne(mod, extraOptions);
    return err;
  }

  /** insmod_insert(): one module and its dependencies, with kmod's words for a failure. */
  private insertOne(mod: KmodModule, extraOptions: string): number {
    if (this.opts.resolveAlias) {
      this.io.out(`${mod.name}\n`);
      return 0;
    }
    const err = probeInsert(this.ctx, mod, {
      force: this.opts.force,
      ignoreCommand: this.opts.ignoreInstall,
      ignoreLoaded: this.opts.showDepends,
      dryRun: this.opts.dryRun || this.opts.showDepends,
      failOnLoaded: this.opts.firstTime,
      applyBlacklist: this.opts.useBlacklist,
    }, extraOptions, { show: (line) => this.show(line), runInstall: (m, cmd) => this.command(m, "install", cmd) });
    if (err >= 0) return 0;
    if (err === -errno("EEXIST")) this.log(LOG_ERR, `could not insert '${mod.name}': Module already in kernel`);
    else if (err === -errno("ENOENT")) this.log(LOG_ERR, `could not insert '${mod.name}': Unknown symbol in module, or unknown parameter (see dmesg)`);
    else this.log(LOG_ERR, `could not insert '${mod.name}': ${strerror(-err)}`);
    return err;
  }

  /** rmmod(): every module the name stands for. */
  remove(alias: string): number {
    const mods = this.ctx.lookup(alias);
    if (mods.length === 0) {
      this.log(LOG_CRIT, `Module ${alias} not found.`);
      return -errno("ENOENT");
    }
    let err = 0;
    for (const mod of mods) {
      err = this.removeModule(mod, this.opts.removeHolders ?? false);
      if (err < 0) break;
    }
    return err;
  }

  /** refcnt as it would be once the modules this run removed are gone. */
  private usage(mod: KmodModule): number | null {
    const refcnt = this.ctx.refcnt(mod);
    if (refcnt === null || this.gone.has(mod.name)) return null;
    return refcnt - this.ctx.holders(mod).filter((h) => this.gone.has(h.name)).length;
  }

  /**
   * rmmod_do_module(): post-softdeps, holders (--remove-holders), the module itself (refused while in use),
   * then each dependency that nothing uses any more, users before what they use, then pre-softdeps.
   */
  private removeModule(mod: KmodModule, removeHolders: boolean, quietIfAbsent = false): number {
    const command = this.opts.ignoreInstall ? undefined : this.ctx.removeCommand(mod);
    const { pre, post } = this.opts.ignoreInstall ? { pre: [], post: [] } : this.ctx.softdeps(mod);
    if (command === undefined && this.usage(mod) === null) {
      if (!this.opts.firstTime || quietIfAbsent) return 0;
      this.log(LOG_CRIT, `Module ${mod.name} is not in kernel.`);
      return -errno("ENOENT");
    }
    for (const m of [...post].reverse()) this.removeModule(m, false, true);
    if (removeHolders) {
      for (const h of this.ctx.holders(mod)) {
        const err = this.removeModule(h, false, true);
        if (err < 0) return err;
      }
    }
    if (command === undefined && this.usage(mod)! > 0) {
      this.log(LOG_CRIT, `Module ${mod.name} is in use.`);
      return -errno("EBUSY");
    }
    if (command !== undefined) this.show(`remove ${command}`);
    const err = command === undefined ? this.removeOne(mod) : this.command(mod, "remove", command);
    if (err < 0) return err;
    if (command === undefined) {
      for (const dep of [...this.ctx.dependencies(mod)].reverse()) if (this.usage(dep) === 0) this.removeOne(dep);
    }
    for (const m of [...pre].reverse()) this.removeModule(m, false, true);
    return 0;
  }

  /** rmmod_do_remove_module(); nothing for a module this run removed already (a holder's dependency). */
  private removeOne(mod: KmodModule): number {
    if (this.gone.has(mod.name)) return 0;
    this.show(`rmmod ${mod.name}`);
    const err = this.opts.dryRun ? 0 : this.ctx.remove(mod, this.opts.force ?? false);
    if (err === 0) this.gone.add(mod.name);
    return err;
  }
}

/** options_from_array(): the parameters after the name, a value with blanks put back in quotes. */
function optionsFrom(params: readonly string[]): string {
  return params.map((p) => {
    const eq = p.indexOf("=");
    const value = p.slice(eq + 1);
    return eq >= 0 && !/^["']/.test(value) && value.includes(" ") ? `${p.slice(0, eq + 1)}"${value}"` : p;
  }).join(" ");
}

/** --dump-modversions and --show-exports: CRC and symbol, one a line. */
function dumpCrcs(entries: readonly NamedU32[]): string {
  return entries.map((v) => `0x${v.value.toString(16).padStart(8, "0")}\t${v.name}\n`).join("");
}

/** The one-shot queries that read a file, not the kernel: show_modversions() and show_exports(). */
function query(opts: Options, module: string, io: CommandContext): number {
  try {
    const path = modulePath(module, io.kernel.moduleDir);
    const entries = opts.dumpModversions ? moduleVersions(path) : moduleSymbols(path);
    io.out(dumpCrcs(entries));
    return 0;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    if (e.code === "ENOENT") io.err(`modprobe: FATAL: Module ${module} not found.\n`);
    else io.err(`modprobe: FATAL: could not get ${opts.dumpModversions ? "modversions" : "symbols"} of ${module}: ${e.strerror}\n`);
    return 1;
  }
}

function run(opts: Options, args: readonly string[], io: CommandContext): number {
  if (args.length === 0 && !opts.showconfig) {
    io.err("modprobe: ERROR: missing parameters. See -h.\n");
    return 1;
  }
  if (opts.dumpModversions || opts.showExports) return query(opts, args[0]!, io);
  const probe = new Modprobe(opts, io);
  let err = 0;
  try {
    if (opts.showconfig) io.out(`${showConfig(probe.ctx.config)}\n# End of configuration files. Dumping indexes now:\n\n${indexDump(probe.ctx)}`);
    else if (opts.remove) for (const a of args) err = Math.min(err, probe.remove(a));
    else if (opts.all) for (const a of args) err = Math.min(err, probe.insert(a, ""));
    else err = probe.insert(args[0]!, optionsFrom(args.slice(1)));
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    probe.log(LOG_CRIT, `Module ${args[0]} not found in directory ${probe.ctx.dirname}`);
    err = -e.errno;
  }
  return err >= 0 ? 0 : 1;
}

/** kmod_dump_index() of modules.alias and modules.symbols: "alias KEY MODULE", keys sorted. */
function indexDump(ctx: KmodContext): string {
  return (["modules.alias", "modules.symbols"] as const).map((f) => ctx.indexLines(f).sort().map((l) => `${l}\n`).join("")).join("");
}

export const modprobe: CliCommand = {
  name: "modprobe",
  usage: "modprobe [-r] [-n] [-v] [-q] [-a] [-i] [-b] [-f] MODULE [param=value...]",
  help: "load a module and what it needs by name or alias (-r: remove it and what it needed)",
  run: (args, io) =>
    withUsage(() => {
      const cmd = parseArgs("modprobe", args, io, (c) =>
        c.option("-a, --all", "every argument is a module")
          .option("-r, --remove", "remove modules instead of inserting")
          .option("--remove-holders", "also remove the modules holding it")
          .option("-R, --resolve-alias", "only look up and print the module names")
          .option("--first-time", "fail if the module is already inserted or removed")
          .option("-i, --ignore-install", "ignore install and remove commands")
          .option("--ignore-remove", "ignore install and remove commands")
          .option("-b, --use-blacklist", "apply the blacklist to the name given too")
          .option("-f, --force", "ignore vermagic and symbol versions")
          .option("-D, --show-depends", "only print what would be loaded, loaded or not")
          .option("-c, --showconfig", "print the configuration and the indexes")
          .option("--dump-modversions", "print a module file's __versions")
          .option("--show-modversions", "print a module file's __versions")
          .option("--show-exports", "print a module file's exported symbols")
          .option("-n, --dry-run", "do not act, only show (with -v)")
          .option("--show", "do not act, only show (with -v)")
          .option("-C, --config <path>", "configuration file or directory instead of the defaults", (v: string, prev: string[] = []) => [...prev, v])
          .option("-d, --dirname <dir>", "root of the module directory (DIR/lib/modules/RELEASE)")
          .option("-S, --set-version <release>", "the release instead of the kernel's")
          .option("-q, --quiet", "no messages")
          .option("-v, --verbose", "more messages (repeatable)", (_: string, n: number) => n + 1, 0)
          .argument("[args...]"),
      );
      const raw = cmd.opts() as Options & { ignoreRemove?: boolean; showModversions?: boolean; show?: boolean };
      const opts: Options = {
        ...raw,
        ignoreInstall: raw.ignoreInstall || raw.ignoreRemove,
        dumpModversions: raw.dumpModversions || raw.showModversions,
        dryRun: raw.dryRun || raw.show,
      };
      return run(opts, cmd.processedArgs[0] as string[], io);
    }),
};
