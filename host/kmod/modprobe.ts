// kmod's tools/modprobe.c less its option parsing (host/cli/modprobe.ts): load by name or alias, remove
// with what became unused, the query options, and how options travel to nested modprobes.
//
// The tool logs as kmod's log_printf() does: "modprobe: PRIORITY: message" while the priority is at most
// the verbosity, and a FATAL line ends the run (exit(EXIT_FAILURE)): here ModprobeExit, which the
// command turns into status 1. The library under it logs through the same front once set up.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import type { NamedU32 } from "../../abi/module.js";
import { KernelError } from "../kernel/error.js";
import { showConfig } from "./config.js";
import { pathToModname } from "./depmod.js";
import { moduleSymbols, moduleVersions } from "./elf.js";
import { LOG_CRIT, LOG_ERR, LOG_WARNING, toolLine } from "./log.js";
import { KmodContext, probeInsert, type KmodModule } from "./module.js";

/** modprobe's flags, as its options set them. */
export interface ModprobeFlags {
  readonly all?: boolean;
  readonly removeHolders?: boolean;
  readonly lookupOnly?: boolean;
  readonly firstTime?: boolean;
  readonly ignoreCommands?: boolean;
  readonly useBlacklist?: boolean;
  readonly force?: boolean;
  readonly forceModversion?: boolean;
  readonly forceVermagic?: boolean;
  /** -D: show every module a load would insert, loaded or not, and do nothing. */
  readonly showDepends?: boolean;
  readonly dryRun?: boolean;
  /** LOG_WARNING by default, LOG_EMERG with -q, one more for each -v. */
  readonly verbose: number;
}

/** Where a modprobe run prints, and how it runs install and remove commands. */
export interface ModprobeIO {
  out(text: string): void;
  err(text: string): void;
  /** system(3) with MODPROBE_MODULE set to the module's name (and the run's MODPROBE_OPTIONS); the exit status. */
  system(line: string, module: string): number;
}

/** log_printf() at LOG_CRIT or worse: the run ends, with status 1. */
export class ModprobeExit extends Error {}

/** One modprobe run. */
export class Modprobe {
  /** LOG()'s priority: FATAL, or only a WARNING when -a goes on to the next module. */
  private readonly logPriority: number;
  private readonly showing: boolean;

  constructor(
    private readonly flags: ModprobeFlags,
    readonly ctx: KmodContext,
    private readonly io: ModprobeIO,
  ) {
    this.logPriority = flags.all ? LOG_WARNING : LOG_CRIT;
    this.showing = (flags.showDepends ?? false) || flags.verbose > LOG_WARNING;
  }

  private get dryRun(): boolean {
    return (this.flags.dryRun || this.flags.showDepends) ?? false;
  }

  /** log_printf(). */
  log(priority: number, message: string): void {
    if (priority > this.flags.verbose) return;
    this.io.err(toolLine("modprobe", priority, message));
    if (priority <= LOG_CRIT) throw new ModprobeExit(message);
  }

  /** SHOW(): what is done, with -v or -D. */
  private show(line: string): void {
    if (this.showing) this.io.out(line);
  }

  /**
   * module_new_from_any(): MODULE is a path when it starts with / or ./, else a name or alias looked up
   * in the module directory; [] when neither finds a module, said at LOG()'s priority.
   */
  private fromAny(module: string): KmodModule[] {
    if (module.startsWith("/") || module.startsWith("./")) {
      if (existsSync(module)) return [{ name: pathToModname(module), path: resolve(module) }];
      this.log(this.logPriority, `Failed to get module from path ${module}: ${strerror(errno("ENOENT"))}`);
      return [];
    }
    const mods = this.lookupOrNone(module);
    if (mods.length === 0) this.log(this.logPriority, `Module ${module} not found in directory ${this.ctx.dirname}`);
    return mods;
  }

  /** insmod(): probe every module the name stands for (or the file it names); the last result. */
  insert(alias: string, extraOptions: string | null): number {
    const mods = this.fromAny(alias);
    if (mods.length === 0) return -errno("ENOENT");
    let err = 0;
    for (const mod of mods) err = this.insertOne(mod, extraOptions);
    return err;
  }

