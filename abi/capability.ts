// Capability numbers (include/uapi/linux/capability.h): the ones this kernel checks.
//
// There are no capability sets: a task with effective uid 0 has every capability, and one with fsuid 0 the
// filesystem ones (CAP_FS_MASK), as cap_task_fix_setuid() leaves root's sets (host/kernel/cred.ts).

export const CAP_CHOWN = 0;
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_LINUX_IMMUTABLE = 9;
export const CAP_SYS_MODULE = 16;
export const CAP_SYS_ADMIN = 21;
export const CAP_MKNOD = 27;
export const CAP_MAC_OVERRIDE = 32;

/** CAP_FS_MASK (include/linux/capability.h): what follows fsuid rather than euid. */
export const CAP_FS_MASK: readonly number[] = [
  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MKNOD, CAP_MAC_OVERRIDE,
];

/** NGROUPS_MAX (include/uapi/linux/limits.h): the most supplementary groups a task may have. */
export const NGROUPS_MAX = 65536;
