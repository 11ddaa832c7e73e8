// libkmod-module.c's view of the modules loaded now, read from /proc and /sys as the calling task reads
// files: kmod_module_new_from_loaded() (the names /proc/modules lists), kmod_module_get_refcnt()
// (/sys/module/NAME/refcnt), kmod_module_get_holders() (the entries of /sys/module/NAME/holders) and
// kmod_module_get_size() (/proc/modules' size: this kernel has no coresize file).

import { O_RDONLY } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import { LOG_ERR, type KmodLog } from "./log.js";

/** One loaded module as lsmod shows it; a value that could not be read is its -errno, as kmod's are. */
export interface LoadedModule {
  readonly name: string;
  readonly size: number;
  readonly refcnt: number;
  readonly holders: readonly string[];
}

/** fopen + fgets to the end: a read that fails ends the file there, as fgets() returning NULL does. */
function readLines(libc: Libc, path: string): string[] {
  const fd = libc.open(path, O_RDONLY);
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  try {
    for (let chunk = libc.read(fd, 4096); chunk.length > 0; chunk = libc.read(fd, 4096)) chunks.push(decoder.decode(chunk, { stream: true }));
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
  } finally {
    libc.close(fd);
  }
  return chunks.join("").split("\n").filter((l) => l !== "");
}

/** read_str_long() of a sysfs file; -errno when it cannot be read or is no number. */
function readLong(libc: Libc, path: string, log: KmodLog): number {
  let text: string;
  try {
    text = new TextDecoder().decode(libc.readFile(path));
  } catch (e) {
    if (e instanceof KernelError) return -e.errno;
    throw e;
  }
  if (/^-?\d+\n?$/.test(text)) return Number.parseInt(text, 10);
  log(LOG_ERR, "kmod_module_get_refcnt", `could not read integer from '${path}': 'Invalid argument'`);
  return -22;
}

/** The holders' names, in the directory's order; none (and said) when it cannot be opened. */
function holders(libc: Libc, name: string, log: KmodLog): string[] {
  const dir = `/sys/module/${name}/holders`;
  try {
    return libc.readdir(dir).map((d) => d.name).filter((n) => n !== "." && n !== "..");
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    log(LOG_ERR, "kmod_module_get_holders", `could not open '${dir}': ${e.strerror}`);
    return [];
  }
}

/** Every module /proc/modules lists, in its order (newest first). Throws KernelError when /proc/modules cannot be opened, after saying so. */
export function loadedModules(libc: Libc, log: KmodLog): LoadedModule[] {
  let lines: string[];
  try {
    lines = readLines(libc, "/proc/modules");
  } catch (e) {
    if (e instanceof KernelError) log(LOG_ERR, "kmod_module_new_from_loaded", `could not open /proc/modules: ${e.strerror}`);
    throw e;
  }
  return lines.map((line) => {
    const [name = "", size = ""] = line.split(/[ \t]+/);
    return {
      name,
      size: /^\d+$/.test(size) ? Number(size) : -2,
      refcnt: readLong(libc, `/sys/module/${name}/refcnt`, log),
      holders: holders(libc, name, log),
    };
  });
}
