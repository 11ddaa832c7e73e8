// libkmod-module.c: modules as modprobe sees them. Lookup of a name or alias, a module's dependencies
// from modules.dep, the probe list with softdeps, and insertion and removal against the running kernel.
// The library returns -errno and prints nothing itself: its complaints go to the log it is given.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import type { Kernel } from "../init/main.js";
import { INIT_CRED, type Cred } from "../kernel/cred.js";
import { KernelError, refusal } from "../kernel/error.js";
import { mayInitModule } from "../module/syscalls.js";
import { moduleRefcount } from "../module/ksyms.js";
import { aliasNormalize, underscores, type KmodConfig } from "./config.js";
import { pathToModname, readModulesDep, type DepEntry } from "./depmod.js";
import { readModuleFile } from "./file.js";
import { fnmatch } from "./fnmatch.js";
import { LOG_ERR, LOG_INFO, type KmodLog } from "./log.js";

/** A module found by a lookup. */
export interface KmodModule {
  readonly name: string;
  /** A module named by its file (modprobe /path/to/x.wasm) rather than found in modules.dep. */
  readonly path?: string;
  /** The alias it was found by, if any (options may be given for an alias; the blacklist applies to it). */
  readonly alias?: string;
  /** The install/remove command a lookup found it by, overriding the configuration's. */
  readonly installCommand?: string;
  readonly removeCommand?: string;
}

/** KMOD_PROBE_*: how probeInsert treats loaded, blacklisted and configured modules. */
export interface ProbeFlags {
  /** --force-vermagic (or -f): ignore the version magic (MODULE_INIT_IGNORE_VERMAGIC). */
  readonly forceVermagic?: boolean;
  /** --force-modversion (or -f): ignore symbol versions (MODULE_INIT_IGNORE_MODVERSIONS). */
  readonly forceModversion?: boolean;
  /** -i: ignore install commands and softdeps. */
  readonly ignoreCommand?: boolean;
  /** -D: act as if nothing were loaded. */
  readonly ignoreLoaded?: boolean;
  /** -n: say what would be done, do nothing. */
  readonly dryRun?: boolean;
  /** --first-time: EEXIST if the module is loaded already. */
  readonly failOnLoaded?: boolean;
  /** -b: the blacklist applies to the name asked for too, not only to aliases. */
  readonly applyBlacklist?: boolean;
}

/** What probeInsert calls back for: show each action as kmod's print_action words it (-v, -n), run an install command. */
export interface ProbeHooks {
  show?(line: string): void;
  runInstall(mod: KmodModule, command: string): number;
}

/** KMOD_PROBE_APPLY_BLACKLIST*: the module asked for is blacklisted, and nothing was done. */
export const PROBE_BLACKLISTED = 1;

/** The key kmod's pool keeps a module under: its name, and the alias it was found by. */
function poolKey(m: KmodModule): string {
  return m.alias === undefined ? m.name : `${m.name}\\${m.alias}`;
}

/** One modprobe run's view of the module directory, its configuration and the running kernel (a kmod_ctx). */
export class KmodContext {
  private depIndex: Map<string, DepEntry> | null = null;
  private aliasIndex: { pattern: string; modname: string }[] | null = null;

  constructor(
    readonly dirname: string,
    readonly config: KmodConfig,
    private readonly kernel: Kernel,
    private readonly log: KmodLog,
    /** Whose system calls init_module and delete_module are (the caller's capability decides): root's by default. */
    private readonly cred: Cred = INIT_CRED,
  ) {}

  private deps(): Map<string, DepEntry> {
    this.depIndex ??= readModulesDep(this.dirname) ?? new Map();
    return this.depIndex;
  }

