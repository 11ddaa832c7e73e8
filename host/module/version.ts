// Module versioning (kernel/module/version.c): compare the CRC a module was built against with the exporter's.

import type { Module } from "./internal.js";

/** What check_version() needs from the loader. */
export interface VersionContext {
  readonly mod: Module;
  /** The module's __versions, or null when it has none (or insmod -f dropped them). */
  readonly versions: ReadonlyMap<string, number> | null;
  /** try_to_force_load(): taint F with "%s: %s: kernel tainted." once. */
  forceLoad(reason: string): void;
  warn(message: string): void;
  /** pr_warn_once(): Linux's "no symbol version" is printed once per boot, not once per module. */
  warnOnce(message: string): void;
}

/** check_version(): false for "disagrees about version of symbol", after logging it. */
export function checkVersion(ctx: VersionContext, symname: string, crc: number): boolean {
  if (ctx.versions === null) {
    ctx.forceLoad(symname);
    return true;
  }
  const theirs = ctx.versions.get(symname);
  if (theirs === undefined) {
    ctx.warnOnce(`${ctx.mod.name}: no symbol version for ${symname}`);
    return true;
  }
  if (theirs === crc) return true;
  ctx.warn(`${ctx.mod.name}: disagrees about version of symbol ${symname}`);
  return false;
}
