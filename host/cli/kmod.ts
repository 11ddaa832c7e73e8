// kmod's wording: how insmod, rmmod and modinfo turn an errno into a line, and where a MODULE is found.

import { resolve } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import { badModuleName } from "../../abi/module.js";
import { BUILD_DIR } from "../init/paths.js";
import { KernelError } from "../kernel/error.js";
import { findModule, pathToModname } from "../kmod/depmod.js";

/** mod_strerror() of kmod's insmod: the load errors with their module-specific texts. */
export function modStrerror(err: number): string {
  switch (err) {
    case errno("ENOEXEC"):
      return "Invalid module format";
    case errno("ENOENT"):
      return "Unknown symbol in module";
    case errno("ESRCH"):
      return "Module has wrong symbol version";
    case errno("EINVAL"):
      return "Invalid parameters";
    default:
      return strerror(err);
  }
}

/**
 * MODULE as the tools take it: a path (with a '/' or ending in .wasm); else a name, looked up in the
 * module directory's (`dir`'s) modules.dep as modinfo and modprobe do, then as build/modules/NAME.wasm.
 * ENOENT for a name no module could have (badModuleName), which is looked up nowhere.
 */
export function modulePath(module: string, dir: string): string {
  if (module.includes("/") || module.endsWith(".wasm")) return resolve(module);
  const name = pathToModname(module);
  if (badModuleName(name)) throw new KernelError("ENOENT", `${module}: No such file or directory`);
  return findModule(dir, name) ?? resolve(BUILD_DIR, `${name}.wasm`);
}
