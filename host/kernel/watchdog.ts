// The soft-lockup detector (kernel/watchdog.c), made to stop what it detects.
//
// Linux notices a CPU that has run kernel code for 2 × watchdog_thresh seconds without scheduling, and
// reports it. Here every module and every wasm program is rewritten at load (host/module/instrument.ts)
// so that its loops and the entries of its functions that call charge a budget with the code they may run
// before the next check, and call tick() when it runs out: every few milliseconds of running code at most.
// tick() compares the time since the kernel entered the code (the
// outermost gate, host/module/main.ts) with the threshold; past it, it throws SoftLockup out of the
// running wasm code, and whoever entered it reports the soft lockup and treats it as a fault: the module
// is Oopsed dead as for a trap, a program is killed. No thread, no signal: the code stops itself.

import { tickTable } from "../module/instrument.js";
import { KernelError } from "./error.js";

/** Linux's default watchdog_thresh, in seconds; a soft lockup is reported at twice it. */
export const WATCHDOG_THRESH_DEFAULT = 10;
/** proc_watchdog_thresh's range. */
const WATCHDOG_THRESH_MAX = 60;
/** What the budget checks may charge between two calls of tick(), in bytes of code (host/module/instrument.ts):
 *  16 MiB of code run, milliseconds (a byte of code is well under a nanosecond), and cheap checks between. */
export const WATCHDOG_BUDGET = 1 << 24;

/** Thrown out of running wasm code by tick(): it ran past 2 × watchdog_thresh. */
export class SoftLockup extends Error {
  constructor(readonly seconds: number) {
    super(`soft lockup: stuck for ${seconds}s`);
    this.name = "SoftLockup";
  }
}

/** watchdog_timer_fn()'s report, with pr_fmt's "watchdog: " and the task's comm as TASK_COMM_LEN cuts it. */
export function softLockupLine(seconds: number, comm: string, pid: number): string {
  return `watchdog: BUG: soft lockup - CPU#0 stuck for ${seconds}s! [${comm.slice(0, 15)}:${pid}]`;
}

export class Watchdog {
  /** /proc/sys/kernel/watchdog_thresh: seconds; 0 turns the detector off. */
  thresh = WATCHDOG_THRESH_DEFAULT;
  /** How deep the kernel is in module code (gates within gates). */
  private depth = 0;
  /** When the outermost entry began (performance.now() ms), taken at its first tick; NaN until then. */
  private since = NaN;

  constructor(
    private readonly now: () => number = () => performance.now(),
    /**
     * CONFIG_SOFTLOCKUP_DETECTOR: whether the loader puts budget checks into modules. Off, module code that
     * never ends holds the kernel forever; only the benchmark that measures what the checks cost turns it off.
     */
    readonly detector = true,
  ) {}

  /**
   * The kernel enters module code. The clock starts at the first tick of the outermost entry rather than
   * here, so an entry costs a counter, not a clock read: the first budget always runs out at once
   * (the budget global starts at 0), so the delay is one budget's worth of checks.
   */
  enter(): void {
    if (this.depth++ === 0) this.since = NaN;
  }

  leave(): void {
    this.depth--;
  }

  /** touch_softlockup_watchdog(): the code running now starts a fresh period (after a lockup was handled). */
  touch(): void {
    this.since = NaN;
  }

  /** What every budget check calls when its budget has run out: the next budget, or SoftLockup past the threshold. */
  readonly tick = (): number => {
    if (this.thresh === 0) return WATCHDOG_BUDGET;
    const now = this.now();
    if (Number.isNaN(this.since)) {
      this.since = now;
      return WATCHDOG_BUDGET;
    }
    const ms = now - this.since;
    if (ms > this.thresh * 2000) throw new SoftLockup(Math.floor(ms / 1000));
    return WATCHDOG_BUDGET;
  };

  /** The table through which the budget checks call tick: what modules and programs are given as its import. */
  get table(): WebAssembly.Table {
    return (this.tickTable ??= tickTable(this.tick));
  }

  private tickTable: WebAssembly.Table | undefined;

  /** The sysctl's value, as /proc shows it. */
  show(): string {
    return `${this.thresh}\n`;
  }

  /** A write of /proc/sys/kernel/watchdog_thresh: an integer from 0 to 60, as proc_dointvec_minmax takes it. */
  store(buf: string): void {
    const text = buf.trim();
    const value = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= 0 && value <= WATCHDOG_THRESH_MAX)) {
      throw new KernelError("EINVAL", `/proc/sys/kernel/watchdog_thresh: invalid value '${text}'`);
    }
    this.thresh = value;
  }
}
