// The simulated clock, jiffies and kernel timers (kernel/time/timer.c, kernel/time/jiffies.c).

import type { Idr } from "../../lib/idr.js";
import { moduleFunction, type Gate } from "../../module/fnptr.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { ERRNO } from "../../../abi/errno.js";
import { KernelError } from "../error.js";
//
// Time moves only when something advances the clock (a test, `hw tick`, or a task idling until it is
// woken), so every run is deterministic. Devices on the I/O bus tick with it and timers fire in expiry order.

import { HZ } from "../../../abi/poll.js";
/** jiffies starts 300 s before it wraps (32 bits here), as Linux starts it, so wrap bugs show early. */
export const INITIAL_JIFFIES = (2 ** 32 - 300 * HZ) >>> 0;
const NS_PER_JIFFY = 1e9 / HZ;
const EINVAL = -ERRNO.EINVAL[0];

export interface KernelTimer {
  /** The module that set it up (null: the kernel's own): only it may arm or disarm it. */
  readonly owner: Module | null;
  /** The expiry in jiffies while pending, or null. */
  expires: number | null;
  readonly fn: () => void;
  /** TIMER_DEFERRABLE: housekeeping that runs when time passes anyway, but is no reason for an idle CPU to wake. */
  readonly deferrable: boolean;
}

/** time_after(a, b) on 32-bit jiffies: true when a is later than b, across a wrap. */
export function timeAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

export class Clock {
  /** Simulated nanoseconds since boot. */
  private ns = 0;
  private readonly timers = new Set<KernelTimer>();

  constructor(
    /** Called as time passes, before timers due by then fire: devices work over time. */
    private readonly onAdvance: (ns: number) => void,
    /** Runs a timer's function as kernel code (run_timer_softirq): interrupts wait for it. */
    private readonly asKernel: (fn: () => void) => void = (fn) => fn(),
  ) {}

  get nowNs(): number {
    return this.ns;
  }

  get jiffies(): number {
    return (INITIAL_JIFFIES + Math.floor(this.ns / NS_PER_JIFFY)) >>> 0;
  }

  /** timer_setup(): a timer that calls fn when it expires; not pending until mod_timer. */
  setup(owner: Module | null, fn: () => void, deferrable = false): KernelTimer {
    const timer: KernelTimer = { owner, expires: null, fn, deferrable };
    this.timers.add(timer);
    return timer;
  }

  /** A one-shot timer for the kernel's own use, gone once it has fired. */
  once(owner: Module | null, expires: number, fn: () => void): KernelTimer {
    const timer: KernelTimer = this.setup(owner, () => {
      this.timers.delete(timer);
      fn();
    });
    this.mod(timer, expires);
    return timer;
  }

  /** Forget a one-shot timer from once() before it fires (its work was done another way). */
  cancel(timer: KernelTimer): void {
    timer.expires = null;
    this.timers.delete(timer);
  }

  /** mod_timer(): (re)arm for `expires` jiffies; true if it was pending. */
  mod(timer: KernelTimer, expires: number): boolean {
    const was = timer.expires !== null;
    timer.expires = expires >>> 0;
    return was;
  }

  /** del_timer(): disarm; true if it was pending. */
  del(timer: KernelTimer): boolean {
    const was = timer.expires !== null;
    timer.expires = null;
    return was;
  }

  /** Forget a module's timers (its rmmod): the ones it had, pending or not. */
  remove(owner: Module): KernelTimer[] {
    const mine = [...this.timers].filter((t) => t.owner === owner);
    for (const t of mine) this.timers.delete(t);
    return mine;
  }

  /** The nanoseconds from now until the next pending timer that would wake an idle CPU, or null with none. */
  nextTimerNs(): number | null {
    let best: number | null = null;
    for (const t of this.timers) {
      if (t.expires === null || t.deferrable) continue;
      const delta = ((t.expires - this.jiffies) | 0) * NS_PER_JIFFY;
      const wait = Math.max(0, delta - (this.ns % NS_PER_JIFFY));
      best = best === null ? wait : Math.min(best, wait);
    }
    return best;
  }

  /** Move time forward by ns, a jiffy at a time: devices tick, then the timers due fire (run_timer_softirq). */
  advance(ns: number): void {
    let left = ns;
    while (left > 0) {
      const step = Math.min(left, NS_PER_JIFFY - (this.ns % NS_PER_JIFFY));
      this.ns += step;
      left -= step;
      this.onAdvance(step);
      this.runTimers();
    }
  }

  private runTimers(): void {
    const now = this.jiffies;
    const due = [...this.timers].filter((t) => t.expires !== null && !timeAfter(t.expires, now));
    due.sort((a, b) => ((a.expires! - b.expires!) | 0));
    for (const t of due) {
      if (t.expires === null || timeAfter(t.expires, this.jiffies)) continue;
      t.expires = null;
      this.asKernel(t.fn);
    }
  }
}

/** jiffies and kernel timers as module `mod` imports them; a timer callback runs through the Oops gate. */
export function timerSymbols(
  clock: Clock,
  timers: Idr<KernelTimer>,
  mod: Module,
  gate: Gate,
): Pick<KernelFunctions, "get_jiffies" | "timer_setup" | "mod_timer" | "del_timer"> {
  /** A handle the caller may use: one of its own timers; another's is as unknown to it as a bad handle. */
  const own = (handle: number): KernelTimer | undefined => {
    const timer = timers.find(handle);
    return timer?.owner === mod ? timer : undefined;
  };
  return {
    get_jiffies: () => clock.jiffies,
    timer_setup(callback, data) {
      try {
        const fn = moduleFunction<(data: number) => void>(mod, callback >>> 0, "timer callback");
        const timer = clock.setup(mod, () => {
          try {
            gate(mod, () => fn(data));
          } catch (e) {
            if (!(e instanceof KernelError)) throw e;
          }
        });
        return timers.handle(timer);
      } catch (e) {
        if (e instanceof KernelError) return 0;
        throw e;
      }
    },
    mod_timer(handle, expires) {
      const timer = own(handle);
      return timer ? (clock.mod(timer, expires) ? 1 : 0) : EINVAL;
    },
    del_timer(handle) {
      const timer = own(handle);
      return timer ? (clock.del(timer) ? 1 : 0) : EINVAL;
    },
  };
}

/** The timers a module set up, forgotten with their handles (its rmmod): a line if any was still pending. */
export function reclaimTimers(clock: Clock, timers: Idr<KernelTimer>, owner: Module): string[] {
  const mine = clock.remove(owner);
  for (const t of mine) timers.remove(t);
  const pending = mine.filter((t) => t.expires !== null).length;
  return pending > 0 ? [`${pending} timer(s) still pending at unload; deleted`] : [];
}
