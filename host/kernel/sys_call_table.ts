// The base kernel's system calls by name, each unpacking its argument registers (include/linux/syscalls.h).
//
// Pointers and sizes arrive as 32-bit registers: a pointer or size_t is read unsigned, an int, off_t or
// dirfd signed. The legacy calls are their *at() forms with AT_FDCWD, as in fs/namei.c and fs/open.c.

import { AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_CREAT, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import type { SyscallName } from "../../abi/syscalls.js";
import { sys_getcwd } from "../fs/d_path.js";
import { sys_ioctl } from "../fs/ioctl.js";
import { namei } from "../fs/namei.js";
import { sys_mount, sys_umount2 } from "../fs/namespace.js";
import { sys_chdir, sys_close, sys_fchmod, sys_fchmodat, sys_fchown, sys_fchownat, sys_ftruncate, sys_openat, sys_truncate } from "../fs/open.js";
import { sys_futimesat, sys_utimensat } from "../fs/utimes.js";
import { sys_lseek, sys_pread64, sys_pwrite64, sys_read, sys_write } from "../fs/read_write.js";
import { sys_getdents64 } from "../fs/readdir.js";
import { sys_fstat, sys_lstat, sys_readlink, sys_stat } from "../fs/stat.js";
import { sys_fstatfs, sys_statfs } from "../fs/statfs.js";
import { sys_fsync, sys_sync } from "../fs/sync.js";
import { sys_poll } from "../fs/select.js";
import type { Vfs } from "../fs/vfs.js";
import type { Exec } from "../fs/exec.js";
import { sys_exit } from "./exit.js";
import type { Tasks } from "./fork.js";
import { sys_getgroups, sys_setgroups } from "./groups.js";
import { sys_getpid, sys_getresid, sysSetFsId, sysSetId, sysSetReId, sysSetResId } from "./sys.js";
import type { SyscallFn } from "./syscalls.js";
import type { Clock } from "./time/timer.js";

const u = (n: number) => n >>> 0;
const s = (n: number) => n | 0;

/** syncAll: sync(2)'s writeback of the buffer cache. */
export function builtinSyscalls(vfs: Vfs, clock: Clock, exec: Exec, tasks: Tasks, syncAll: () => void): Partial<Record<SyscallName, SyscallFn>> {
  return {
    execve: (t, a) => exec.execveat(t, AT_FDCWD, u(a[0]), u(a[1]), u(a[2]), 0),
    execveat: (t, a) => exec.execveat(t, s(a[0]), u(a[1]), u(a[2]), u(a[3]), s(a[4])),
    exit: (t, a) => sys_exit(tasks, t, s(a[0])),
    exit_group: (t, a) => sys_exit(tasks, t, s(a[0])),
    poll: (t, a) => sys_poll(clock, t, u(a[0]), u(a[1]), s(a[2])),
    read: (t, a) => sys_read(t, s(a[0]), u(a[1]), u(a[2])),
    write: (t, a) => sys_write(t, s(a[0]), u(a[1]), u(a[2])),
    open: (t, a) => sys_openat(vfs, t, AT_FDCWD, u(a[0]), u(a[1]), u(a[2])),
    openat: (t, a) => sys_openat(vfs, t, s(a[0]), u(a[1]), u(a[2]), u(a[3])),
    creat: (t, a) => sys_openat(vfs, t, AT_FDCWD, u(a[0]), O_CREAT | O_WRONLY | O_TRUNC, u(a[1])),
    close: (t, a) => sys_close(t, s(a[0])),
    stat: (t, a) => sys_stat(vfs, t, u(a[0]), u(a[1])),
    fstat: (t, a) => sys_fstat(t, s(a[0]), u(a[1])),
    statfs: (t, a) => sys_statfs(vfs, t, u(a[0]), u(a[1])),
    fstatfs: (t, a) => sys_fstatfs(t, s(a[0]), u(a[1])),
    lstat: (t, a) => sys_lstat(vfs, t, u(a[0]), u(a[1])),
    lseek: (t, a) => sys_lseek(t, s(a[0]), s(a[1]), u(a[2])),
    pread64: (t, a) => sys_pread64(t, s(a[0]), u(a[1]), u(a[2]), s(a[3])),
    pwrite64: (t, a) => sys_pwrite64(t, s(a[0]), u(a[1]), u(a[2]), s(a[3])),
    ioctl: (t, a) => sys_ioctl(t, s(a[0]), u(a[1]), u(a[2])),
    dup: (t, a) => t.files.dup(s(a[0])),
    dup2: (t, a) => t.files.dup2(s(a[0]), s(a[1])),
    getpid: (t) => sys_getpid(t),
    getuid: (t) => t.cred.uid,
    geteuid: (t) => t.cred.euid,
    getgid: (t) => t.cred.gid,
    getegid: (t) => t.cred.egid,
    setuid: (t, a) => sysSetId(t, "uid", u(a[0])),
    setgid: (t, a) => sysSetId(t, "gid", u(a[0])),
    setreuid: (t, a) => sysSetReId(t, "uid", u(a[0]), u(a[1])),
    setregid: (t, a) => sysSetReId(t, "gid", u(a[0]), u(a[1])),
    setresuid: (t, a) => sysSetResId(t, "uid", u(a[0]), u(a[1]), u(a[2])),
    setresgid: (t, a) => sysSetResId(t, "gid", u(a[0]), u(a[1]), u(a[2])),
    getresuid: (t, a) => sys_getresid(t, [t.cred.uid, t.cred.euid, t.cred.suid], [u(a[0]), u(a[1]), u(a[2])]),
    getresgid: (t, a) => sys_getresid(t, [t.cred.gid, t.cred.egid, t.cred.sgid], [u(a[0]), u(a[1]), u(a[2])]),
    setfsuid: (t, a) => sysSetFsId(t, "uid", u(a[0])),
    setfsgid: (t, a) => sysSetFsId(t, "gid", u(a[0])),
    getgroups: (t, a) => sys_getgroups(t, s(a[0]), u(a[1])),
    setgroups: (t, a) => sys_setgroups(t, s(a[0]), u(a[1])),
    getdents64: (t, a) => sys_getdents64(t, s(a[0]), u(a[1]), u(a[2])),
    getcwd: (t, a) => sys_getcwd(t, u(a[0]), u(a[1])),
    chdir: (t, a) => sys_chdir(vfs, t, u(a[0])),
    mkdir: (t, a) => namei.mkdirat(vfs, t, AT_FDCWD, u(a[0]), u(a[1])),
    mkdirat: (t, a) => namei.mkdirat(vfs, t, s(a[0]), u(a[1]), u(a[2])),
    rmdir: (t, a) => namei.unlinkat(vfs, t, AT_FDCWD, u(a[0]), AT_REMOVEDIR),
    unlink: (t, a) => namei.unlinkat(vfs, t, AT_FDCWD, u(a[0]), 0),
    unlinkat: (t, a) => namei.unlinkat(vfs, t, s(a[0]), u(a[1]), s(a[2])),
    rename: (t, a) => namei.renameat(vfs, t, AT_FDCWD, u(a[0]), AT_FDCWD, u(a[1])),
    renameat: (t, a) => namei.renameat(vfs, t, s(a[0]), u(a[1]), s(a[2]), u(a[3])),
    symlink: (t, a) => namei.symlinkat(vfs, t, u(a[0]), AT_FDCWD, u(a[1])),
    symlinkat: (t, a) => namei.symlinkat(vfs, t, u(a[0]), s(a[1]), u(a[2])),
    readlink: (t, a) => sys_readlink(vfs, t, u(a[0]), u(a[1]), s(a[2])),
    mknod: (t, a) => namei.mknodat(vfs, t, AT_FDCWD, u(a[0]), u(a[1]), u(a[2])),
    mknodat: (t, a) => namei.mknodat(vfs, t, s(a[0]), u(a[1]), u(a[2]), u(a[3])),
    truncate: (t, a) => sys_truncate(vfs, t, u(a[0]), s(a[1])),
    ftruncate: (t, a) => sys_ftruncate(t, s(a[0]), s(a[1])),
    chmod: (t, a) => sys_fchmodat(vfs, t, AT_FDCWD, u(a[0]), u(a[1])),
    fchmod: (t, a) => sys_fchmod(t, s(a[0]), u(a[1])),
    fchmodat: (t, a) => sys_fchmodat(vfs, t, s(a[0]), u(a[1]), u(a[2])),
    chown: (t, a) => sys_fchownat(vfs, t, AT_FDCWD, u(a[0]), u(a[1]), u(a[2]), 0),
    fchown: (t, a) => sys_fchown(t, s(a[0]), u(a[1]), u(a[2])),
    lchown: (t, a) => sys_fchownat(vfs, t, AT_FDCWD, u(a[0]), u(a[1]), u(a[2]), AT_SYMLINK_NOFOLLOW),
    fchownat: (t, a) => sys_fchownat(vfs, t, s(a[0]), u(a[1]), u(a[2]), u(a[3]), s(a[4])),
    utimes: (t, a) => sys_futimesat(vfs, t, AT_FDCWD, u(a[0]), u(a[1])),
    futimesat: (t, a) => sys_futimesat(vfs, t, s(a[0]), u(a[1]), u(a[2])),
    utimensat: (t, a) => sys_utimensat(vfs, t, s(a[0]), u(a[1]), u(a[2]), s(a[3])),
    fsync: (t, a) => sys_fsync(t, s(a[0])),
    sync: () => sys_sync(syncAll),
    mount: (t, a) => sys_mount(vfs, t, u(a[0]), u(a[1]), u(a[2]), u(a[3]), u(a[4])),
    umount2: (t, a) => sys_umount2(vfs, t, u(a[0]), s(a[1])),
  };
}
