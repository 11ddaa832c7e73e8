// struct iattr's ia_valid bits (include/linux/fs.h): which attributes a setattr changes.

export const ATTR_MODE = 1 << 0;
export const ATTR_UID = 1 << 1;
export const ATTR_GID = 1 << 2;
export const ATTR_SIZE = 1 << 3;
export const ATTR_ATIME = 1 << 4;
export const ATTR_MTIME = 1 << 5;
export const ATTR_CTIME = 1 << 6;
export const ATTR_ATIME_SET = 1 << 7;
export const ATTR_MTIME_SET = 1 << 8;
export const ATTR_FORCE = 1 << 9;
export const ATTR_KILL_SUID = 1 << 11;
export const ATTR_KILL_SGID = 1 << 12;
export const ATTR_FILE = 1 << 13;
export const ATTR_KILL_PRIV = 1 << 14;
export const ATTR_OPEN = 1 << 15;
export const ATTR_TIMES_SET = 1 << 16;
export const ATTR_TOUCH = 1 << 17;
