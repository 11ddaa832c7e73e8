// /proc/sys/kernel: the sysctls the core has: tainted (read-only here), printk (the console levels) and
// watchdog_thresh (the soft-lockup detector's threshold, host/kernel/watchdog.ts).

import type { Kernfs } from "../fs/kernfs.js";
import { KernelError } from "./error.js";
import type { Taint } from "./panic.js";
import type { ConsoleLevels } from "./printk.js";
import type { Watchdog } from "./watchdog.js";

export function registerKernelSysctls(kernfs: Kernfs, taint: Taint, levels: ConsoleLevels, watchdog: Watchdog): void {
  kernfs.add("/proc/sys/kernel/tainted", { mode: 0o444, show: () => `${taint.value}\n` });
  kernfs.add("/proc/sys/kernel/printk", {
    mode: 0o644,
    show: () => `${levels.console}\t${levels.defaultMessage}\t${levels.minimumConsole}\t${levels.defaultConsole}\n`,
    store: (buf) => storePrintk(levels, buf),
  });
  kernfs.add("/proc/sys/kernel/watchdog_thresh", { mode: 0o644, show: () => watchdog.show(), store: (buf) => watchdog.store(buf) });
}

/** Up to four integers, as proc_dointvec takes them; the console level never drops below the minimum. */
function storePrintk(levels: ConsoleLevels, buf: string): void {
  const words = buf.trim().split(/\s+/);
  if (words.length > 4 || !words.every((w) => /^-?\d+$/.test(w))) {
    throw new KernelError("EINVAL", `/proc/sys/kernel/printk: invalid value '${buf.trim()}'`);
  }
  const [console, defaultMessage, minimumConsole, defaultConsole] = words.map(Number);
  if (console !== undefined) levels.console = Math.max(console, levels.minimumConsole);
  if (defaultMessage !== undefined) levels.defaultMessage = defaultMessage;
  if (minimumConsole !== undefined) levels.minimumConsole = minimumConsole;
  if (defaultConsole !== undefined) levels.defaultConsole = defaultConsole;
}
