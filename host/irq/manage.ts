// Interrupt lines and their handlers (kernel/irq/manage.c, kernel/irq/handle.c, kernel/irq/spurious.c).
//
// The simulated machine has a PC's two cascaded 8259s: 16 edge-triggered lines. A rising edge on a line
// raises one interrupt; edges while the line is masked, or while the kernel is running (a system call, a
// module's init), are held pending as in the PIC's IRR and delivered when the line is unmasked or the
// kernel returns. Every handler on a shared line runs, as in handle_irq_event(): stopping at the first
// that says IRQ_HANDLED would lose an interrupt another device raised on the same edge. note_interrupt()
// counts the interrupts nobody handled.

import {
  IRQ_HANDLED, IRQ_NONE, IRQ_WAKE_THREAD, IRQF_ONESHOT, IRQF_PERCPU, IRQF_PROBE_SHARED, IRQF_SHARED, IRQF_TRIGGER_MASK,
} from "../../abi/irq.js";
import { discardRefusal, KernelError, refusal } from "../kernel/error.js";
import { moduleFunction, type Gate } from "../module/fnptr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";

export const NR_IRQS = 16;

export interface IrqAction {
  readonly name: string;
  readonly flags: number;
  readonly devId: number;
  /** The module that requested it (null: the kernel): only it may free the action or mask the line. */
  readonly owner: Module | null;
  /** Returns IRQ_NONE, IRQ_HANDLED or IRQ_WAKE_THREAD; throws a KernelError when the module faulted. */
  readonly handler: (irq: number, devId: number) => number;
}

interface IrqDesc {
  readonly actions: IrqAction[];
  /** disable_irq() nesting: masked while above 0. */
  depth: number;
  /** Who made that nesting (null: the kernel), so each enables only its own and an unload undoes what its module left. */
  readonly disabledBy: Map<Module | null, number>;
  /** The level the device drives, to find rising edges. */
  level: boolean;
  /** An edge came while masked or while the kernel ran (IRR). */
  pending: boolean;
  /** Interrupts taken, for /proc/interrupts. */
  count: number;
  /** note_interrupt()'s window: interrupts and unhandled ones since the last check. */
  window: number;
  unhandled: number;
  /** Disabled by the spurious-interrupt detector. */
  spurious: boolean;
}

/** What the controller needs from the kernel. */
export interface IrqContext {
  log(level: number, message: string): void;
}

const SPURIOUS_WINDOW = 100_000;
const SPURIOUS_LIMIT = 99_900;

export class IrqController {
  private readonly descs: IrqDesc[] = Array.from({ length: NR_IRQS }, () => ({
    actions: [], depth: 0, disabledBy: new Map(), level: false, pending: false, count: 0, window: 0, unhandled: 0, spurious: false,
  }));
  /** Kernel code running: interrupts wait for it to return (a uniprocessor kernel with preemption off). */
  private depth = 0;
  /** Lines with an edge waiting, so a kernel exit with none (nearly every system call) costs nothing. */
  private pendingCount = 0;
  /** Softirq work raised and not yet run (net_rx_action...), run when the kernel code running returns. */
  private readonly softirqs = new Set<() => void>();

  constructor(private readonly ctx: IrqContext) {}

  private desc(irq: number): IrqDesc {
    const d = Number.isInteger(irq) ? this.descs[irq] : undefined;
    if (!d) throw new KernelError("EINVAL", `irq ${irq}: no such interrupt line (0-${NR_IRQS - 1})`);
    return d;
  }

  /** request_irq(): EINVAL for a bad line, a missing handler or SHARED without dev_id; EBUSY if it cannot share. */
  request(irq: number, action: IrqAction): void {
    const desc = this.desc(irq);
    if (action.flags & IRQF_SHARED && action.devId === 0) throw new KernelError("EINVAL", `${action.name}: a shared irq needs a dev_id`);
    const old = desc.actions[0];
    if (old && !this.canShare(old, action)) {
      if (!((old.flags | action.flags) & IRQF_PROBE_SHARED)) {
        const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
        this.ctx.log(3, `genirq: Flags mismatch irq ${irq}. ${hex(action.flags)} (${action.name}) vs. ${hex(old.flags)} (${old.name})`);
      }
      throw new KernelError("EBUSY", `${action.name}: irq ${irq} is busy`);
    }
    desc.actions.push(action);
    if (desc.actions.length === 1) {
      desc.spurious = false;
      desc.window = desc.unhandled = 0;
    }
  }

