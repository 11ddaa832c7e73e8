// Filesystem magic numbers, statfs(2)'s f_type (include/uapi/linux/magic.h).

export const RAMFS_MAGIC = 0x858458f6;
export const TMPFS_MAGIC = 0x01021994;
export const PROC_SUPER_MAGIC = 0x9fa0;
export const SYSFS_MAGIC = 0x62656572;
export const DEBUGFS_MAGIC = 0x64626720;
export const DEVPTS_SUPER_MAGIC = 0x1cd1;
export const MSDOS_SUPER_MAGIC = 0x4d44;
export const EXT2_SUPER_MAGIC = 0xef53;
export const HOSTFS_SUPER_MAGIC = 0x00c0ffee;
