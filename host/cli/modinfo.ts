// modinfo [-F field] MODULE: the .modinfo of a module file, in kmod's layout (values from column 16).

import type { ModinfoEntry } from "../../abi/module.js";
import { KernelError } from "../kernel/error.js";
import { moduleInfo } from "../kmod/elf.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { modulePath } from "./kmod.js";

/** parm lines: "name:desc (type)", "name:type" or "name:desc", last parameter first, as kmod prints them. */
function parmLines(entries: readonly ModinfoEntry[]): string[] {
  const order: string[] = [];
  const desc = new Map<string, string>();
  const type = new Map<string, string>();
  for (const [key, value] of entries) {
    if (key !== "parm" && key !== "parmtype") continue;
    const colon = value.indexOf(":");
    const name = value.slice(0, colon);
    if (!order.includes(name)) order.push(name);
    (key === "parm" ? desc : type).set(name, value.slice(colon + 1));
  }
  return order.reverse().map((name) => {
    const d = desc.get(name);
    const t = type.get(name);
    return `${name}:${d !== undefined ? d : ""}${d !== undefined && t !== undefined ? ` (${t})` : t ?? ""}`;
  });
}

/** The whole listing: filename, then every field in file order, then the parameters. */
export function formatModinfo(filename: string, entries: readonly ModinfoEntry[], field?: string): string {
  const parms = parmLines(entries);
  if (field !== undefined) {
    if (field === "filename") return `${filename}\n`;
    if (field === "parm") return parms.map((p) => `${p}\n`).join("");
    return entries.filter(([k]) => k === field).map(([, v]) => `${v}\n`).join("");
  }
  const line = (k: string, v: string) => `${`${k}:`.padEnd(16)}${v}\n`;
  const fields = entries.filter(([k]) => k !== "parm" && k !== "parmtype").map(([k, v]) => line(k, v));
  return line("filename", filename) + fields.join("") + parms.map((p) => line("parm", p)).join("");
}

export const modinfo: CliCommand = {
  name: "modinfo",
  usage: "modinfo [-F field] MODULE",
  help: "show a module file's information",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("modinfo", args, ctx, (c) => c.option("-F, --field <field>", "only this field").argument("<module>"));
      const module = cmd.processedArgs[0] as string;
      try {
        const path = modulePath(module, ctx.kernel.moduleDir);
        ctx.out(formatModinfo(path, moduleInfo(path), cmd.opts().field as string | undefined));
        return 0;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        if (e.code === "ENOENT") ctx.err(`modinfo: ERROR: Module ${module} not found.\n`);
        else ctx.err(`modinfo: ERROR: could not get modinfo from '${module}': ${e.strerror}\n`);
        return 1;
      }
    }),
};
