// The module loader's hub (kernel/module/main.c): load, link, initialise, refcount and unload modules.
//
//   load:   parse ▶ check modinfo ▶ refuse duplicates ▶ resolve + version every import ▶ COMING
//           ▶ instantiate ▶ _initialize ▶ parameters ▶ init_module ▶ LIVE ▶ publish exports
//   unload: users? ▶ LIVE? ▶ refcount ▶ GOING ▶ cleanup_module ▶ reclaim leaks ▶ unpublish ▶ forget
//
// Every refusal happens before the kernel's state changes, or is undone completely: a failed insmod
// leaves lsmod, kallsyms, refcounts and memory accounting exactly as they were.

import { LOGLEVELS } from "../../abi/kern_levels.js";
import { ENV_NAMESPACE, KERNEL_NAMESPACE, MODULE_EXPORTS, WATCHDOG_TICK } from "../../abi/module.js";
import { isParamType } from "../../abi/moduleparam.js";
import { sameMagic, VERMAGIC } from "../../abi/version.js";
import { encodeSections, type Section } from "../../abi/wasm.js";
import { KernelError } from "../kernel/error.js";
import type { TaintName } from "../kernel/panic.js";
import { die, isModuleFault, ModuleBug, oopsError, wasmFrames } from "../kernel/traps.js";
import type { Kernfs } from "../fs/kernfs.js";
import { currentOrNull } from "../kernel/sched.js";
import type { Watchdog } from "../kernel/watchdog.js";
import { instrumentSections } from "./instrument.js";
import { withArity } from "./arity.js";
import { compiledModules } from "./compile_cache.js";
import { hex, ModuleMemory, STRING_ID, type ModPtr } from "../mm/maccess.js";
import { KmallocCache } from "../mm/slab.js";
import { HeldReferences } from "../kernel/core_module.js";
import { parseModule, type LoadInfo } from "./load_info.js";
import type { Module, ModuleExports, ModuleHandle } from "./internal.js";
import { modinfoGet, MODULE_TABLE_ELEMENTS_MAX, ModuleCoreFields } from "./internal.js";
import { Kallsyms, type KernelSymbol } from "./kallsyms.js";
import { bindKernelSymbols, dropReferences, moduleRelease, type KsymContext } from "./ksyms.js";
import { licenseIsGplCompatible } from "./license.js";
import { paramEq, parseArgs, setParam, type ModuleParam, type StringMaker } from "./params.js";
import { moduleFlags } from "./procfs.js";
import type { ModuleFn } from "./fnptr.js";
import { addHolder, modSysfsSetup, modSysfsTeardown, removeHolder } from "./sysfs.js";
import { checkVersion, type VersionContext } from "./version.js";

/** What the loader needs from the rest of the kernel. */
export interface LoaderContext extends KsymContext {
  readonly kernfs: Kernfs;
  readonly kallsyms: Kallsyms;
  /** The soft-lockup detector whose tick every module's budget checks call. */
  readonly watchdog: Watchdog;
  dieCounter: number;
  /** Per-module limits. */
  readonly limits: { readonly kmallocCap: number; readonly memoryMaxPages: number; readonly maxModules: number };
  /** Take back what the module registered and did not unregister (system calls, filesystems...), one line each. */
  reclaimResources(mod: Module): string[];
  /** The module notifier's MODULE_STATE_LIVE: the module is live and its exports published (KUnit runs its suites). */
  moduleLive(mod: Module): void;
}

export interface LoadOptions {
  /** The parameters, as insmod passes them: "who=kernel count=3". */
  readonly args?: string;
  /** insmod -f: ignore vermagic and symbol versions (MODULE_INIT_IGNORE_*), tainting F. */
  readonly force?: boolean;
  /** MODULE_INIT_IGNORE_VERMAGIC alone (modprobe --force-vermagic), tainting F. */
  readonly ignoreVermagic?: boolean;
  /** MODULE_INIT_IGNORE_MODVERSIONS alone (modprobe --force-modversion), tainting F once a symbol is bound unchecked. */
  readonly ignoreModversions?: boolean;
  /** The file the bytes came from, named in errors before .modinfo has been read. */
  readonly filename?: string;
}

