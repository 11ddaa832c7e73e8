// struct iattr's ia_valid bits (include/linux/fs.h), Linux's values: which attributes a setattr changes. Only those
// the kernel sets are here: chown's set-user-ID clearing arrives as ATTR_MODE, not ATTR_KILL_SUID, and a given time
// and "now" alike as ATTR_ATIME/ATTR_MTIME.

export const ATTR_MODE = 1 << 0;
export const ATTR_UID = 1 << 1;
export const ATTR_GID = 1 << 2;
export const ATTR_SIZE = 1 << 3;
export const ATTR_ATIME = 1 << 4;
export const ATTR_MTIME = 1 << 5;
export const ATTR_CTIME = 1 << 6;
