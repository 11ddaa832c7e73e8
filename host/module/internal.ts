// struct module and the states it passes through: the surface the files of host/module/ share.

import type { ModinfoEntry } from "../../abi/module.js";
import type { TaintName } from "../kernel/panic.js";
import type { ModuleMemory } from "../mm/maccess.js";
import type { KmallocCache } from "../mm/slab.js";
import type { HeldReferences, ModuleRef } from "../kernel/core_module.js";
import type { ModuleParam } from "./params.js";

/**
 * The elements a module's tables may hold, together: V8 spends about 28 bytes of host memory an element, so
 * this keeps one module's tables near 2 MB (a table may not grow past it either).
 */
export const MODULE_TABLE_ELEMENTS_MAX = 1 << 16;
/**
 * The modules a kernel holds at once by default (loading ones included); each is a wasm instance with its own
 * memory, which reserves about 10 GiB of address space: a process holds about 9,600 (bench/README.md).
 */
export const MAX_MODULES = 1024;

/** MODULE_STATE_*: UNFORMED modules are invisible; COMING runs init; GOING runs cleanup. */
export type ModuleState = "UNFORMED" | "COMING" | "LIVE" | "GOING";

/** THIS_MODULE as a module sees it: a small integer the kernel maps back to the module. */
export type ModuleHandle = number & { readonly __brand: "ModuleHandle" };

/** The wasm exports the kernel calls. */
export interface ModuleExports {
  readonly init?: () => number;
  readonly cleanup?: () => void;
  readonly start: () => void;
  readonly heapAlloc: (size: number) => number;
  readonly heapFree: (ptr: number) => void;
  readonly newObject: (size: number, id: number) => number;
  readonly pin: (ptr: number) => number;
  readonly unpin: (ptr: number) => void;
  /** The function table: what a function pointer (fn.index) indexes. */
  readonly table: WebAssembly.Table | undefined;
  /** The shadow stack's pointer (modules built before modpost exported it have none). */
  readonly stackPointer: WebAssembly.Global | undefined;
  /** Every export as the instance has it, for the testing toolkit to call a module's own functions (testing/module.ts). */
  readonly raw: WebAssembly.Exports;
}

export interface Module {
  readonly handle: ModuleHandle;
  readonly name: string;
  /** Bytes as /proc/modules shows them: the binary, page-rounded. */
  readonly size: number;
  readonly modinfo: readonly ModinfoEntry[];
  state: ModuleState;
  /** module_refcount(): try_module_get references plus one per module using its symbols. */
  refcnt: number;
  /** Trapped: its code is not called again, and rmmod skips its cleanup. */
  dead: boolean;
  /** Loaded on demand (MOD_AUTOCLEAN): the idle sweep removes it once it is unused. */
  autoclean: boolean;
  /** Used since the last idle sweep (MOD_VISITED): a reference taken or dropped, its code called. */
  visited: boolean;
  readonly taints: Set<TaintName>;
  /** Modules whose symbols this one uses (Linux's target_list). */
  readonly uses: Set<Module>;
  /** Modules that use this one's symbols, newest first (source_list; lsmod's "Used by"). */
  readonly usedBy: Module[];
  /** References this module took with try_module_get, per target: module_put may drop only these. */
  readonly held: HeldReferences<Module>;
  /** Its record in the kernel core (host/kernel/core_module.ts): where refcnt, visited and the held references live. */
  readonly ref: ModuleRef;
  /** Symbols this module exports: name → the wasm export. */
  readonly syms: Map<string, WebAssembly.ExportValue>;
  readonly params: ModuleParam[];
  readonly memory: ModuleMemory;
  readonly slab: KmallocCache;
  exports?: ModuleExports;
  /** Pinned strings the kernel made for charp parameters, unpinned when replaced. */
  readonly pinned: Set<number>;
}

/**
 * struct module's fields the kernel core keeps in step (host/kernel/core_module.ts): refcnt lives in the core's
 * record; state and dead say whether try_module_get may take a reference; visited is the host's use (a gate
 * call) or the core's (a reference taken or dropped). Accessors of a class, shared by every module, so that
 * the gate's reads of them stay monomorphic (getters made per module object made each call 10x slower).
 */
export class ModuleCoreFields {
  private moduleState: ModuleState = "UNFORMED";
  private isDead = false;
  private usedHere = true;

  constructor(readonly ref: ModuleRef) {}

  get state(): ModuleState {
    return this.moduleState;
  }

  set state(s: ModuleState) {
    this.moduleState = s;
    this.sync();
  }

  get dead(): boolean {
    return this.isDead;
  }

  set dead(d: boolean) {
    this.isDead = d;
    this.sync();
  }

  get refcnt(): number {
    return this.ref.refcnt;
  }

  set refcnt(n: number) {
    this.ref.refcnt = n;
  }

  get visited(): boolean {
    return this.usedHere || this.ref.visited;
  }

  set visited(v: boolean) {
    this.usedHere = v;
    if (!v) this.ref.visited = false;
  }

  private sync(): void {
    const s = this.moduleState;
    this.ref.setState(!this.isDead && (s === "COMING" || s === "LIVE"), s === "GOING");
  }
}

/** The first value of a .modinfo key, or undefined. */
export function modinfoGet(modinfo: readonly ModinfoEntry[], key: string): string | undefined {
  return modinfo.find(([k]) => k === key)?.[1];
}