/** A resolved import and the module that provides it (null: the base kernel). */
/** One module's symbol resolution so far (Linux keeps using_gplonly_symbols in struct module). */
interface SymbolSearch {
  usingGplOnly: boolean;
  readonly version: VersionContext;
}

interface Binding {
  readonly module: string;
  readonly name: string;
  readonly value: WebAssembly.ImportValue;
  readonly provider: Module | null;
}

export class ModuleLoader {
  /**
   * The modules by name, oldest first, and by handle: a load or a lookup costs the same with 5,000 modules
   * loaded as with one (Linux walks a list; at thousands of modules that made loading O(n²)).
   */
  private readonly byName = new Map<string, Module>();
  private readonly handles = new Map<number, Module>();
  /** list() as last made, until the next load or unload. */
  private listed: readonly Module[] | undefined;
  private warnedNoVersion = false;

  constructor(private readonly k: LoaderContext) {}

  /** The module list, newest first, as /proc/modules shows it. */
  list(): readonly Module[] {
    return (this.listed ??= [...this.byName.values()].reverse());
  }

  find(name: string): Module | undefined {
    return this.byName.get(name);
  }

  byHandle(handle: number): Module | undefined {
    return this.handles.get(handle);
  }

  private enlist(mod: Module): void {
    this.byName.set(mod.name, mod);
    this.handles.set(mod.handle, mod);
    this.listed = undefined;
  }

  private delist(mod: Module): void {
    if (this.byName.get(mod.name) === mod) this.byName.delete(mod.name);
    this.handles.delete(mod.handle);
    this.listed = undefined;
  }

  /**
   * init_module(): load a module and run its init. Throws KernelError: ENOEXEC (malformed, wrong
   * vermagic, duplicate export), EEXIST/EBUSY (name taken), ENOENT (unknown symbol), EINVAL (symbol
   * version or parameter), ENOMEM, EFAULT (init trapped), or whatever init returned.
   */
  load(bytes: Uint8Array, opts: LoadOptions = {}): Module {
    const info = this.setupLoadInfo(bytes, opts);
    const mod = this.allocate(info);
    let bindings: Binding[];
    try {
      this.checkModinfo(mod, info, (opts.force || opts.ignoreVermagic) ?? false);
      this.checkDuplicate(mod.name);
      bindings = this.resolveSymbols(mod, info);
      this.checkExports(mod, info);
    } catch (e) {
      mod.ref.detach();
      throw e;
    }
    this.enlist(mod);
    mod.state = "COMING";
    const targets = new Set(bindings.flatMap((b) => (b.provider ? [b.provider] : [])));
    for (const t of targets) {
      refModule(mod, t);
      addHolder(this.k.kernfs, t, mod);
    }
    try {
      this.instantiate(mod, info, bindings);
      this.call(mod, () => mod.exports!.start());
      this.applyParams(mod, opts.args ?? "");
      modSysfsSetup(this.k.kernfs, mod, this.stringMaker(mod));
      this.doInit(mod);
    } catch (e) {
      this.free(mod);
      throw e;
    }
    mod.state = "LIVE";
    this.k.kallsyms.publish(this.exportedSymbols(mod, info));
    this.k.moduleLive(mod);
    return mod;
  }

  /** setup_load_info(): the binary's sections; ENOEXEC, with the reason in the log, naming the file. */
  private setupLoadInfo(bytes: Uint8Array, opts: LoadOptions): LoadInfo {
    try {
      const checked = this.k.watchdog.detector;
      const compile = (bytes: Uint8Array, sections: readonly Section[], name: string) =>
        compiledModules.get(bytes, `${name}${checked ? " +budget" : ""}`, () =>
          new WebAssembly.Module((checked ? withBudgetChecks(sections, name) : encodeSections(sections)) as Uint8Array<ArrayBuffer>));
      return parseModule(bytes, opts.filename ?? "module", (opts.force || opts.ignoreModversions) ?? false, compile);
    } catch (e) {
      if (e instanceof KernelError) this.pr(LOGLEVELS.KERN_ERR, e.message);
      throw e;
    }
  }

