// kmod's wording: how insmod, rmmod and modinfo turn an errno into a line, and where a MODULE is found.

import { dirname, join, resolve } from "node:path";
import { errno, strerror } from "../../abi/errno.js";
import { badModuleName } from "../../abi/module.js";
import { UTS_RELEASE } from "../../abi/version.js";
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

/**
 * The module directory a tool's ROOT (modprobe -d, modinfo -b) and RELEASE (-S, -k) name, as kmod builds
 * it (ROOT/lib/modules/RELEASE, the kernel's release by default); with neither, the kernel's own; with a
 * release alone, that release beside the kernel's.
 */
export function moduleDirectory(kernelDir: string, root: string | undefined, release: string | undefined): string {
  if (root === undefined && release === undefined) return kernelDir;
  return root === undefined ? join(dirname(kernelDir), release!) : join(root, "lib", "modules", release ?? UTS_RELEASE);
}
