// /proc/modules (kernel/module/procfs.c) and the flags print_modules() shows in an Oops.

import { moduleTaintLetters } from "../kernel/panic.js";
import type { Module } from "./internal.js";
import { moduleRefcount } from "./ksyms.js";

const STATE_WORDS = { COMING: "Loading", LIVE: "Live", GOING: "Unloading", UNFORMED: "" } as const;

/** module_flags(): "(OE+)": the module's taint letters, + while loading, - while unloading; "" if none. */
export function moduleFlags(mod: Module): string {
  const flags = moduleTaintLetters(mod.taints) + (mod.state === "COMING" ? "+" : mod.state === "GOING" ? "-" : "");
  return flags ? `(${flags})` : "";
}

/** print_unload_info(): each user as "name,", "[permanent]," with no exit, "[dead]," after an Oops, else "-". */
function usersField(mod: Module): string {
  const users = mod.usedBy.map((u) => `${u.name},`).join("");
  const permanent = mod.exports?.init && !mod.exports.cleanup ? "[permanent]," : "";
  const dead = mod.dead ? "[dead]," : "";
  return users + permanent + dead || "-";
}

/** One /proc/modules line: name size refcnt users state address [flags]. */
export function procModulesLine(mod: Module): string {
  const flags = moduleFlags(mod);
  return (
    `${mod.name} ${mod.size} ${moduleRefcount(mod)} ${usersField(mod)} ${STATE_WORDS[mod.state]} ` +
    `0x0000000000000000${flags ? ` ${flags}` : ""}\n`
  );
}

/** /proc/modules: every formed module, newest first. */
export function procModules(modules: readonly Module[]): string {
  return modules.filter((m) => m.state !== "UNFORMED").map(procModulesLine).join("");
}