  /**
   * layout_and_allocate(): the module record, its capped memory and its kmalloc cache; nothing is listed yet.
   * ENOMEM, named in dmesg, when the kernel holds limits.maxModules already, or the module's declared memory or
   * tables exceed their caps, or the host cannot give it the memory.
   */
  private allocate(info: LoadInfo): Module {
    const pages = Math.min(info.memory.maximum ?? this.k.limits.memoryMaxPages, this.k.limits.memoryMaxPages);
    const elements = info.tables.reduce((n, t) => n + t.initial, 0);
    const max = this.k.limits.maxModules;
    if (this.byName.size >= max) this.noMemory(`${info.name}: cannot load: ${max} modules are loaded already`);
    if (info.memory.initial > pages) this.noMemory(`${info.name}: needs ${info.memory.initial} pages of memory, the cap is ${pages}`);
    if (elements > MODULE_TABLE_ELEMENTS_MAX) {
      this.noMemory(`${info.name}: needs ${elements} table elements, the cap is ${MODULE_TABLE_ELEMENTS_MAX}`);
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: info.memory.initial, maximum: pages });
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.noMemory(`${info.name}: cannot allocate its memory: ${e.message}`);
    }
    const ref = this.k.core.modules.attach() ?? this.noMemory(`${info.name}: cannot load: every module slot of the kernel core is taken`);
    const mod: Module = Object.assign<ModuleCoreFields, Omit<Module, keyof ModuleCoreFields>>(new ModuleCoreFields(ref), {
      handle: ref.handle as ModuleHandle,
      name: info.name,
      size: Math.ceil(info.size / 4096) * 4096,
      modinfo: info.modinfo,
      autoclean: false,
      taints: new Set(),
      uses: new Set(),
      usedBy: [],
      held: new HeldReferences<Module>(ref),
      syms: new Map(),
      params: [],
      memory: new ModuleMemory(info.name, memory, (m) => this.pr(LOGLEVELS.KERN_ERR, m)),
      slab: new KmallocCache(info.name, this.k.limits.kmallocCap, {
        alloc: (size) => this.call(mod, () => allocOrNull(mod.exports!.heapAlloc, size)),
        free: (ptr) => this.call(mod, () => mod.exports!.heapFree(ptr)),
        zero: (ptr, size) => mod.memory.bytes(ptr, size).fill(0),
      }, (m) => this.warn(m), { memory, maxPages: pages, gate: (fn) => this.call(mod, fn) }),
      pinned: new Set(),
    });
    return mod;
  }

  private noMemory(message: string): never {
    this.pr(LOGLEVELS.KERN_ERR, message);
    throw new KernelError("ENOMEM", message);
  }

  private taint(mod: Module, name: TaintName): void {
    mod.taints.add(name);
    this.k.taint.add(name);
  }

  private pr(level: number, message: string): void {
    this.k.printk(message, level);
  }

  private warn(message: string): void {
    this.pr(LOGLEVELS.KERN_WARNING, message);
  }

  /** try_to_force_load(): the kernel allows it (CONFIG_MODULE_FORCE_LOAD) but taints F. */
  private forceLoad(mod: Module, reason: string): void {
    if (!this.k.taint.test("FORCED_MODULE")) this.warn(`${mod.name}: ${reason}: kernel tainted.`);
    this.taint(mod, "FORCED_MODULE");
  }

  /** check_modinfo(): vermagic, intree and licence, in Linux's order; taints stay even if the load fails later. */
  private checkModinfo(mod: Module, info: LoadInfo, force: boolean): void {
    const magic = force ? undefined : modinfoGet(info.modinfo, "vermagic");
    if (magic === undefined) this.forceLoad(mod, "bad vermagic");
    else if (!sameMagic(magic, VERMAGIC, info.versions !== null)) {
      this.pr(LOGLEVELS.KERN_ERR, `${mod.name}: version magic '${magic}' should be '${VERMAGIC}'`);
      throw new KernelError("ENOEXEC", `${mod.name}: version magic '${magic}' should be '${VERMAGIC}'`);
    }
    if (modinfoGet(info.modinfo, "intree") === undefined) {
      if (!this.k.taint.test("OOT_MODULE")) this.warn(`${mod.name}: loading out-of-tree module taints kernel.`);
      this.taint(mod, "OOT_MODULE");
    }
    if (modinfoGet(info.modinfo, "test") !== undefined) {
      if (!this.k.taint.test("TEST")) this.warn(`${mod.name}: loading test module taints kernel.`);
      this.taint(mod, "TEST");
    }
    const license = modinfoGet(info.modinfo, "license") ?? "unspecified";
    if (!licenseIsGplCompatible(license)) {
      if (!this.k.taint.test("PROPRIETARY_MODULE")) {
        this.warn(`${mod.name}: module license '${license}' taints kernel.`);
        this.warn("Disabling lock debugging due to kernel taint");
      }
      this.taint(mod, "PROPRIETARY_MODULE");
    }
  }

  /** add_unformed_module(): EEXIST for a live module of that name, EBUSY while it comes or goes. */
  private checkDuplicate(name: string): void {
    const old = this.find(name);
    if (!old) return;
    if (old.state === "LIVE") throw new KernelError("EEXIST", `${name}: a module of that name is already loaded`);
    throw new KernelError("EBUSY", `${name}: a module of that name is ${old.state === "GOING" ? "unloading" : "loading"}`);
  }

  /** simplify_symbols(): bind every import, logging each that fails; the last failure is the result. */
  private resolveSymbols(mod: Module, info: LoadInfo): Binding[] {
    const version: VersionContext = {
      mod,
      versions: info.versions,
      forceLoad: (reason) => this.forceLoad(mod, reason),
      warn: (m) => this.warn(m),
      warnOnce: (m) => {
        if (!this.warnedNoVersion) this.warn(m);
        this.warnedNoVersion = true;
      },
    };
    const search: SymbolSearch = { usingGplOnly: false, version };
    const imports = WebAssembly.Module.imports(info.wasm);
    const arity = (module: string, name: string) => info.importTypes.get(`${module}.${name}`)?.params.length;
    const kernelNames = imports.flatMap((i) => (i.module === KERNEL_NAMESPACE ? [i.name] : []));
    const kernelFns = bindKernelSymbols(this.k, mod, kernelNames, (name) => arity(KERNEL_NAMESPACE, name));
    const bindings: Binding[] = [];
    let error: KernelError | undefined;
    for (const imp of imports) {
      if (imp.module === WATCHDOG_TICK.module && imp.name === WATCHDOG_TICK.name && imp.kind === "table") {
        bindings.push({ module: imp.module, name: imp.name, value: this.k.watchdog.table, provider: null });
        continue;
      }
      if (imp.module === ENV_NAMESPACE) {
        const value = this.envImport(mod, imp.name);
        if (value !== undefined || imp.kind === "memory") {
          bindings.push({ module: imp.module, name: imp.name, value: withArity(value ?? mod.memory.memory, arity(imp.module, imp.name)), provider: null });
          continue;
        }
      }
      const result = imp.module === KERNEL_NAMESPACE ? this.resolveSymbol(mod, imp.name, search) : "ENOENT";
      if (typeof result === "string") {
        const err = result === "EINVAL" ? -22 : -2;
        const name = imp.module === KERNEL_NAMESPACE ? imp.name : `${imp.module}.${imp.name}`;
        this.warn(`${mod.name}: Unknown symbol ${name} (err ${err})`);
        error = new KernelError(result, `${mod.name}: Unknown symbol ${name} (err ${err})`);
        continue;
      }
      const value = result.owner ? result.value! : this.kernelValue(mod, imp.name, kernelFns);
      bindings.push({ module: imp.module, name: imp.name, value, provider: result.owner });
    }
    if (error) throw error;
    return bindings;
  }

  /**
   * resolve_symbol(): the symbol, or why not. GPL-only symbols are invisible to a proprietary module,
   * including one that became proprietary by using an earlier import from a proprietary module.
   */
  private resolveSymbol(mod: Module, name: string, search: SymbolSearch): KernelSymbol | "ENOENT" | "EINVAL" {
    const sym = this.k.kallsyms.find(name);
    if (!sym || (sym.gpl && mod.taints.has("PROPRIETARY_MODULE"))) return "ENOENT";
    if (sym.gpl) search.usingGplOnly = true;
    if (!this.inheritTaint(mod, sym, search.usingGplOnly)) return "ENOENT";
    if (!checkVersion(search.version, name, sym.crc)) return "EINVAL";
    return sym;
  }

  /**
   * inherit_taint(): using a proprietary module's symbols makes the user proprietary too, which a module
   * already bound to GPL-only symbols may not become.
   */
  private inheritTaint(mod: Module, sym: KernelSymbol, usingGplOnly: boolean): boolean {
    if (!sym.owner?.taints.has("PROPRIETARY_MODULE")) return true;
    if (usingGplOnly) {
      this.pr(
        LOGLEVELS.KERN_ERR,
        `${mod.name}: module using GPL-only symbols uses symbols ${sym.name} from proprietary module ${sym.owner.name}.`,
      );
      return false;
    }
    if (!mod.taints.has("PROPRIETARY_MODULE")) {
      this.warn(`${mod.name}: module uses symbols ${sym.name} from proprietary module ${sym.owner.name}, inheriting taint.`);
      this.taint(mod, "PROPRIETARY_MODULE");
    }
    return true;
  }

  private kernelValue(mod: Module, name: string, fns: ReadonlyMap<string, WebAssembly.ImportValue>): WebAssembly.ImportValue {
    if (name === "__this_module") return new WebAssembly.Global({ value: "i32", mutable: false }, mod.handle);
    return fns.get(name)!;
  }

  /** The AssemblyScript runtime's imports: abort() is BUG(), trace() a debug printk. */
  private envImport(mod: Module, name: string): WebAssembly.ImportValue | undefined {
    const str = (p: number) => (p === 0 ? "" : safeRead(mod, p));
    switch (name) {
      case "abort":
        return (msg: number, file: number, line: number, col: number) => {
          throw new ModuleBug(str(msg), str(file), line >>> 0);
        };
      case "trace":
        return (msg: number, n: number, ...args: number[]) =>
          void this.pr(LOGLEVELS.KERN_DEBUG, `${mod.name}: trace: ${str(msg)} ${args.slice(0, n).join(", ")}`.trimEnd());
      case "seed":
        return () => Date.now();
      default:
        return undefined;
    }
  }

  /** ENOEXEC "exports duplicate symbol" when another module or the kernel already exports one of ours. */
  private checkExports(mod: Module, info: LoadInfo): void {
    for (const e of [...info.ksymtab, ...info.ksymtabGpl]) {
      const owner = this.k.kallsyms.find(e.name)?.owner;
      if (owner === undefined) continue;
      const by = owner ? owner.name : "kernel";
      this.pr(LOGLEVELS.KERN_ERR, `${mod.name}: exports duplicate symbol ${e.name} (owned by ${by})`);
      throw new KernelError("ENOEXEC", `${mod.name}: exports duplicate symbol ${e.name} (owned by ${by})`);
    }
  }

  private instantiate(mod: Module, info: LoadInfo, bindings: readonly Binding[]): void {
    const imports: WebAssembly.Imports = {};
    for (const b of bindings) (imports[b.module] ??= {})[b.name] = b.value;
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(info.wasm, imports);
    } catch (e) {
      throw new KernelError("ENOEXEC", `${mod.name}: ${(e as Error).message}`);
    }
    mod.exports = moduleExports(instance);
    mod.slab.allocatorReady(mod.exports.heapAlloc, mod.exports.heapFree);
    for (const e of [...info.ksymtab, ...info.ksymtabGpl]) mod.syms.set(e.name, instance.exports[e.name]!);
    mod.params.push(...bindParams(mod, info, instance));
  }

  private stringMaker(mod: Module): StringMaker {
    return {
      memory: mod.memory,
      newString: (s) => {
        if (mod.dead) throw new KernelError("ENODEV", `${mod.name}: module is dead`);
        const ex = mod.exports!;
        const ptr = this.call(mod, () => ex.newObject(s.length * 2, STRING_ID) >>> 0);
        this.call(mod, () => ex.pin(ptr));
        mod.memory.writeString(ptr as ModPtr, s);
        mod.pinned.add(ptr);
        return ptr as ModPtr;
      },
      release: (ptr) => {
        if (!mod.pinned.delete(ptr)) return;
        this.call(mod, () => mod.exports!.unpin(ptr));
      },
    };
  }

  /** parse_args() over the module's parameters: unknown names are ignored with a warning, as Linux does. */
  private applyParams(mod: Module, args: string): void {
    const strings = this.stringMaker(mod);
    for (const [name, value] of parseArgs(args)) {
      const p = mod.params.find((q) => paramEq(q.name, name));
      if (!p) {
        this.warn(`${mod.name}: unknown parameter '${name}' ignored`);
        continue;
      }
      try {
        setParam(mod.name, p, value, strings);
      } catch (e) {
        if (e instanceof KernelError) this.pr(LOGLEVELS.KERN_ERR, e.message);
        throw e;
      }
    }
  }

  /** do_init_module(): a negative return fails the load with that errno; a positive one is only suspicious. */
  private doInit(mod: Module): void {
    const init = mod.exports!.init;
    if (!init) return;
    const ret = this.call(mod, init);
    if (ret < 0) throw new KernelError(-ret, `${mod.name}: init_module returned ${ret}`);
    if (ret > 0) {
      this.warn(`do_init_module: '${mod.name}'->init suspiciously returned ${ret}, it should follow 0/-E convention`);
      this.warn("do_init_module: loading module anyway...");
    }
  }

  private exportedSymbols(mod: Module, info: LoadInfo): KernelSymbol[] {
    const sym = (gpl: boolean) => (e: { name: string; value: number }): KernelSymbol => {
      const value = mod.syms.get(e.name)!;
      return { name: e.name, owner: mod, crc: e.value, gpl, type: typeof value === "function" ? "T" : "D", value };
    };
    return [...info.ksymtab.map(sym(false)), ...info.ksymtabGpl.map(sym(true))];
  }

  /**
   * delete_module(): ENOENT not loaded; EWOULDBLOCK while other modules use it (even forced); EBUSY if
   * not live, or if it has init but no exit (unless forced); EWOULDBLOCK while referenced (unless
   * forced, which taints R). Then cleanup_module runs and whatever the module still holds is reclaimed.
   * A cleanup that traps fails with EFAULT and leaves the module dead; removing it again skips cleanup.
   */
  unload(name: string, force = false): void {
    const mod = this.find(name);
    if (!mod) throw new KernelError("ENOENT", `${name}: module not loaded`);
    if (mod.usedBy.length > 0) {
      throw new KernelError("EAGAIN", `${name}: in use by ${mod.usedBy.map((u) => u.name).join(" ")}`);
    }
    if (mod.state !== "LIVE") throw new KernelError("EBUSY", `${name}: module is not live`);
    if (mod.exports?.init && !mod.exports.cleanup && !mod.dead && !this.forceUnload(force)) {
      throw new KernelError("EBUSY", `${name}: module has no cleanup_module and cannot be unloaded`);
    }
    if (mod.refcnt > 0 && !this.forceUnload(force)) {
      throw new KernelError("EAGAIN", `${name}: module is in use (refcount ${mod.refcnt})`);
    }
    mod.state = "GOING";
    const cleanup = mod.exports?.cleanup;
    if (cleanup && !mod.dead) {
      try {
        this.call(mod, cleanup);
      } catch (e) {
        // Linux would leave it stuck Unloading; here it stays listed as [dead] and the next rmmod removes it.
        // Dead even when the fault was a provider's: its cleanup did not finish and must not run again.
        mod.state = "LIVE";
        mod.dead = true;
        throw e;
      }
    }
    this.free(mod, true);
  }

  private forceUnload(force: boolean): boolean {
    if (force) this.k.taint.add("FORCED_RMMOD");
    return force;
  }

  /** free_module(): reclaim, unpublish, drop references and forget; `report` warns about each leak. */
  private free(mod: Module, report = false): void {
    for (const block of mod.slab.reclaim()) {
      if (report) this.warn(`${mod.name}: leaked ${block.size} bytes of kmalloc memory at ${hex(block.ptr)}; reclaimed`);
    }
    for (const leak of [...this.k.reclaimResources(mod), ...dropReferences(mod, (h) => this.byHandle(h))]) if (report) this.warn(`${mod.name}: ${leak}`);
    this.k.kallsyms.unpublish(mod);
    modSysfsTeardown(this.k.kernfs, mod);
    for (const target of mod.uses) {
      unrefModule(mod, target);
      removeHolder(this.k.kernfs, target, mod);
    }
    this.delist(mod);
    mod.state = "UNFORMED";
    mod.dead = true;
    if (mod.refcnt > 0) for (const holder of this.byName.values()) holder.held.orphan(mod);
    mod.ref.detach();
  }

  /**
   * The gate: run module code (a use of it), bounded by the watchdog; a trap, a BUG() or a soft lockup
   * becomes an Oops, kills the culprit and throws (EFAULT, or ETIME for a lockup).
   */
  call<T>(mod: Module, fn: () => T): T {
    if (mod.dead) throw new KernelError("ENODEV", `${mod.name}: module is dead`);
    mod.visited = true;
    const watchdog = this.k.watchdog;
    watchdog.enter();
    try {
      return fn();
    } catch (e) {
      throw this.fault(mod, e);
    } finally {
      watchdog.leave();
    }
  }

  /**
   * The gate built into a function pointer: `f` called with up to six i32 arguments, as call() would
   * call it, without a closure per call, for the paths the kernel takes often (file operations, IRQ
   * handlers, system calls).
   */
  guard(mod: Module, f: ModuleFn): ModuleFn {
    const watchdog = this.k.watchdog;
    return (a0, a1, a2, a3, a4, a5) => {
      if (mod.dead) throw new KernelError("ENODEV", `${mod.name}: module is dead`);
      mod.visited = true;
      watchdog.enter();
      try {
        return f(a0, a1, a2, a3, a4, a5) | 0;
      } catch (e) {
        throw this.fault(mod, e);
      } finally {
        watchdog.leave();
      }
    };
  }

  /**
   * kunit_try_catch's gate: fn run as call() runs it, but a fault of `mod`'s own code ends only fn. The Oops
   * (or lockup report) is logged and the fault returned; the module lives on, as a kernel goes on after a
   * test's kthread dies. A fault in another module's code kills that module, as the gate does. Null when fn
   * returned; anything else fn throws is thrown on.
   */
  tryCall(mod: Module, fn: () => void): Error | null {
    if (mod.dead) throw new KernelError("ENODEV", `${mod.name}: module is dead`);
    mod.visited = true;
    const watchdog = this.k.watchdog;
    watchdog.enter();
    try {
      fn();
      return null;
    } catch (e) {
      if (!isModuleFault(e)) throw e;
      const { culprit } = this.oops(mod, e);
      if (culprit !== mod) this.kill(culprit);
      return e;
    } finally {
      watchdog.leave();
    }
  }

  /** A module fault as the gate handles it: the Oops (or lockup report), the culprit dead, an errno for the caller. */
  private fault(mod: Module, e: unknown): unknown {
    if (!isModuleFault(e)) return e;
    const { culprit, name, func } = this.oops(mod, e);
    this.kill(culprit);
    return oopsError(e, name, func);
  }

  private kill(mod: Module): void {
    mod.dead = true;
    mod.slab.reclaim();
  }

  /** die() for a fault met entering `mod`: the report logged, the watchdog's period restarted; who faulted, where. */
  private oops(mod: Module, e: Error): { culprit: Module; name: string; func: string } {
    const k = this.k;
    const ctx = {
      log: (level: number, m: string) => void k.printk(m, level),
      taint: k.taint,
      comm: currentOrNull()?.comm ?? k.comm,
      pid: currentOrNull()?.pid ?? 1,
      modulesLinkedIn: () => this.modulesLinkedIn(),
      dieCounter: k.dieCounter,
    };
    const culprit = die(ctx, e, mod.name);
    k.dieCounter = ctx.dieCounter;
    k.watchdog.touch();
    return { culprit: this.find(culprit.module) ?? mod, name: culprit.module, func: culprit.func };
  }

  /** print_modules(): " name(flags)" for every module. */
  modulesLinkedIn(): string {
    return this.list().map((m) => ` ${m.name}${moduleFlags(m)}`).join("");
  }
}

