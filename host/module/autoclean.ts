// The autoclean sweep: delete_module(NULL) of Linux 2.0-2.4, which kerneld called each time its idle timer
// expired. It removes every module loaded on demand that nothing uses and that was not used since the
// last sweep; a module in use is never touched.
//
// A module used since the last sweep (MOD_VISITED: a reference taken or dropped, its code run) is only
// marked unused and spared until the next one. A module whose last user the sweep removed may go in the
// same sweep even so (MOD_JUST_FREED), so a stack of demand-loaded modules unwinds in one pass.

import { KernelError } from "../kernel/error.js";
import type { Module } from "./internal.js";
import type { ModuleLoader } from "./main.js";

/** Sweep once; returns the names of the modules removed, in the order they went. */
export function autoclean(loader: ModuleLoader): string[] {
  const removed: string[] = [];
  const spared = new Set<Module>();
  const justFreed = new Set<Module>();
  for (let changed = true; changed;) {
    changed = false;
    for (const mod of [...loader.list()]) {
      if (!mod.autoclean || mod.state !== "LIVE" || mod.refcnt > 0 || spared.has(mod)) continue;
      if (mod.visited && !justFreed.has(mod)) {
        mod.visited = false;
        spared.add(mod);
        continue;
      }
      const uses = [...mod.uses];
      try {
        loader.unload(mod.name);
      } catch (e) {
        // A module that cannot go (no cleanup_module, its cleanup trapped) stays, as rmmod would leave it.
        if (e instanceof KernelError) continue;
        throw e;
      }
      removed.push(mod.name);
      for (const u of uses) justFreed.add(u);
      changed = true;
    }
  }
  return removed;
}
