// Demand loading (kernel/module/kmod.c): request_module() runs modprobe in user space and waits for it.
//
// The kernel does not know where modules live or what an alias means: it asks user space, as Linux runs
// modprobe_path (/proc/sys/kernel/modprobe) with "-q -- NAME" through a usermode helper. Here the helper
// is the kernel daemon the seeds call kerneld: whoever boots the kernel gives it one (host/cli's user
// space runs the shell's own modprobe). Modules that appear during a request were loaded on demand and
// are marked autoclean, as kerneld's "modprobe -k" marked them, so the idle sweep may take them back.

import { errno } from "../../abi/errno.js";
import { MODULE_NAME_LEN } from "../../abi/module.js";
import { HZ } from "../../abi/poll.js";
import type { Module } from "../module/internal.js";
import type { Kernfs } from "../fs/kernfs.js";
import { KernelError } from "./error.js";
import type { Clock, KernelTimer } from "./time/timer.js";

/** How many requests may be in flight at once (max_modprobes); past it the requests are a runaway loop. */
export const MAX_KMOD_CONCURRENT = 50;
/** The runaway-loop message is printed at most this many times per boot. */
const MAX_LOOP_MESSAGES = 5;
/** kerneld's default delay between autoclean sweeps, in seconds (its `delay=` argument). */
export const DEFAULT_AUTOCLEAN_DELAY = 60;

/** call_usermodehelper(): run a user-space program to completion; its exit status, or -errno if it cannot run. */
export type UsermodeHelper = (argv: readonly string[]) => number;

/** What request_module needs from the kernel. */
export interface KmodContext {
  readonly kernfs: Kernfs;
  /** KERN_ERR messages. */
  err(message: string): void;
  /** The module list, to see which modules a request brought in. */
  modules(): readonly Module[];
  readonly clock: Clock;
  /** Seconds of (simulated) time between autoclean sweeps. */
  readonly autocleanDelay: number;
  /** One autoclean sweep (host/module/autoclean.ts). */
  autoclean(): void;
}

export class Kmod {
  /** /proc/sys/kernel/modprobe: the program request_module runs; empty disables demand loading. */
  modprobePath = "/sbin/modprobe";
  /** The kernel daemon that runs it; until user space provides one, requests fail with ENOENT. */
  usermodehelper: UsermodeHelper | null = null;
  private inFlight = 0;
  private loopMessages = 0;
  /** kerneld's idle timer: deferrable, so it never keeps an idle kernel awake on its own. */
  private readonly sweepTimer: KernelTimer;

  constructor(private readonly ctx: KmodContext) {
    this.sweepTimer = ctx.clock.setup(null, () => this.sweep(), true);
    ctx.kernfs.add("/proc/sys/kernel/modprobe", {
      mode: 0o644,
      show: () => `${this.modprobePath}\n`,
      store: (buf) => this.storeModprobePath(buf),
    });
  }

  /** proc_dostring: the value up to the first newline; longer than a path may be is EINVAL. */
  private storeModprobePath(buf: string): void {
    const path = buf.split("\n")[0]!;
    if (path.length >= 256) throw new KernelError("EINVAL", "/proc/sys/kernel/modprobe: path too long");
    this.modprobePath = path;
  }

  /**
   * __request_module(): run `modprobe -q -- NAME` and wait. Returns modprobe's exit status (0: loaded or
   * already there; positive: modprobe failed) or a negative errno: ENOENT when there is no modprobe to
   * run, ENAMETOOLONG for a name past MODULE_NAME_LEN, ENOMEM for a runaway loop of nested requests.
   * Callers still look for what they wanted afterwards: success does not promise it arrived.
   */
  request(name: string): number {
    if (this.modprobePath === "" || !this.usermodehelper) return -errno("ENOENT");
    if (new TextEncoder().encode(name).length >= MODULE_NAME_LEN) return -errno("ENAMETOOLONG");
    if (this.inFlight >= MAX_KMOD_CONCURRENT) {
      // The kernel is single-threaded: every request in flight is a caller of this one, so none can finish
      // first, and waiting for a slot (as current kernels do) could only time out. Old kernels' answer fits.
      if (this.loopMessages < MAX_LOOP_MESSAGES) {
        this.loopMessages++;
        this.ctx.err(`request_module: runaway loop modprobe ${name}`);
      }
      return -errno("ENOMEM");
    }
    const before = new Set(this.ctx.modules());
    this.inFlight++;
    try {
      return this.usermodehelper([this.modprobePath, "-q", "--", name]);
    } finally {
      this.inFlight--;
      for (const m of this.ctx.modules()) if (!before.has(m)) m.autoclean = true;
      this.armSweep();
    }
  }

  /** While any module is autoclean, the idle timer is pending. */
  private armSweep(): void {
    if (this.sweepTimer.expires !== null || !this.ctx.modules().some((m) => m.autoclean)) return;
    this.ctx.clock.mod(this.sweepTimer, this.ctx.clock.jiffies + this.ctx.autocleanDelay * HZ);
  }

  private sweep(): void {
    this.ctx.autoclean();
    this.armSweep();
  }
}