  /** modules.alias and modules.symbols lines "alias KEY MODNAME", the key normalized as the index keeps it. */
  private aliasLines(file: string): { pattern: string; modname: string }[] {
    const path = join(this.dirname, file);
    if (!existsSync(path)) return [];
    return readFileSync(path, "utf8").split("\n").flatMap((line) => {
      const [kw, key, modname] = line.split(/\s+/);
      const pattern = key === undefined ? null : aliasNormalize(key);
      const target = underscores(modname);
      return kw === "alias" && pattern !== null && target !== null ? [{ pattern, modname: target }] : [];
    });
  }

  /**
   * kmod_dump_index() of modules.alias or modules.symbols: "alias KEY MODULE", keys in order (a key's
   * modules in the index's order).
   */
  indexLines(file: "modules.alias" | "modules.symbols"): string[] {
    const lines = this.aliasLines(file);
    return lines.map((a, i) => ({ a, i })).sort((x, y) => (x.a.pattern < y.a.pattern ? -1 : x.a.pattern > y.a.pattern ? 1 : x.i - y.i))
      .map(({ a }) => `alias ${a.pattern} ${a.modname}`);
  }

  /**
   * kmod_module_new_from_lookup(): the modules a name or alias stands for, looked up as kmod does, the
   * first source with an answer winning: the configuration's aliases (wildcards), a module of that name
   * in modules.dep, modules.symbols for "symbol:NAME", the install and remove commands, modules.alias
   * (wildcards). EINVAL for an alias with unbalanced brackets.
   */
  lookup(given: string): KmodModule[] {
    const alias = aliasNormalize(given);
    if (alias === null) throw new KernelError("EINVAL", `invalid alias: ${given}`);
    const fromConfig = this.config.aliases.filter((a) => fnmatch(a.pattern, alias)).map((a) => ({ name: a.modname, alias: a.pattern }));
    if (fromConfig.length > 0) return fromConfig;
    if (!alias.includes(":") && this.deps().has(alias)) return [{ name: alias }];
    if (alias.startsWith("symbol:")) {
      const owners = this.aliasLines("modules.symbols").filter((a) => fnmatch(a.pattern, alias));
      if (owners.length > 0) return owners.map((a) => ({ name: a.modname, alias }));
    }
    const install = this.config.install.find((c) => c.modname === alias);
    if (install) return [{ name: alias, installCommand: install.command }];
    const remove = this.config.remove.find((c) => c.modname === alias);
    if (remove) return [{ name: alias, removeCommand: remove.command }];
    this.aliasIndex ??= this.aliasLines("modules.alias");
    return this.aliasIndex.filter((a) => fnmatch(a.pattern, alias)).map((a) => ({ name: a.modname, alias }));
  }

  /** The module file modules.dep names, or undefined. */
  path(mod: KmodModule): string | undefined {
    return mod.path ?? this.deps().get(mod.name)?.path;
  }

  /**
   * kmod_module_get_dependencies(): every module it depends on, deepest first: kmod builds the list by
   * prepending each of modules.dep's, so it is that line backwards.
   */
  dependencies(mod: KmodModule): KmodModule[] {
    const entry = this.deps().get(mod.name);
    return entry ? entry.deps.map((p) => ({ name: pathToModname(p) })).reverse() : [];
  }

  /** kmod_module_get_options(): the configuration's options for the module (by name, or by the alias it was found through); null when none. */
  options(mod: KmodModule): string | null {
    const opts = this.config.options.filter((o) => (o.modname === mod.name || o.modname === mod.alias) && o.options !== "").map((o) => o.options);
    return opts.length > 0 ? opts.join(" ") : null;
  }

  installCommand(mod: KmodModule): string | undefined {
    return mod.installCommand ?? this.config.install.find((c) => fnmatch(c.modname, mod.name))?.command;
  }

  removeCommand(mod: KmodModule): string | undefined {
    return mod.removeCommand ?? this.config.remove.find((c) => fnmatch(c.modname, mod.name))?.command;
  }

  blacklisted(mod: KmodModule): boolean {
    return this.config.blacklist.includes(mod.name);
  }

