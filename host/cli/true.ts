// true and false: do nothing, successfully or not (what `install MODULE /bin/true` runs to keep a module out).

import type { CliCommand } from "./command.js";

export const trueCommand: CliCommand = { name: "true", usage: "true", help: "do nothing, successfully", run: () => 0 };

export const falseCommand: CliCommand = { name: "false", usage: "false", help: "do nothing, unsuccessfully", run: () => 1 };