/**
 * The module's allocator, its one way of saying it is out of memory read as NULL: AssemblyScript's TLSF
 * traps (unreachable) in growMemory, which -O3 inlines into allocateBlock, when the memory cannot grow past
 * its cap, before it has changed any of its state; so kmalloc fails as Linux's does and the module lives
 * on. Any other trap in the allocator is an Oops.
 */
function allocOrNull(alloc: (size: number) => number, size: number): number {
  try {
    return alloc(size) >>> 0;
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError && e.message === "unreachable" && OUT_OF_MEMORY.has(wasmFrames(e)[0]?.func ?? "")) return 0;
    throw e;
  }
}

/** Where TLSF traps when its memory cannot grow. */
const OUT_OF_MEMORY = new Set(["growMemory", "allocateBlock"]);

/** The loader's rewrite of every module: budget checks for the watchdog, and the name the kernel knows it by. */
function withBudgetChecks(sections: readonly Section[], name: string): Uint8Array {
  return instrumentSections(sections, { tick: WATCHDOG_TICK, moduleName: name });
}

function safeRead(mod: Module, ptr: number): string {
  try {
    return mod.memory.readString(ptr);
  } catch {
    return `<bad string ${hex(ptr)}>`;
  }
}

/** ref_module(): the user holds a reference on the module whose symbols it uses. */
function refModule(user: Module, target: Module): void {
  user.uses.add(target);
  target.usedBy.unshift(user);
  target.refcnt++;
  target.visited = true;
}

