// modinfo [-adlpn0m] [-F field] [-k RELEASE] [-b ROOT] MODULE...: each module's .modinfo in kmod's
// layout (host/kmod/modinfo.ts). A MODULE is a module file (a name ending in .wasm that is a regular
// file), else a name or alias looked up in the module directory (with -m, a name only), as kmod's
// modinfo takes it; a name found nowhere is tried as build/modules/NAME.wasm.

import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { ModinfoEntry } from "../../abi/module.js";
import { badModuleName } from "../../abi/module.js";
import { BUILD_DIR } from "../init/paths.js";
import { KernelError } from "../kernel/error.js";
import { NO_CONFIG } from "../kmod/config.js";
import { MODULE_EXT, pathToModname } from "../kmod/depmod.js";
import { moduleInfo } from "../kmod/elf.js";
import { LOG_ERR, toolLine } from "../kmod/log.js";
import { modinfoText } from "../kmod/modinfo.js";
import { KmodContext, type KmodModule } from "../kmod/module.js";
import { parseArgs, withUsage, type CliCommand, type CommandContext } from "./command.js";
import { moduleDirectory } from "./kmod.js";

interface Options {
  author?: boolean;
  description?: boolean;
  license?: boolean;
  parameters?: boolean;
  filename?: boolean;
  null?: boolean;
  modname?: boolean;
  field?: string;
  setVersion?: string;
  basedir?: string;
}

/** is_module_filename(): a name with the module extension that is a regular file. */
function isModuleFile(name: string): boolean {
  return name.endsWith(MODULE_EXT) && (statSync(name, { throwIfNoEntry: false })?.isFile() ?? false);
}

/** build/modules/NAME.wasm, for a name no module directory knows; undefined when there is none. */
function built(name: string): KmodModule[] {
  const modname = pathToModname(name);
  const path = resolve(BUILD_DIR, `${modname}${MODULE_EXT}`);
  return !badModuleName(modname) && existsSync(path) ? [{ name: modname, path }] : [];
}

/** The modules an argument stands for, or the error line that says it stands for none. */
function modulesOf(name: string, opts: Options, kmod: KmodContext): KmodModule[] | string {
  if (opts.modname) {
    const mod = { name: pathToModname(name) };
    const found = kmod.path(mod) !== undefined ? [mod] : built(name);
    return found.length > 0 ? found : `Module name ${name} not found.`;
  }
  if (isModuleFile(name)) return [{ name: pathToModname(name), path: resolve(name) }];
  let mods: KmodModule[];
  try {
    mods = kmod.lookup(name);
  } catch (e) {
    if (e instanceof KernelError) return `Module alias ${name} not found.`;
    throw e;
  }
  const found = mods.filter((m) => kmod.path(m) !== undefined);
  const all = found.length > 0 ? found : built(name);
  return all.length > 0 ? all : `Module ${name} not found.`;
}

/** modinfo_do(): one module's lines, or false after saying why it has none. */
function show(mod: KmodModule, path: string, field: string | undefined, sep: string, ctx: CommandContext): boolean {
  let entries: ModinfoEntry[] | null = null;
  let error: KernelError | undefined;
  try {
    entries = moduleInfo(path);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    error = e;
  }
  const text = modinfoText(path, entries, field, sep);
  if (text !== null) {
    ctx.out(text);
    return true;
  }
  ctx.err(toolLine("modinfo", LOG_ERR, `could not get modinfo from '${mod.name}': ${error!.strerror}`));
  return false;
}

export const modinfo: CliCommand = {
  name: "modinfo",
  usage: "modinfo [-adlpn0m] [-F field] [-k RELEASE] [-b ROOT] MODULE...",
  help: "show a module file's information",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("modinfo", args, ctx, (c) =>
        c.option("-a, --author", "only the author")
          .option("-d, --description", "only the description")
          .option("-l, --license", "only the license")
          .option("-p, --parameters", "only the parameters")
          .option("-n, --filename", "only the file name")
          .option("-0, --null", "end each line with NUL instead of a newline")
          .option("-m, --modname", "take MODULE as a module name, not an alias or a file")
          .option("-F, --field <field>", "only this field")
          .option("-k, --set-version <release>", "the release instead of the kernel's")
          .option("-b, --basedir <dir>", "root of the module directory (DIR/lib/modules/RELEASE)")
          .argument("<module...>"),
      );
      const opts = cmd.opts() as Options;
      const shortcut = opts.author ? "author" : opts.description ? "description" : opts.license ? "license" : opts.parameters ? "parm" : opts.filename ? "filename" : undefined;
      const field = opts.field ?? shortcut;
      const sep = opts.null ? "\0" : "\n";
      const dir = moduleDirectory(ctx.kernel.moduleDir, opts.basedir, opts.setVersion);
      const kmod = new KmodContext(dir, NO_CONFIG, ctx.kernel, () => {});
      let status = 0;
      for (const name of cmd.processedArgs[0] as string[]) {
        const mods = modulesOf(name, opts, kmod);
        if (typeof mods === "string") {
          ctx.err(toolLine("modinfo", LOG_ERR, mods));
          status = 1;
          continue;
        }
        for (const mod of mods) if (!show(mod, kmod.path(mod)!, field, sep, ctx)) status = 1;
      }
      return status;
    }),
};
