// The system call table (host/kernel/syscalls.ts, host/kernel/sys_call_table.ts): which slots the base
// kernel fills, -ENOSYS everywhere else, how argument registers are read, and EFAULT for every pointer.

import { beforeEach, describe, expect, it } from "vitest";
import { AT_FDCWD, O_CREAT, O_DIRECTORY, O_RDONLY, O_RDWR, SEEK_CUR, SEEK_SET } from "../../abi/fcntl.js";
import { S_IFREG, STAT_LAYOUT } from "../../abi/stat.js";
import { NR_SYSCALLS, SYSCALLS, syscallName, type SyscallName } from "../../abi/syscalls.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { BAD_PTR, boot, neg, sys, text, tree, userBuffer, userString, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
});

const BUILTIN: readonly SyscallName[] = [
  "read", "write", "open", "close", "stat", "fstat", "lstat", "lseek", "ioctl", "pread64", "pwrite64", "dup", "dup2",
  "getpid", "rename", "mkdir", "rmdir", "creat", "unlink", "symlink", "readlink", "mknod", "truncate", "ftruncate",
  "fsync", "getdents64", "getcwd", "chdir", "sync", "mount", "umount2", "openat", "mkdirat", "mknodat", "unlinkat",
  "renameat", "symlinkat", "poll", "execve", "execveat", "exit", "exit_group", "chmod", "fchmod", "fchmodat", "statfs",
  "fstatfs", "chown", "fchown", "lchown", "fchownat", "utimes", "futimesat", "utimensat",
  "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid", "setreuid", "setregid", "setresuid", "getresuid",
  "setresgid", "getresgid", "setfsuid", "setfsgid", "getgroups", "setgroups", "init_module", "finit_module", "delete_module",
  "socket", "connect", "sendto", "recvfrom", "recvmsg", "bind", "getsockname", "setsockopt", "getsockopt",
];

describe("the table", () => {
  it("holds the base kernel's handler in exactly the implemented slots", () => {
    const filled = Array.from({ length: NR_SYSCALLS }, (_, nr) => nr).filter((nr) => k.syscalls.owners(nr).length > 0);
    expect(filled.map((nr) => syscallName(nr)).sort()).toEqual([...BUILTIN].sort());
    for (const name of BUILTIN) expect(k.syscalls.owners(SYSCALLS[name])).toEqual(["kernel"]);
  });

  it("returns -ENOSYS from an empty slot and from numbers outside the table", () => {
    for (const name of ["mmap", "fork", "wait4", "kill", "pipe", "fcntl", "link"] as const) {
      expect(sys(libc, name)).toBe(neg("ENOSYS"));
    }
    for (const nr of [NR_SYSCALLS - 1, NR_SYSCALLS, 1000, -1, 0x7fffffff]) expect(libc.syscall(nr)).toBe(neg("ENOSYS"));
  });
});

describe("argument registers", () => {
  beforeEach(() => writeFile(libc, "/tmp/f", "0123456789"));

  it("reads descriptors and offsets as signed 32-bit values", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(sys(libc, "close", 0xffffffff)).toBe(neg("EBADF"));
    expect(sys(libc, "lseek", fd, 0xffffffff, SEEK_SET)).toBe(neg("EINVAL"));
    expect(sys(libc, "lseek", fd, 4, SEEK_SET)).toBe(4);
    expect(sys(libc, "lseek", fd, 0xfffffffe, SEEK_CUR)).toBe(2);
    expect(sys(libc, "pread64", fd, userBuffer(libc, 4), 4, 0xffffffff)).toBe(neg("EINVAL"));
  });

  it("reads sizes as unsigned: a count of 0xffffffff reads what there is", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    const buf = userBuffer(libc, 16);
    expect(sys(libc, "read", fd, buf, 0xffffffff)).toBe(10);
    expect(text(libc.task.mm.bytes(buf, 10))).toBe("0123456789");
  });
});

/** A call with a bad pointer in one argument; `ptr` is the bad pointer, the rest are good. */
type FaultCase = readonly [call: SyscallName, args: (ptr: number) => number[]];