  private canShare(old: IrqAction, action: IrqAction): boolean {
    const same = (mask: number) => (old.flags & mask) === (action.flags & mask);
    return !!(old.flags & action.flags & IRQF_SHARED) && same(IRQF_TRIGGER_MASK) && same(IRQF_ONESHOT) && same(IRQF_PERCPU);
  }

  /**
   * free_irq(): the caller's action with that dev_id goes. There is none (another module's action is
   * not the caller's to free): Linux's WARN, and EINVAL with the line untouched.
   */
  free(irq: number, devId: number, owner: Module | null): void {
    const desc = this.desc(irq);
    const at = desc.actions.findIndex((a) => a.devId === devId && a.owner === owner);
    if (at < 0) this.refuse(`Trying to free already-free IRQ ${irq}`);
    desc.actions.splice(at, 1);
    if (!desc.actions.some((a) => a.owner === owner)) this.undoDisables(desc, owner);
  }

  /** Every action a module requested, removed, and the line unmasked of its disables (its rmmod, or its death). */
  freeOwner(owner: Module): number[] {
    const lines: number[] = [];
    this.descs.forEach((d, irq) => {
      this.undoDisables(d, owner);
      const kept = d.actions.filter((a) => a.owner !== owner);
      if (kept.length === d.actions.length) return;
      d.actions.splice(0, d.actions.length, ...kept);
      lines.push(irq);
    });
    return lines;
  }

  /** disable_irq(): a module may mask only a line it has a handler on; another is refused with EINVAL. */
  disable(irq: number, owner: Module | null = null): void {
    const desc = this.desc(irq);
    if (owner && !desc.actions.some((a) => a.owner === owner)) this.refuse(`${owner.name}: disable_irq of IRQ ${irq}, which it did not request`);
    desc.depth++;
    desc.disabledBy.set(owner, (desc.disabledBy.get(owner) ?? 0) + 1);
  }

  /** enable_irq(): undoes one of the caller's own disables; any other is Linux's unbalanced-enable WARN and EINVAL. */
  enable(irq: number, owner: Module | null = null): void {
    const desc = this.desc(irq);
    const mine = desc.disabledBy.get(owner) ?? 0;
    if (mine === 0) this.refuse(`Unbalanced enable for IRQ ${irq}`);
    if (mine === 1) desc.disabledBy.delete(owner);
    else desc.disabledBy.set(owner, mine - 1);
    if (--desc.depth === 0) this.deliverPending();
  }

  private undoDisables(desc: IrqDesc, owner: Module | null): void {
    const mine = desc.disabledBy.get(owner) ?? 0;
    if (mine === 0) return;
    desc.disabledBy.delete(owner);
    desc.depth -= mine;
    if (desc.depth === 0) this.deliverPending();
  }

  /** A refused change to a line: the warning, then EINVAL. */
  private refuse(message: string): never {
    this.ctx.log(4, message);
    throw new KernelError("EINVAL", message);
  }

  /** The device side: a line's level changed; a rising edge is an interrupt. */
  setLevel(irq: number, asserted: boolean): void {
    const desc = this.desc(irq);
    const rising = asserted && !desc.level;
    desc.level = asserted;
    if (!rising) return;
    if (!desc.pending) this.pendingCount++;
    desc.pending = true;
    this.deliverPending();
  }

  /** Run fn as kernel code: interrupts raised meanwhile are delivered when it returns. */
  enter<T>(fn: () => T): T {
    this.begin();
    try {
      return fn();
    } finally {
      this.end();
    }
  }

  /**
   * Run fn as user code from inside a system call (a program execve started): interrupts are taken as they
   * come, as in user mode, and the call's kernel entry resumes afterwards.
   */
  leave(fn: () => void): void {
    this.end();
    try {
      fn();
    } finally {
      this.begin();
    }
  }

  /** Kernel entry, for the system call path, which brackets its handler itself rather than in a closure. */
  begin(): void {
    this.depth++;
  }

  /** Kernel exit: interrupts that came meanwhile are taken now. */
  end(): void {
    this.depth--;
    this.deliverPending();
  }

  /**
   * raise_softirq(): fn runs as kernel code once the code running now returns (irq_exit, a system call's
   * exit), at once if none is; raising it again before then runs it once.
   */
  raiseSoftirq(fn: () => void): void {
    this.softirqs.add(fn);
    this.deliverPending();
  }

