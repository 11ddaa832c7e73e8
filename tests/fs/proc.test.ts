// procfs (host/fs/proc/*, host/fs/kernfs_mount.ts): /proc/filesystems, /proc/mounts' neighbours
// /proc/devices, /proc/self and /proc/PID/{fd,cwd,comm}, and what a task may not do in /proc.

import { beforeEach, describe, expect, it } from "vitest";
import { O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { makedev, S_IFCHR, S_IFREG } from "../../abi/stat.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused } from "../helpers.js";
import { boot, names, text, tree, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
});

const read = (path: string) => text(libc.readFile(path));

describe("/proc/filesystems", () => {
  it("lists the registered types, nodev for those without a block device", () => {
    expect(read("/proc/filesystems")).toBe("nodev\tsysfs\nnodev\trootfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdebugfs\nnodev\tdevpts\n");
  });
});

describe("/proc/devices", () => {
  it("lists the character majors in ascending order, then the block section", () => {
    expect(read("/proc/devices")).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
    k.chrdevs.register(240, "demo", {}, null);
    k.chrdevs.register(4, "tty", {}, null);
    expect(read("/proc/devices")).toBe("Character devices:\n  4 tty\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n240 demo\n\nBlock devices:\n259 blkext\n");
  });
});

describe("/proc/self and /proc/PID", () => {
  it("points /proc/self at the reading task's own directory", () => {
    const other = k.spawn("other");
    expect(libc.readlink("/proc/self")).toBe(String(libc.getpid()));
    expect(other.readlink("/proc/self")).toBe(String(other.getpid()));
    expect(libc.stat("/proc/self").ino).toBe(libc.stat(`/proc/${libc.getpid()}`).ino);
    expect(read("/proc/self/comm")).toBe("test\n");
  });

  it("lists self and every task's pid in /proc, and forgets a task when it exits", () => {
    const other = k.spawn("other");
    const pid = other.getpid();
    expect(names(libc, "/proc")).toEqual(expect.arrayContaining(["self", "1", String(libc.getpid()), String(pid), "mounts"]));
    expect(names(libc, `/proc/${pid}`)).toEqual(["comm", "cwd", "fd"]);
    k.tasks.exit(other.task);
    expect(names(libc, "/proc")).not.toContain(String(pid));
    expectErrno(() => libc.stat(`/proc/${pid}`), "ENOENT");
  });

  it("lists a task's open descriptors in /proc/PID/fd, each a link to its file's path", () => {
    writeFile(libc, "/tmp/f", "");
    const fd = libc.open("/tmp/f", O_RDONLY);
    const dirFd = libc.open("/tmp", O_RDONLY);
    expect(names(libc, "/proc/self/fd")).toEqual(expect.arrayContaining([String(fd), String(dirFd)]));
    expect(libc.readlink(`/proc/self/fd/${fd}`)).toBe("/tmp/f");
    expect(libc.readlink(`/proc/self/fd/${dirFd}`)).toBe("/tmp");
    libc.close(dirFd);
    expectErrno(() => libc.readlink(`/proc/self/fd/${dirFd}`), "ENOENT");
  });

  it("follows a file through rename, and marks it (deleted) once unlinked", () => {
    writeFile(libc, "/tmp/f", "");
    const fd = libc.open("/tmp/f", O_RDONLY);
    libc.rename("/tmp/f", "/tmp/g");
    expect(libc.readlink(`/proc/self/fd/${fd}`)).toBe("/tmp/g");
    libc.unlink("/tmp/g");
    expect(libc.readlink(`/proc/self/fd/${fd}`)).toBe("/tmp/g (deleted)");
  });

  it("shows another task's descriptors, cwd and comm", () => {
    const other = k.spawn("other");
    other.mkdir("/tmp/work");
    other.chdir("/tmp/work");
    const fd = other.open("/tmp/work/log", O_CREAT | O_WRONLY);
    const pid = other.getpid();
    expect(names(libc, `/proc/${pid}/fd`)).toEqual([String(fd)]);
    expect(libc.readlink(`/proc/${pid}/fd/${fd}`)).toBe("/tmp/work/log");
    expect(libc.readlink(`/proc/${pid}/cwd`)).toBe("/tmp/work");
    expect(read(`/proc/${pid}/comm`)).toBe("other\n");
  });
});

describe("changes in /proc", () => {
  it("refuses to create (EACCES) and to make, remove or rename anything else (EPERM)", () => {
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.open("/proc/sys/new", O_CREAT | O_WRONLY), "EACCES");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.mknod("/proc/sys/new", S_IFREG | 0o644), "EACCES");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.mknod("/proc/sys/new", S_IFCHR | 0o644, makedev(1, 3)), "EPERM");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.mkdir("/proc/sys/new"), "EPERM");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.symlink("x", "/proc/sys/new"), "EPERM");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.rmdir("/proc/sys/kernel"), "EPERM");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.unlink("/proc/sys/kernel/tainted"), "EPERM");
    expectRefused(() => tree(libc, "/proc/sys"), () => libc.rename("/proc/sys/kernel", "/proc/sys/k"), "EPERM");
  });

  it("refuses to open a read-only file for writing with EACCES", () => {
    expectErrno(() => libc.open("/proc/sys/kernel/tainted", O_WRONLY), "EACCES");
  });
});