describe("EFAULT", () => {
  /** fd 0: /tmp/f (O_RDWR), fd 1: /tmp (a directory). */
  let path: number;
  let buf: number;
  beforeEach(() => {
    writeFile(libc, "/tmp/f", "contents");
    libc.open("/tmp/f", O_RDWR);
    libc.open("/tmp", O_RDONLY | O_DIRECTORY);
    path = userString(libc, "/tmp/f");
    buf = userBuffer(libc, 4096);
  });

  const CASES: readonly FaultCase[] = [
    ["read", (p) => [0, p, 8]],
    ["write", (p) => [0, p, 8]],
    ["pread64", (p) => [0, p, 8, 0]],
    ["pwrite64", (p) => [0, p, 8, 0]],
    ["open", (p) => [p, O_RDONLY]],
    ["open", (p) => [p, O_CREAT | O_RDWR, 0o644]],
    ["openat", (p) => [AT_FDCWD, p, O_RDONLY]],
    ["creat", (p) => [p, 0o644]],
    ["stat", (p) => [p, buf]],
    ["stat", (p) => [path, p]],
    ["lstat", (p) => [p, buf]],
    ["lstat", (p) => [path, p]],
    ["fstat", (p) => [0, p]],
    ["statfs", (p) => [p, buf]],
    ["getdents64", (p) => [1, p, 4096]],
    ["getcwd", (p) => [p, 4096]],
    ["chdir", (p) => [p]],
    ["mkdir", (p) => [p, 0o755]],
    ["mkdirat", (p) => [AT_FDCWD, p, 0o755]],
    ["rmdir", (p) => [p]],
    ["unlink", (p) => [p]],
    ["unlinkat", (p) => [AT_FDCWD, p, 0]],
    ["rename", (p) => [p, path]],
    ["rename", (p) => [path, p]],
    ["renameat", (p) => [AT_FDCWD, path, AT_FDCWD, p]],
    ["symlink", (p) => [p, userString(libc, "/tmp/l")]],
    ["symlink", (p) => [path, p]],
    ["symlinkat", (p) => [path, AT_FDCWD, p]],
    ["readlink", (p) => [p, buf, 100]],
    ["mknod", (p) => [p, S_IFREG | 0o644, 0]],
    ["mknodat", (p) => [AT_FDCWD, p, S_IFREG | 0o644, 0]],
    ["truncate", (p) => [p, 0]],
    ["chmod", (p) => [p, 0o700]],
    ["fchmodat", (p) => [AT_FDCWD, p, 0o700]],
    ["chown", (p) => [p, 1, 1]],
    ["lchown", (p) => [p, 1, 1]],
    ["fchownat", (p) => [AT_FDCWD, p, 1, 1, 0]],
    ["utimes", (p) => [p, 0]],
    ["futimesat", (p) => [AT_FDCWD, p, 0]],
    ["utimensat", (p) => [AT_FDCWD, p, 0, 0]],
    ["mount", (p) => [userString(libc, "none"), p, userString(libc, "devtmpfs"), 0, 0]],
    ["mount", (p) => [userString(libc, "none"), userString(libc, "/mnt"), p, 0, 0]],
    ["umount2", (p) => [p, 0]],
    ["execve", (p) => [p, 0, 0]],
    ["execveat", (p) => [AT_FDCWD, p, 0, 0, 0]],
  ];

  const POINTERS = [["0xfffff000", BAD_PTR], ["NULL", 0]] as const;

  it.each(CASES.flatMap(([call, args]) => POINTERS.map(([label, ptr]) => [call, label, ptr, args] as const)))(
    "%s with a %s pointer gives EFAULT and changes nothing",
    (call, _label, ptr, args) => {
      const before = [tree(libc, "/tmp"), text(libc.readFile("/proc/mounts")), libc.getcwd(), sys(libc, "lseek", 0, 0, SEEK_CUR)];
      expect(sys(libc, call, ...args(ptr))).toBe(neg("EFAULT"));
      expect([tree(libc, "/tmp"), text(libc.readFile("/proc/mounts")), libc.getcwd(), sys(libc, "lseek", 0, 0, SEEK_CUR)]).toEqual(before);
    },
  );

  it("gives EFAULT for a buffer that starts inside the task's memory and runs past its end", () => {
    const end = libc.task.mm.memory.buffer.byteLength;
    expect(sys(libc, "stat", path, end - STAT_LAYOUT.size + 1)).toBe(neg("EFAULT"));
    expect(sys(libc, "read", 0, end - 4, 8)).toBe(neg("EFAULT"));
    expect(sys(libc, "lseek", 0, 0, SEEK_CUR)).toBe(0);
    expect(sys(libc, "stat", path, end - STAT_LAYOUT.size)).toBe(0);
  });
});
