// rmmod [-f] MODULE: unload a module, with kmod's checks first (not loaded, in use by, in use).

import { KernelError } from "../kernel/error.js";
import { mayInitModule } from "../module/syscalls.js";
import { moduleRefcount } from "../module/ksyms.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { pathToModname } from "../kmod/depmod.js";

export const rmmod: CliCommand = {
  name: "rmmod",
  usage: "rmmod [-f] MODULE",
  help: "unload a module; -f forces it while referenced (taints R)",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("rmmod", args, ctx, (c) => c.option("-f, --force", "unload even while referenced").argument("<module>"));
      const name = pathToModname(cmd.processedArgs[0] as string);
      const force = cmd.opts().force === true;
      const mod = ctx.kernel.modules.find(name);
      if (!mod) {
        ctx.err(`rmmod: ERROR: Module ${name} is not currently loaded\n`);
        return 1;
      }
      if (!force && mod.usedBy.length > 0) {
        ctx.err(`rmmod: ERROR: Module ${name} is in use by: ${mod.usedBy.map((m) => m.name).join(" ")}\n`);
        return 1;
      }
      if (!force && moduleRefcount(mod) > 0) {
        ctx.err(`rmmod: ERROR: Module ${name} is in use\n`);
        return 1;
      }
      try {
        mayInitModule("delete_module", ctx.libc.task.cred);
        ctx.kernel.rmmod(name, force);
        return 0;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`rmmod: ERROR: could not remove module ${name}: ${e.strerror}\n`);
        return 1;
      }
    }),
};