  /** lookup_dep(): each name looked up; one that cannot be (a bad alias) is said and skipped. */
  private lookupDeps(names: readonly string[]): KmodModule[] {
    return names.flatMap((n) => {
      try {
        return this.lookup(n);
      } catch {
        this.log(LOG_ERR, "lookup_dep", `failed to lookup dependency '${n}', continuing anyway.`);
        return [];
      }
    });
  }

  /** kmod_module_get_softdeps(): the first softdep line matching the module, each name looked up. */
  softdeps(mod: KmodModule): { pre: KmodModule[]; post: KmodModule[] } {
    const dep = this.config.softdeps.find((s) => fnmatch(s.name, mod.name));
    return { pre: this.lookupDeps(dep?.pre ?? []), post: this.lookupDeps(dep?.post ?? []) };
  }

  /** kmod_module_get_weakdeps(): the first weakdep line matching the module, each name looked up. modprobe loads none of them. */
  weakdeps(mod: KmodModule): KmodModule[] {
    return this.lookupDeps(this.config.weakdeps.find((w) => fnmatch(w.name, mod.name))?.weak ?? []);
  }

  /** /sys/module/NAME/initstate: whether the kernel has it live (module_is_inkernel). */
  inKernel(mod: KmodModule): boolean {
    return this.kernel.modules.find(mod.name)?.state === "LIVE";
  }

  /** kmod_module_get_initstate() >= 0: the kernel has it, in whatever state. */
  loaded(mod: KmodModule): boolean {
    return this.kernel.modules.find(mod.name) !== undefined;
  }

  /** /sys/module/NAME/refcnt, or null when it is not loaded. */
  refcnt(mod: KmodModule): number | null {
    const m = this.kernel.modules.find(mod.name);
    return m ? moduleRefcount(m) : null;
  }

  /** /sys/module/NAME/holders. */
  holders(mod: KmodModule): KmodModule[] {
    return (this.kernel.modules.find(mod.name)?.usedBy ?? []).map((m) => ({ name: m.name }));
  }

  /** kmod_module_insert_module(): init_module with the file modules.dep names; 0 or -errno. */
  insert(mod: KmodModule, options: string | null, flags: ProbeFlags): number {
    const path = this.path(mod);
    if (path === undefined) {
      this.log(LOG_ERR, "kmod_module_insert_module", `could not find module by name='${mod.name}'`);
      return -errno("ENOENT");
    }
    try {
      mayInitModule("init_module", this.cred);
      this.kernel.insmod(readModuleFile(path), {
        args: options ?? "", ignoreVermagic: flags.forceVermagic, ignoreModversions: flags.forceModversion, filename: path,
      });
      return 0;
    } catch (e) {
      const err = refusal(e);
      this.log(LOG_INFO, "kmod_module_insert_module", `Failed to insert module '${path}': ${strerror(-err)}`);
      return err;
    }
  }

  /** kmod_module_remove_module(): delete_module, O_NONBLOCK as kmod always asks; 0 or -errno, said unless `quiet`. */
  remove(mod: KmodModule, force: boolean, quiet = false): number {
    try {
      mayInitModule("delete_module", this.cred);
      this.kernel.rmmod(mod.name, force);
      return 0;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      if (!quiet) this.log(LOG_ERR, "kmod_module_remove_module", `could not remove '${mod.name}': ${e.strerror}`);
      return -e.errno;
    }
  }

  /** The names of the modules loaded now, newest first. */
  loadedNames(): string[] {
    return this.kernel.modules.list().map((m) => m.name);
  }
}

interface ProbeEntry {
  readonly mod: KmodModule;
  /** The module asked for or one of its dependencies (a softdep's failure is ignored). */
  required: boolean;
  /** Its install command and softdeps were dealt with already (or -i said to ignore them). */
  ignorecmd: boolean;
}