function unrefModule(user: Module, target: Module): void {
  user.uses.delete(target);
  target.usedBy.splice(target.usedBy.indexOf(user), 1);
  moduleRelease(target);
}

function moduleExports(instance: WebAssembly.Instance): ModuleExports {
  const ex = instance.exports as Record<string, unknown>;
  const fn = <F>(name: string) => ex[name] as F;
  return {
    init: fn<(() => number) | undefined>(MODULE_EXPORTS.init),
    cleanup: fn<(() => void) | undefined>(MODULE_EXPORTS.cleanup),
    start: fn<(() => void) | undefined>(MODULE_EXPORTS.start) ?? (() => undefined),
    heapAlloc: fn(MODULE_EXPORTS.heapAlloc),
    heapFree: fn(MODULE_EXPORTS.heapFree),
    newObject: fn(MODULE_EXPORTS.newObject),
    pin: fn(MODULE_EXPORTS.pin),
    unpin: fn(MODULE_EXPORTS.unpin),
    table: fn<WebAssembly.Table | undefined>(MODULE_EXPORTS.table),
    stackPointer: fn<WebAssembly.Global | undefined>(MODULE_EXPORTS.stackPointer),
    raw: instance.exports,
  };
}

/** The exported global behind each module_param, as __param and parmtype= describe them. */
function bindParams(mod: Module, info: LoadInfo, instance: WebAssembly.Instance): ModuleParam[] {
  return info.params.map(({ name, value: perm }) => {
    const type = info.modinfo.find(([k, v]) => k === "parmtype" && v.startsWith(`${name}:`))?.[1].slice(name.length + 1);
    const global = instance.exports[name];
    if (!type || !isParamType(type) || !(global instanceof WebAssembly.Global)) {
      throw new KernelError("ENOEXEC", `${mod.name}: parameter ${name} has no ${type ? "exported global" : "parmtype"}`);
    }
    return { name, type, perm, global };
  });
}
