// Halting the system (kernel/reboot.c's kernel_halt, with the work halt(8) and init do before it).
//
// Linux leaves unmounting to user space and never unloads modules on the way down. This kernel is its own
// init, so before it stops it takes the system apart in order, letting every filesystem's kill_sb and every
// module's cleanup_module run: first what was mounted after boot, newest first (a mount on top goes before
// the one under it), keeping the boot mounts (/, /dev, /proc, /sys); then every module, each before the
// modules it uses (again and again, the modules nothing uses). What cannot go (a busy mount, a permanent
// or referenced module) is reported and left as it is, never forced. Each step is logged through printk,
// and last "reboot: System halted", as kernel_halt() says it.

import { LOGLEVELS } from "../../abi/kern_levels.js";
import type { Mount } from "../fs/namespace.js";
import type { Vfs } from "../fs/vfs.js";
import type { ModuleLoader } from "../module/main.js";
import { KernelError } from "./error.js";
import type { NetDevices } from "../net/core/dev.js";

/** What halting needs from the kernel. */
export interface HaltContext {
  readonly vfs: Vfs;
  /** The mounts made at boot, which stay. */
  readonly bootMounts: ReadonlySet<Mount>;
  readonly modules: ModuleLoader;
  /** The network devices, which go down before their drivers are unloaded (as `ifdown -a` takes them). */
  readonly net: { readonly core: NetDevices };
  /** delete_module() as rmmod runs it. */
  rmmod(name: string): void;
  printk(message: string, level?: number): number;
}

/** Unmount every mount made after boot, newest first; a busy one is reported and stays. */
function unmountAll(k: HaltContext): void {
  const ns = k.vfs.ns;
  for (const mnt of [...ns.list()].reverse()) {
    if (k.bootMounts.has(mnt)) continue;
    const path = ns.pathOf(mnt);
    k.printk(`reboot: Unmounting ${path} (${mnt.sb.type.name})\n`, LOGLEVELS.KERN_INFO);
    try {
      ns.umount({ mnt, dentry: mnt.root }, 0);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      k.printk(`reboot: could not unmount ${path}: ${e.strerror}\n`, LOGLEVELS.KERN_ERR);
    }
  }
}

/** Try to unload one module; false (reported) when it stays. */
function unload(k: HaltContext, name: string): boolean {
  try {
    k.rmmod(name);
    return true;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    k.printk(`reboot: could not unload ${e.message}\n`, LOGLEVELS.KERN_ERR);
    return false;
  }
}

/**
 * Unload every module a user of it first: each round removes the modules nothing uses, newest first,
 * until a round removes none. A module that would not go is reported; so is each one still used by it.
 */
function unloadAll(k: HaltContext): void {
  const stuck = new Set<string>();
  for (;;) {
    const free = k.modules.list().filter((m) => m.usedBy.length === 0 && !stuck.has(m.name));
    if (free.length === 0) break;
    for (const mod of free) {
      k.printk(`reboot: Unloading module ${mod.name}\n`, LOGLEVELS.KERN_INFO);
      if (!unload(k, mod.name)) stuck.add(mod.name);
    }
  }
  for (const mod of k.modules.list()) if (!stuck.has(mod.name)) unload(k, mod.name);
}

/**
 * kernel_halt(): unmount what was mounted after boot, bring the drivers' network devices down, unload
 * every module, log "reboot: System halted".
 * Nothing is forced: what cannot be taken down is logged (KERN_ERR) and left.
 */
export function kernelHalt(k: HaltContext): void {
  unmountAll(k);
  for (const dev of k.net.core.list()) if (dev.up && dev.owner) k.net.core.close(dev);
  unloadAll(k);
  k.printk("reboot: System halted\n", LOGLEVELS.KERN_EMERG);
}
