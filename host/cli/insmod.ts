// insmod [-f] MODULE [param=value...]: load one module file, as kmod's insmod does.

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { modStrerror, modulePath, readModule } from "./kmod.js";

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
      let bytes: Uint8Array;
      try {
        bytes = readModule(module, ctx.kernel.moduleDir);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`insmod: ERROR: could not load module ${module}: ${e.strerror}\n`);
        return 1;
      }
      try {
        ctx.kernel.insmod(bytes, { args: params.map(quoteParam).join(" "), force: cmd.opts().force === true, filename: modulePath(module, ctx.kernel.moduleDir) });
        return 0;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`insmod: ERROR: could not insert module ${module}: ${modStrerror(e.errno)}\n`);
        return 1;
      }
    }),
};
