// The system call table (arch/x86/entry/syscall_64.c): a dense array indexed by the x86_64 numbers.
//
// Each slot holds a stack of handlers: the built-in one (if any) at the bottom, then the handlers modules
// added or laid over it, newest on top. A call runs the top handler; a module's handler calls on with
// syscall_call_next, which runs the handler directly below its own. Because "below" is looked up at call
// time, modules can unload in any order: an unloading module's handlers leave the stack, and whoever was
// above it now calls on to whatever is below (the HOWTO's warning about restoring sys_call_table out of
// order does not apply).

import { ERRNO } from "../../abi/errno.js";
import { NR_SYSCALLS, SYSCALLS, syscallName, type SyscallName } from "../../abi/syscalls.js";
import type { Gate } from "../module/fnptr.js";
import { moduleFunction } from "../module/fnptr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import { KernelError, refusal } from "./error.js";
import { current, switchTo, type Task } from "./sched.js";
import { ERESTARTSYS } from "../../abi/errno.js";

/** Six argument registers, as 32-bit values (wasm32 is ILP32: long and pointers are 32 bits). */
export type SyscallArgs = readonly [number, number, number, number, number, number];
export type SyscallFn = (task: Task, args: SyscallArgs) => number;

/** Kernel entry and exit around a system call (the interrupt controller's begin and end). */
export interface KernelEntry {
  begin(): void;
  end(): void;
}

interface Handler {
  /** The module that installed it; null for the base kernel's own. */
  readonly owner: Module | null;
  readonly fn: SyscallFn;
}

const ENOSYS = ERRNO.ENOSYS[0];

/**
 * The nearest handler below index `at` whose module is alive. A module that died (an Oops, a soft lockup)
 * keeps its handlers in the slot until it is removed, but they are passed over, so that a dead override
 * does not take the system call (every open(2), say) down with it.
 */
function liveBelow(slot: readonly Handler[], at: number): Handler | undefined {
  for (let i = at - 1; i >= 0; i--) if (!slot[i]!.owner?.dead) return slot[i];
  return undefined;
}

export class SyscallTable {
  private readonly slots: Handler[][] = Array.from({ length: NR_SYSCALLS }, () => []);

  constructor(
    builtins: Partial<Record<SyscallName, SyscallFn>>,
    /** Kernel entry and exit: interrupts raised during the call are delivered when it returns. */
    private readonly entry: KernelEntry = { begin: () => {}, end: () => {} },
  ) {
    for (const [name, fn] of Object.entries(builtins)) this.slots[SYSCALLS[name as SyscallName]]!.push({ owner: null, fn: fn! });
  }

  /** The syscall entry: run the top handler as `task`; a refusal becomes -errno, a hole -ENOSYS. */
  call(task: Task, nr: number, args: SyscallArgs): number {
    const slot = this.slots[nr];
    const top = slot ? liveBelow(slot, slot.length) : undefined;
    return top ? this.invoke(task, top, args) : -ENOSYS;
  }

  /** syscall_call_next: the handler below `owner`'s topmost one in slot nr; -ENOSYS when there is none. */
  callNext(task: Task, owner: Module, nr: number, args: SyscallArgs): number {
    const slot = this.slots[nr] ?? [];
    const at = slot.findLastIndex((h) => h.owner === owner);
    const below = at > 0 ? liveBelow(slot, at) : undefined;
    return below ? this.invoke(task, below, args) : -ENOSYS;
  }

  /**
   * A call that returns anything but -ERESTARTSYS is done waiting, whatever queues it joined. The entry,
   * current and the handler are bracketed here without closures: this is every system call's path.
   */
  private invoke(task: Task, handler: Handler, args: SyscallArgs): number {
    const saved = switchTo(task);
    this.entry.begin();
    let ret: number;
    try {
      ret = handler.fn(task, args);
    } catch (e) {
      ret = refusal(e);
    } finally {
      this.entry.end();
      switchTo(saved);
    }
    if (ret !== -ERESTARTSYS) task.finishWait();
    return ret;
  }

  /** A new system call in an empty slot: EINVAL outside the table, EBUSY where a handler is already installed. */
  add(owner: Module, nr: number, fn: SyscallFn): void {
    const slot = this.slot(nr);
    if (slot.length > 0) throw new KernelError("EBUSY", `${owner.name}: system call ${nr} (${syscallName(nr) ?? "unnamed"}) is taken`);
    slot.push({ owner, fn });
  }

  /** Lay a handler over whatever slot nr holds (it may be empty: calling on then gives -ENOSYS). */
  override(owner: Module, nr: number, fn: SyscallFn): void {
    this.slot(nr).push({ owner, fn });
  }

  /** Take away the handlers a module installed (in slot nr, or everywhere); the slots it was in. */
  removeOwner(owner: Module, nr?: number): number[] {
    const slots: number[] = [];
    this.slots.forEach((slot, i) => {
      if (nr !== undefined && i !== nr) return;
      const kept = slot.filter((h) => h.owner !== owner);
      if (kept.length === slot.length) return;
      slot.splice(0, slot.length, ...kept);
      slots.push(i);
    });
    return slots;
  }

  /** Who handles slot nr, bottom first ("kernel" for the built-in handler). */
  owners(nr: number): string[] {
    return (this.slots[nr] ?? []).map((h) => h.owner?.name ?? "kernel");
  }

  private slot(nr: number): Handler[] {
    const slot = Number.isInteger(nr) ? this.slots[nr] : undefined;
    if (!slot) throw new KernelError("EINVAL", `system call ${nr} is outside the table (0..${NR_SYSCALLS - 1})`);
    return slot;
  }
}

/** A module's system call handler, (a0..a5: i32) => i32, called through the gate. */
type ModuleHandler = (a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

/** The syscall_* symbols as module `mod` imports them. */
export function syscallSymbols(
  table: SyscallTable,
  mod: Module,
  gate: Gate,
): Pick<KernelFunctions, "syscall_register" | "syscall_override" | "syscall_call_next" | "syscall_unregister"> {
  const install = (how: "add" | "override", nr: number, index: number): number => {
    try {
      const fn = moduleFunction<ModuleHandler>(mod, index >>> 0, `system call ${nr} handler`);
      table[how](mod, nr, (_task, a) => gate(mod, () => fn(a[0], a[1], a[2], a[3], a[4], a[5])) | 0);
      return 0;
    } catch (e) {
      return refusal(e);
    }
  };
  return {
    syscall_register: (nr, handler) => install("add", nr, handler),
    syscall_override: (nr, handler) => install("override", nr, handler),
    syscall_call_next: (nr, ...a) => table.callNext(current(), mod, nr, a),
    syscall_unregister: (nr) => (table.removeOwner(mod, nr).length > 0 ? 0 : -ERRNO.ENOENT[0]),
  };
}