  private deliverPending(): void {
    if (this.depth > 0 || (this.pendingCount === 0 && this.softirqs.size === 0)) return;
    for (let again = true; again; ) {
      again = this.runSoftirqs();
      this.descs.forEach((desc, irq) => {
        if (!desc.pending || desc.depth > 0 || desc.spurious) return;
        desc.pending = false;
        this.pendingCount--;
        // Kernel code for the handler's length, but its exit does not deliver: an edge the handler raised
        // (the next sector of a disk transfer) is taken by this loop, not by a call nested inside it.
        this.depth++;
        try {
          this.handle(irq, desc);
        } finally {
          this.depth--;
        }
        again = true;
      });
    }
  }

  /** __do_softirq(): each raised function once, as kernel code; true if any ran. */
  private runSoftirqs(): boolean {
    if (this.softirqs.size === 0) return false;
    const due = [...this.softirqs];
    this.softirqs.clear();
    this.depth++;
    try {
      for (const fn of due) fn();
    } finally {
      this.depth--;
    }
    return true;
  }

  /** handle_irq_event() and note_interrupt(). */
  private handle(irq: number, desc: IrqDesc): void {
    desc.count++;
    let handled = false;
    for (const action of [...desc.actions]) {
      let ret: number;
      try {
        ret = action.handler(irq, action.devId);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        desc.actions.splice(desc.actions.indexOf(action), 1);
        continue;
      }
      if (ret !== IRQ_NONE && ret !== IRQ_HANDLED && ret !== IRQ_WAKE_THREAD) {
        this.ctx.log(3, `irq event ${irq}: bogus return value ${(ret >>> 0).toString(16)}`);
      }
      if (ret & IRQ_HANDLED) handled = true;
    }
    this.noteInterrupt(irq, desc, handled);
  }

  private noteInterrupt(irq: number, desc: IrqDesc, handled: boolean): void {
    if (!handled) desc.unhandled++;
    if (++desc.window < SPURIOUS_WINDOW) return;
    if (desc.unhandled > SPURIOUS_LIMIT) {
      this.ctx.log(3, `irq ${irq}: nobody cared (try booting with the "irqpoll" option)`);
      this.ctx.log(3, "handlers:");
      for (const a of desc.actions) this.ctx.log(3, `[<0000000000000000>] ${a.name}`);
      this.ctx.log(0, `Disabling IRQ #${irq}`);
      desc.spurious = true;
    }
    desc.window = desc.unhandled = 0;
  }

  /** /proc/interrupts: lines with handlers, their counts on CPU0, the chip, the trigger and the handlers. */
  show(): string {
    const prec = Math.max(3, String(NR_IRQS - 1).length);
    const rows = this.descs.flatMap((d, irq) => {
      if (d.actions.length === 0) return [];
      const names = d.actions.map((a) => a.name).join(", ");
      return [`${String(irq).padStart(prec)}: ${String(d.count).padStart(10)}  ${"XT-PIC".padStart(8)} ${String(irq).padStart(prec)}-edge      ${names}\n`];
    });
    return `${" ".repeat(prec + 8)}CPU0       \n${rows.join("")}`;
  }

  /** Whether a line is disabled by the spurious detector or by disable_irq. */
  isDisabled(irq: number): boolean {
    const d = this.desc(irq);
    return d.spurious || d.depth > 0;
  }
}

/** request_irq and friends as module `mod` imports them. */
export function irqSymbols(
  irqs: IrqController,
  mod: Module,
  gate: Gate,
): Pick<KernelFunctions, "request_irq" | "free_irq" | "disable_irq" | "enable_irq"> {
  return {
    request_irq(irq, handler, flags, name, devId) {
      try {
        const fn = moduleFunction<(irq: number, devId: number) => number>(mod, handler >>> 0, `irq ${irq} handler`);
        irqs.request(irq >>> 0, {
          name: mod.memory.readName(name, "interrupt name"),
          flags: flags >>> 0,
          devId: devId >>> 0,
          owner: mod,
          handler: (line, dev) => gate(mod, () => fn(line, dev)) | 0,
        });
        return 0;
      } catch (e) {
        return refusal(e);
      }
    },
    free_irq: (irq, devId) => discardRefusal(() => irqs.free(irq >>> 0, devId >>> 0, mod)),
    disable_irq: (irq) => discardRefusal(() => irqs.disable(irq >>> 0, mod)),
    enable_irq: (irq) => discardRefusal(() => irqs.enable(irq >>> 0, mod)),
  };
}
