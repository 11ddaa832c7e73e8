// /proc/cmdline (fs/proc/cmdline.c): the command line the kernel was booted with, and a newline.
//
// The kernel itself reads nothing from it here (it has no built-in modules to take MODULE.PARAM=VALUE):
// modprobe does, as kmod reads /proc/cmdline, for the options and the blacklist it applies at load.

import type { Kernfs } from "../kernfs.js";

/** COMMAND_LINE_SIZE on x86: the boot loader's line is cut to fit, with its NUL. */
export const COMMAND_LINE_SIZE = 2048;

/** The command line as the kernel keeps it: at most COMMAND_LINE_SIZE - 1 bytes, cut where a character would not fit. */
export function savedCommandLine(cmdline: string): string {
  const bytes = new TextEncoder().encode(cmdline);
  if (bytes.length < COMMAND_LINE_SIZE) return cmdline;
  return new TextDecoder().decode(bytes.subarray(0, COMMAND_LINE_SIZE - 1)).replace(/\uFFFD$/, "");
}

/** proc_cmdline_init(). */
export function procCmdline(kernfs: Kernfs, cmdline: string): void {
  kernfs.add("/proc/cmdline", { mode: 0o444, show: () => `${cmdline}\n` });
}
