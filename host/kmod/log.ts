// How kmod logs (libkmod.c's log_filep, tools/log.c): syslog priorities, and the two line formats.
//
// The library logs through the function its context was given, naming the libkmod function that speaks.
// Until a tool installs its own (log_setup_kmod_log), that is log_filep, at priority LOG_ERR:
// "libkmod: ERROR: kmod_config_parse: ...". The tools' own lines, and the library's once set up, read
// "modprobe: ERROR: ...", shown while the priority is at most the tool's verbosity.

export const LOG_EMERG = 0;
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

/** A log function: the priority, the function that logs (libkmod's __func__), and the message, without its newline. */
export type KmodLog = (priority: number, fn: string, message: string) => void;

/** tools/log.c's prio_to_str(). */
export function toolPriority(priority: number): string {
  const names: Record<number, string> = {
    [LOG_CRIT]: "FATAL", [LOG_ERR]: "ERROR", [LOG_WARNING]: "WARNING", [LOG_NOTICE]: "NOTICE", [LOG_INFO]: "INFO", [LOG_DEBUG]: "DEBUG",
  };
  return names[priority] ?? `LOG-${String(priority).padStart(3, "0")}`;
}

/** libkmod.c's log_filep() line, the library's before a tool sets up its own. */
export function libkmodLine(priority: number, fn: string, message: string): string {
  const names: Record<number, string> = {
    [LOG_EMERG]: "EMERGENCY", 1: "ALERT", [LOG_CRIT]: "CRITICAL", [LOG_ERR]: "ERROR", [LOG_WARNING]: "WARNING",
    [LOG_NOTICE]: "NOTICE", [LOG_INFO]: "INFO", [LOG_DEBUG]: "DEBUG",
  };
  return `libkmod: ${names[priority] ?? `L:${priority}`}: ${fn}: ${message}\n`;
}

/** tools/log.c's line: "prog: PRIORITY: message". */
export function toolLine(prog: string, priority: number, message: string): string {
  return `${prog}: ${toolPriority(priority)}: ${message}\n`;
}

/** A log that keeps nothing. */
export const noLog: KmodLog = () => {};
