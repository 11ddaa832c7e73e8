// File types, struct stat and struct linux_dirent64 as x86_64 lays them out (asm/stat.h, linux/dirent.h).

import { layoutStruct, type StructDef } from "./types.js";

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** d_type values of getdents64, in the order of S_IFMT >> 12. */
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

export const S_ISDIR = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const S_ISREG = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const S_ISLNK = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;
export const S_ISCHR = (mode: number): boolean => (mode & S_IFMT) === S_IFCHR;
export const S_ISBLK = (mode: number): boolean => (mode & S_IFMT) === S_IFBLK;

/** The DT_* of a mode (fs_umode_to_dtype). */
export function dtType(mode: number): number {
  return (mode & S_IFMT) >>> 12;
}

/** x86_64 struct stat: 144 bytes. */
export const STAT: StructDef = [
  ["st_dev", "u64"], ["st_ino", "u64"], ["st_nlink", "u64"],
  ["st_mode", "u32"], ["st_uid", "u32"], ["st_gid", "u32"], ["__pad0", "i32"],
  ["st_rdev", "u64"], ["st_size", "i64"], ["st_blksize", "i64"], ["st_blocks", "i64"],
  ["st_atime", "i64"], ["st_atime_nsec", "u64"], ["st_mtime", "i64"], ["st_mtime_nsec", "u64"],
  ["st_ctime", "i64"], ["st_ctime_nsec", "u64"], ["__unused0", "i64"], ["__unused1", "i64"], ["__unused2", "i64"],
];
export const STAT_LAYOUT = layoutStruct("stat", STAT);

/** struct linux_dirent64's fixed part; d_name follows, NUL-terminated, the record padded to 8 bytes. */
export const DIRENT64_NAME_OFFSET = 19;

/** Device numbers: new_encode_dev()'s 32-bit form, as st_rdev and mknod's dev carry them on x86_64 userspace. */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

export function major(dev: number): number {
  return (dev >>> 8) & 0xfff;
}

export function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

/** x86_64 struct statfs: 120 bytes. */
export const STATFS: StructDef = [
  ["f_type", "i64"], ["f_bsize", "i64"], ["f_blocks", "u64"], ["f_bfree", "u64"], ["f_bavail", "u64"], ["f_files", "u64"],
  ["f_ffree", "u64"], ["f_fsid0", "i32"], ["f_fsid1", "i32"], ["f_namelen", "i64"], ["f_frsize", "i64"], ["f_flags", "i64"],
  ["f_spare0", "i64"], ["f_spare1", "i64"], ["f_spare2", "i64"], ["f_spare3", "i64"],
];
export const STATFS_LAYOUT = layoutStruct("statfs", STATFS);

/** statfs's f_flags (ST_*): ST_VALID says the flags are filled in. */
export const ST_RDONLY = 0x0001;
export const ST_NOSUID = 0x0002;
export const ST_NODEV = 0x0004;
export const ST_NOEXEC = 0x0008;
export const ST_VALID = 0x0020;
export const ST_RELATIME = 0x1000;

/** utimensat's special tv_nsec values (include/uapi/linux/stat.h): the time now, and leave it. */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

/** struct __kernel_timespec and struct timeval on x86_64: utimensat's and utimes' two times, each 16 bytes. */
export const TIMESPEC_LAYOUT = layoutStruct("timespec", [["tv_sec", "i64"], ["tv_nsec", "i64"]]);
export const TIMEVAL_LAYOUT = layoutStruct("timeval", [["tv_sec", "i64"], ["tv_usec", "i64"]]);
