// printk log levels (include/linux/kern_levels.h): the `\001N` prefix and the numbers behind it.

export const KERN_SOH = "\x01";

export const LOGLEVELS = {
  KERN_EMERG: 0,
  KERN_ALERT: 1,
  KERN_CRIT: 2,
  KERN_ERR: 3,
  KERN_WARNING: 4,
  KERN_NOTICE: 5,
  KERN_INFO: 6,
  KERN_DEBUG: 7,
} as const;

/** LOGLEVEL_DEFAULT: take the level from the message's own prefix, else the default message level. */
export const LOGLEVEL_DEFAULT = -1;

/** The names dmesg --level accepts, indexed by level. */
export const LEVEL_NAMES = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"] as const;
