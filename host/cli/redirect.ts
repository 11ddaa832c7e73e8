// `< FILE`: a command's standard input from a file, as sh's redirection does it: open the file, put it on
// descriptor 0 for the command's run, and give the shell back the descriptor 0 it had.

import { O_RDONLY } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import type { CommandSteps } from "./command.js";

/** Run `command` with FILE on descriptor 0; a file that cannot be opened is sh's error and status 1, nothing run. */
export function* withStdin(libc: Libc, path: string, err: (text: string) => void, command: () => CommandSteps): CommandSteps {
  const files = libc.task.files;
  let fd: number;
  try {
    fd = libc.open(path, O_RDONLY);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    err(`wasm-lkm: ${e.message}\n`);
    return 1;
  }
  // The shell's own descriptor 0 (its terminal), kept on a spare descriptor while the command runs; a shell
  // that closed its 0 (`syscall close 0`) gets none back, as it had none.
  const saved = files.entries().some(([n]) => n === 0) ? files.dup(0) : null;
  files.dup2(fd, 0);
  files.close(fd);
  try {
    return yield* command();
  } finally {
    // A command that ended the shell's task took its descriptors with it.
    if (libc.task.exitCode === null) {
      if (saved === null) files.close(0);
      else {
        files.dup2(saved, 0);
        files.close(saved);
      }
    }
  }
}
