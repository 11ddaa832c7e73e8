// /sys/module/NAME (kernel/module/sysfs.c, kernel/params.c): state, refcount, taint and parameters.

import type { Kernfs } from "../fs/kernfs.js";
import { moduleTaintLetters } from "../kernel/panic.js";
import { modinfoGet, type Module } from "./internal.js";
import { moduleRefcount } from "./ksyms.js";
import { setParam, showParam, type StringMaker } from "./params.js";

const INITSTATE = { COMING: "coming", LIVE: "live", GOING: "going", UNFORMED: "unformed" } as const;

export function moduleSysfsDir(mod: Module): string {
  return `/sys/module/${mod.name}`;
}

/** mod_sysfs_setup(): the module's directory, with a file per parameter whose permission is not 0. */
export function modSysfsSetup(kernfs: Kernfs, mod: Module, strings: StringMaker): void {
  const dir = moduleSysfsDir(mod);
  kernfs.addDir(`${dir}/holders`);
  kernfs.add(`${dir}/initstate`, { mode: 0o444, show: () => `${INITSTATE[mod.state]}\n` });
  kernfs.add(`${dir}/refcnt`, { mode: 0o444, show: () => `${moduleRefcount(mod)}\n` });
  kernfs.add(`${dir}/taint`, { mode: 0o444, show: () => `${moduleTaintLetters(mod.taints)}\n` });
  for (const key of ["srcversion", "version"] as const) {
    const value = modinfoGet(mod.modinfo, key);
    if (value !== undefined) kernfs.add(`${dir}/${key}`, { mode: 0o444, show: () => `${value}\n` });
  }
  for (const p of mod.params) {
    if (p.perm === 0) continue;
    kernfs.add(`${dir}/parameters/${p.name}`, {
      mode: p.perm,
      show: () => showParam(p, mod.memory),
      store: (buf) => setParam(mod.name, p, buf, strings),
    });
  }
}

/** add_usage_links(): /sys/module/TARGET/holders/USER, a link to the user's directory. */
export function addHolder(kernfs: Kernfs, target: Module, user: Module): void {
  kernfs.addLink(`${moduleSysfsDir(target)}/holders/${user.name}`, `../../${user.name}`);
}

export function removeHolder(kernfs: Kernfs, target: Module, user: Module): void {
  kernfs.remove(`${moduleSysfsDir(target)}/holders/${user.name}`);
}

/** mod_sysfs_teardown(). */
export function modSysfsTeardown(kernfs: Kernfs, mod: Module): void {
  kernfs.removeTree(moduleSysfsDir(mod));
}