  /** kmod_module_new_from_lookup(), a bad alias finding nothing. */
  private lookupOrNone(alias: string): KmodModule[] {
    try {
      return this.ctx.lookup(alias);
    } catch (e) {
      if (e instanceof KernelError) return [];
      throw e;
    }
  }

  /** insmod_insert(): one module and its dependencies, with kmod's words for a failure. */
  private insertOne(mod: KmodModule, extraOptions: string | null): number {
    if (this.flags.lookupOnly) {
      this.io.out(`${mod.name}\n`);
      return 0;
    }
    const f = this.flags;
    const err = probeInsert(this.ctx, mod, {
      forceVermagic: f.force || f.forceVermagic,
      forceModversion: f.force || f.forceModversion,
      ignoreCommand: f.ignoreCommands,
      ignoreLoaded: f.showDepends,
      dryRun: this.dryRun,
      failOnLoaded: f.firstTime,
      applyBlacklist: f.useBlacklist,
    }, extraOptions, {
      show: this.showing ? (line) => this.io.out(`${line}\n`) : undefined,
      runInstall: (m, cmd) => this.runInstall(m, cmd),
    });
    if (err >= 0) return 0;
    if (err === -errno("EEXIST")) this.log(LOG_ERR, `could not insert '${mod.name}': Module already in kernel`);
    else if (err === -errno("ENOENT")) this.log(LOG_ERR, `could not insert '${mod.name}': Unknown symbol in module, or unknown parameter (see dmesg)`);
    else this.log(LOG_ERR, `could not insert '${mod.name}': ${strerror(-err)}`);
    return err;
  }

  /** libkmod's command_do() for an install command: EINVAL when it fails, said by the library. */
  private runInstall(mod: KmodModule, command: string): number {
    const status = this.io.system(command, mod.name);
    if (status === 0) return 0;
    this.log(LOG_ERR, `Error running install command '${command}' for module ${mod.name}: retcode ${status}`);
    return -errno("EINVAL");
  }

  /** rmmod(): every module the name stands for, until one fails. */
  remove(alias: string): number {
    let mods: KmodModule[];
    try {
      mods = this.ctx.lookup(alias);
    } catch (e) {
      if (e instanceof KernelError) return -e.errno;
      throw e;
    }
    if (mods.length === 0) {
      this.log(this.logPriority, `Module ${alias} not found.`);
      return -errno("ENOENT");
    }
    for (const mod of mods) {
      const err = this.removeModule(mod, this.flags.removeHolders ?? false);
      if (err < 0) return err;
    }
    return 0;
  }

  /** rmmod_do_modlist(): the modules of a list, last first; stopping at an error if told to. */
  private removeList(list: readonly KmodModule[], stopOnErrors: boolean): number {
    for (const m of [...list].reverse()) {
      const err = this.removeModule(m, false);
      if (err < 0 && stopOnErrors) return err;
    }
    return 0;
  }

  /**
   * rmmod_do_module(): the post-softdeps (last first), the holders (--remove-holders), the module itself
   * (refused while its refcount is not 0; not tried again if removing a holder took it, as kmod after
   * 34 does), then each module it depends on whose refcount is 0 by the time it is reached, deepest
   * first (so, as in kmod 34, a module that something removed just after was using stays), then the
   * pre-softdeps.
   */
  private removeModule(mod: KmodModule, removeHolders: boolean): number {
    const command = this.flags.ignoreCommands ? undefined : this.ctx.removeCommand(mod);
    const { pre, post } = this.flags.ignoreCommands ? { pre: [], post: [] } : this.ctx.softdeps(mod);
    if (command === undefined && !this.flags.showDepends && !this.ctx.loaded(mod)) {
      if (!this.flags.firstTime) return 0;
      this.log(this.logPriority, `Module ${mod.name} is not in kernel.`);
      return -errno("ENOENT");
    }
    this.removeList(post, false);
    if (removeHolders) {
      const err = this.removeList(this.ctx.holders(mod), true);
      if (err < 0) return err;
    }
    if (command === undefined && !this.flags.showDepends && (this.ctx.refcnt(mod) ?? 0) > 0) {
      this.log(this.logPriority, `Module ${mod.name} is in use.`);
      return -errno("EBUSY");
    }
    // A holder's removal may have taken the module with it: kmod 34 would try again and fail (ENOENT).
    const gone = command === undefined && !this.flags.showDepends && !this.ctx.loaded(mod);
    const err = gone ? 0 : command === undefined ? this.removeOne(mod) : this.runRemove(mod, command);
    if (err < 0) return err;
    if (command === undefined) for (const dep of this.ctx.dependencies(mod)) if (this.ctx.refcnt(dep) === 0) this.removeOne(dep);
    this.removeList(pre, false);
    return 0;
  }