/** kmod_module_get_probe_list(): dependencies first, each with its softdeps around it, then the module. */
export function probeList(ctx: KmodContext, mod: KmodModule, ignoreCommand: boolean): ProbeEntry[] {
  const list: ProbeEntry[] = [];
  const visited = new Set<string>();
  const entries = new Map<string, ProbeEntry>();
  const entry = (m: KmodModule): ProbeEntry => {
    const e = entries.get(poolKey(m)) ?? { mod: m, required: false, ignorecmd: false };
    entries.set(poolKey(m), e);
    return e;
  };
  const fillSoftdep = (e: ProbeEntry): void => {
    const { pre, post } = ctx.softdeps(e.mod);
    for (const p of pre) visit(p, false, false);
    list.push(e);
    e.ignorecmd = pre.length > 0 || post.length > 0;
    for (const p of post) visit(p, false, false);
  };
  const visit = (m: KmodModule, required: boolean, ignorecmd: boolean): void => {
    if (visited.has(poolKey(m))) return;
    visited.add(poolKey(m));
    const self = entry(m);
    const deps = ctx.dependencies(m).map(entry);
    if (required) for (const e of [self, ...deps]) e.required = true;
    for (const d of deps) fillSoftdep(d);
    if (ignorecmd) {
      list.push(self);
      self.ignorecmd = true;
    } else fillSoftdep(self);
  };
  visit(mod, true, ignoreCommand);
  return list;
}

/** module_options_concat(): the configured options, then those given; configured ones always end in a blank. */
function concatOptions(opt: string | null, xopt: string | null): string | null {
  if (!opt && !xopt) return null;
  return opt !== null ? `${opt} ${xopt ?? ""}` : xopt;
}

/**
 * kmod_module_probe_insert_module(): load a module with everything it needs, in order. Returns 0 (done,
 * or already loaded), PROBE_BLACKLISTED, or -errno. Unlike kmod, a failure part-way unloads what this
 * call loaded (dependencies, softdeps, what install commands loaded), newest first, and nothing else.
 */
export function probeInsert(ctx: KmodContext, mod: KmodModule, flags: ProbeFlags, extraOptions: string | null, hooks: ProbeHooks): number {
  if (!flags.ignoreLoaded && ctx.inKernel(mod)) return flags.failOnLoaded ? -errno("EEXIST") : 0;
  if (ctx.blacklisted(mod) && (mod.alias !== undefined || flags.applyBlacklist)) return PROBE_BLACKLISTED;
  const before = new Set(ctx.loadedNames());
  let err = 0;
  for (const e of probeList(ctx, mod, flags.ignoreCommand ?? false)) {
    err = probeOne(ctx, e, e.mod === mod ? extraOptions : null, flags, hooks);
    if (err === -errno("EEXIST") && e.mod === mod && flags.failOnLoaded) break;
    if (err === -errno("EEXIST") || !e.required) err = 0;
    else if (err < 0) break;
  }
  if (err < 0 && !flags.dryRun) {
    for (const name of ctx.loadedNames().filter((n) => !before.has(n))) ctx.remove({ name }, false, true);
  }
  return err;
}

/** One entry of the probe list: its install command, or init_module with its options. */
function probeOne(ctx: KmodContext, e: ProbeEntry, extra: string | null, flags: ProbeFlags, hooks: ProbeHooks): number {
  if (!flags.ignoreLoaded && ctx.inKernel(e.mod)) return -errno("EEXIST");
  const options = concatOptions(ctx.options(e.mod), extra);
  const command = ctx.installCommand(e.mod);
  if (command !== undefined && !e.ignorecmd) {
    hooks.show?.(`install ${command} ${options ?? ""}`);
    return flags.dryRun ? 0 : hooks.runInstall(e.mod, command.replaceAll("$CMDLINE_OPTS", options ?? ""));
  }
  const path = ctx.path(e.mod);
  if (path !== undefined) hooks.show?.(`insmod ${path} ${options ?? ""}`);
  return flags.dryRun ? 0 : ctx.insert(e.mod, options, flags);
}
