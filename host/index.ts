// wasm-lkm as a library (`import { Kernel } from "wasm-lkm"`): the kernel a host program boots and drives,
// the tasks and shell sessions it drives it with, and the build that makes modules for it.

import type { BuildOptions } from "../scripts/build.js";

export { Kernel, type KernelOptions } from "./init/main.js";
export type { LoadOptions } from "./module/main.js";
export type { Module, ModuleState } from "./module/internal.js";
export { KernelError } from "./kernel/error.js";
export type { LogRecord } from "./kernel/printk.js";
export { Libc, type Dirent, type Stat } from "./user/nolibc.js";
export { Session, type SessionOptions } from "./cli/session.js";
export { ERRNO, errno, strerror, type ErrnoName } from "../abi/errno.js";
export { BuildError } from "../scripts/mod/error.js";
export type { BuildOptions };

/**
 * Build modules from their AssemblyScript sources, as `wasm-lkm build` does (scripts/build.ts); returns the
 * paths written, or throws BuildError with the compiler's and modpost's errors. The compiler loads on first use.
 */
export async function buildModules(entries: readonly string[], opts: BuildOptions = {}): Promise<string[]> {
  const build = await import("../scripts/build.js");
  return build.buildModules(entries, opts);
}
