// conf_files_list() (libkmod-config.c; depmod.c's cfg_files_list() is its twin): the files a list of
// configuration paths stands for, in the order they are read.
//
// A path that is a directory gives its *.conf files (not those starting with '.', nor directories); any
// other path is one file, named by its base name. Every file is then read in the order of its name
// (strcmp), a name met first hiding the same name met later, whatever the directory: so an earlier path
// wins, and files placed ahead of the paths (modprobe's modules.softdep) compete by name too. A path
// that does not exist is skipped.

import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { strcmp } from "./hash.js";
import { LOG_ERR, type KmodLog } from "./log.js";

/** The files to read, by name; `first` (absolute paths) are placed before those the paths hold. */
export function confFiles(paths: readonly string[], first: readonly string[], fn: string, log: KmodLog): string[] {
  const byName = new Map<string, string>();
  const add = (name: string, path: string) => {
    if (!byName.has(name)) byName.set(name, path);
  };
  for (const path of first) add(basename(path), path);
  for (const path of paths) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isDirectory()) {
      add(basename(path), path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (e) {
      log(LOG_ERR, fn, `opendir(${path}): ${(e as Error).message}`);
      continue;
    }
    for (const name of names) {
      if (name.startsWith(".") || name.length < 6 || !name.endsWith(".conf")) continue;
      const entry = statSync(join(path, name), { throwIfNoEntry: false });
      if (!entry) log(LOG_ERR, "conf_files_filter_out", `Cannot stat directory entry: ${path}/${name}`);
      else if (entry.isDirectory()) log(LOG_ERR, "conf_files_filter_out", `Directories inside directories are not supported: ${path}/${name}`);
      else add(name, join(path, name));
    }
  }
  return [...byName.keys()].sort(strcmp).map((name) => byName.get(name)!);
}