  /** rmmod_do_remove_module(). */
  private removeOne(mod: KmodModule): number {
    this.show(`rmmod ${mod.name}\n`);
    return this.dryRun ? 0 : this.ctx.remove(mod, this.flags.force ?? false);
  }

  /** command_do() for a remove command: -status when it fails, and that is FATAL. */
  private runRemove(mod: KmodModule, command: string): number {
    const line = command.replaceAll("$CMDLINE_OPTS", "");
    this.show(`remove ${line}\n`);
    if (this.dryRun) return 0;
    const status = this.io.system(line, mod.name);
    if (status === 0) return 0;
    this.log(this.logPriority, `Error running remove command for ${mod.name}`);
    return -status;
  }

  /** show_config(): the configuration, then the alias and symbol indexes. */
  showConfig(): void {
    const dump = (["modules.alias", "modules.symbols"] as const).flatMap((f) => this.ctx.indexLines(f)).map((l) => `${l}\n`).join("");
    this.io.out(`${showConfig(this.ctx.config)}\n# End of configuration files. Dumping indexes now:\n\n${dump}`);
  }

  /**
   * --dump-modversions and --show-exports: a module's __versions or exported symbols, "0x%08x\tNAME".
   * MODULE as kmod after 34 takes it (fromAny()); kmod 34 takes only a path.
   */
  showCrcs(module: string, what: "modversions" | "symbols"): number {
    const mods = this.fromAny(module);
    if (mods.length === 0) return -errno("ENOENT");
    let err = 0;
    for (const mod of mods) err = this.printCrcs(mod, what);
    return err;
  }

  private printCrcs(mod: KmodModule, what: "modversions" | "symbols"): number {
    let entries: NamedU32[];
    try {
      const path = this.ctx.path(mod);
      if (path === undefined) throw new KernelError("ENOENT", `${mod.name}: no file`);
      entries = what === "modversions" ? moduleVersions(path) : moduleSymbols(path);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.log(this.logPriority, `could not get ${what} of ${mod.name}: ${e.strerror}`);
      return -e.errno;
    }
    this.io.out(entries.map((v) => `0x${v.value.toString(16).padStart(8, "0")}\t${v.name}\n`).join(""));
    return 0;
  }
}

/** options_from_array(): the parameters after the name, a value with blanks put back in quotes; null for none. */
export function optionsFromArray(params: readonly string[]): string | null {
  if (params.length === 0) return null;
  return params.map((p) => {
    const eq = p.indexOf("=");
    const value = p.slice(eq + 1);
    return eq >= 0 && !/^["']/.test(value) && value.includes(" ") ? `${p.slice(0, eq + 1)}"${value}"` : p;
  }).join(" ");
}

/**
 * prepend_options_from_env(): MODPROBE_OPTIONS split into words at blanks, a word starting with a quote
 * taken up to the closing one, quotes inside a word dropped; kmod's quirk kept, an empty word after a
 * quoted one.
 */
export function optionsFromEnv(env: string | undefined): string[] {
  if (env === undefined) return [];
  const s = [...env];
  const words: string[] = [];
  let [str, quote] = [0, -1];
  let i = 0;
  for (; i < s.length; i++) {
    if (quote < 0) {
      if (s[i] === " ") {
        words.push(s.slice(str, i).join(""));
        str = i + 1;
      } else if (s[i] === '"' || s[i] === "'") quote = i;
    } else if (s[i] === s[quote]) {
      if (quote === str) {
        words.push(s.slice(str + 1, i).join(""));
        s[i] = "\0";
        str = i + 1;
      } else {
        s.splice(i, 1);
        s.splice(quote, 1);
        i -= 2;
      }
      quote = -1;
    }
  }
  if (str < i) words.push(s.slice(str, i).join("").split("\0")[0]!);
  return words;
}
