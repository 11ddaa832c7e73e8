// export [NAME=VALUE...]: set variables of the shell's environment, as sh's builtin does (every variable
// here is exported, so `export NAME` changes nothing); with no operand, list them as bash does.

import type { CliCommand } from "./command.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const exportCommand: CliCommand = {
  name: "export",
  usage: "export [NAME=VALUE...]",
  help: "set variables of the shell's environment ($NAME), which the programs it runs inherit",
  run: (args, ctx) => {
    if (args.length === 0) {
      ctx.out([...ctx.env].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `declare -x ${k}="${v.replace(/(["\\$`])/g, "\\$1")}"\n`).join(""));
      return 0;
    }
    let status = 0;
    for (const arg of args) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      if (!NAME.test(name)) {
        ctx.err(`export: \`${arg}': not a valid identifier\n`);
        status = 1;
      } else if (eq >= 0) ctx.setenv(name, arg.slice(eq + 1));
    }
    return status;
  },
};
