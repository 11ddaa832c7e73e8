// modprobe --dump-modversions MODULE: the CRCs a module was built against (loading by modprobe is still to come).

import { KernelError } from "../kernel/error.js";
import { parseArgs, withUsage, type CliCommand } from "./command.js";
import { readVersions } from "./modinfo.js";

export const modprobe: CliCommand = {
  name: "modprobe",
  usage: "modprobe --dump-modversions MODULE",
  help: "dump the symbol versions a module file needs",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd = parseArgs("modprobe", args, ctx, (c) =>
        c.option("--dump-modversions", "print __versions as 0x%08x<TAB>symbol").argument("<module>"),
      );
      const module = cmd.processedArgs[0] as string;
      if (cmd.opts().dumpModversions !== true) {
        ctx.err("modprobe: ERROR: only --dump-modversions is supported so far: loading by modprobe is still to come\n");
        return 1;
      }
      try {
        ctx.out(readVersions(module, ctx.kernel.moduleDir).map((v) => `0x${v.value.toString(16).padStart(8, "0")}\t${v.name}\n`).join(""));
        return 0;
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        ctx.err(`modprobe: FATAL: could not read '${module}': ${e.strerror}\n`);
        return 1;
      }
    }),
};
