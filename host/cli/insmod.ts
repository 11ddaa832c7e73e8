// insmod [-f] MODULE [param=value...]: load one module file, as kmod's insmod does.

import { KernelError } from "../kernel/error.js";
import { mayInitModule } from "../module/syscalls.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { readModuleFile } from "../kmod/file.js";
import { modStrerror, modulePath } from "./kmod.js";

/** A value with blanks goes back in quotes, so the kernel's parser sees one parameter. */
function quoteParam(p: string): string {
  const eq = p.indexOf("=");
  return eq > 0 && /\s/.test(p) ? `${p.slice(0, eq)}="${p.slice(eq + 1)}"` : p;
}

export const insmod: CliCommand = {
  name: "insmod",
  usage: "insmod [-f] MODULE [param=value...]",
  help: "load a module (a path, or a name found in build/modules)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("insmod", args, ctx, (c) =>
        c.option("-f, --force", "ignore vermagic and symbol versions (taints F)").argument("<module>").argument("[params...]"),
      );
      const [module, params] = cmd.processedArgs as [string, string[]];
      const fail = (e: unknown, load: boolean): number => {
        if (!(e instanceof KernelError)) throw e;
        if (load) ctx.err(`insmod: ERROR: could not load module ${module}: ${e.strerror}\n`);
        else ctx.err(`insmod: ERROR: could not insert module ${module}: ${modStrerror(e.errno)}\n`);
        return 1;
      };
      let path: string;
      let bytes: Uint8Array;
      try {
        path = modulePath(module, ctx.kernel.moduleDir);
        bytes = readModuleFile(path);
      } catch (e) {
        // kmod_module_new_from_path() finding no file is "could not load"; a file it cannot read fails the insertion.
        return fail(e, e instanceof KernelError && e.code === "ENOENT");
      }
      try {
        mayInitModule("init_module", ctx.libc.task.cred);
        ctx.kernel.insmod(bytes, { args: params.map(quoteParam).join(" "), force: cmd.opts().force === true, filename: path });
        return 0;
      } catch (e) {
        return fail(e, false);
      }
    }),
};
