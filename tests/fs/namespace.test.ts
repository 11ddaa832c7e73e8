// Mounts (host/fs/namespace.ts): mount(2) and umount2(2) through a task, /proc/mounts, read-only mounts,
// and umount refused with EBUSY while anything uses the filesystem.

import { beforeEach, describe, expect, it } from "vitest";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { S_IFREG } from "../../abi/stat.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno, expectRefused } from "../helpers.js";
import { boot, names, text, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
  libc.mkdir("/mnt/x");
});

const BOOT_MOUNTS =
  "rootfs / rootfs rw,relatime 0 0\ndevtmpfs /dev devtmpfs rw,relatime 0 0\nproc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n" +
  "debugfs /sys/kernel/debug debugfs rw,relatime 0 0\ndevpts /dev/pts devpts rw,nosuid,noexec,relatime,mode=620,ptmxmode=000 0 0\n";

const mounts = () => text(libc.readFile("/proc/mounts"));

describe("mount", () => {
  it("lists a new mount in /proc/mounts until it is unmounted", () => {
    expect(mounts()).toBe(BOOT_MOUNTS);
    libc.mount("devtmpfs", "/mnt/x", "devtmpfs");
    expect(mounts()).toBe(`${BOOT_MOUNTS}devtmpfs /mnt/x devtmpfs rw,relatime 0 0\n`);
    libc.umount("/mnt/x");
    expect(mounts()).toBe(BOOT_MOUNTS);
  });

  it("shows ro, nosuid, nodev and noexec in /proc/mounts, in Linux's order", () => {
    libc.mount("none", "/mnt/x", "devtmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    expect(mounts()).toBe(`${BOOT_MOUNTS}none /mnt/x devtmpfs ro,nosuid,nodev,noexec,relatime 0 0\n`);
  });

  it("escapes a space, tab or backslash in the device name and the mount point as octal", () => {
    libc.mkdir("/mnt/a b");
    libc.mount("dev\tname\\", "/mnt/a b", "devtmpfs");
    expect(mounts()).toContain("dev\\011name\\134 /mnt/a\\040b devtmpfs rw,relatime 0 0\n");
  });

  it("refuses an unknown type (ENODEV), a missing mount point (ENOENT) and a file (ENOTDIR)", () => {
    writeFile(libc, "/mnt/file", "");
    expectRefused(mounts, () => libc.mount("none", "/mnt/x", "nosuchfs"), "ENODEV");
    expectRefused(mounts, () => libc.mount("devtmpfs", "/mnt/missing", "devtmpfs"), "ENOENT");
    expectRefused(mounts, () => libc.mount("devtmpfs", "/mnt/file", "devtmpfs"), "ENOTDIR");
  });

  it("stacks a second mount over the first, and umount uncovers the one below", () => {
    libc.mount("first", "/mnt/x", "devtmpfs");
    writeFile(libc, "/mnt/x/one", "");
    libc.mount("second", "/mnt/x", "devtmpfs");
    expect(names(libc, "/mnt/x")).toEqual([]);
    libc.umount("/mnt/x");
    expect(names(libc, "/mnt/x")).toEqual(["one"]);
  });

  it("keeps the mount point from being removed or renamed over (EBUSY)", () => {
    libc.mkdir("/mnt/y");
    libc.mount("devtmpfs", "/mnt/x", "devtmpfs");
    expectErrno(() => libc.rmdir("/mnt/x"), "EBUSY");
    expectErrno(() => libc.rename("/mnt/x", "/mnt/z"), "EBUSY");
    expectErrno(() => libc.rename("/mnt/y", "/mnt/x"), "EBUSY");
    expect(names(libc, "/mnt").sort()).toEqual(["x", "y"]);
  });
});

describe("a read-only mount", () => {
  beforeEach(() => libc.mount("proc", "/mnt/x", "proc", MS_RDONLY));

  it("reads as usual", () => {
    expect(text(libc.readFile("/mnt/x/filesystems"))).toBe(text(libc.readFile("/proc/filesystems")));
  });

  it("refuses every change with EROFS", () => {
    expectErrno(() => libc.open("/mnt/x/new", O_CREAT | O_WRONLY), "EROFS");
    expectErrno(() => libc.open("/mnt/x/mounts", O_WRONLY), "EROFS");
    expectErrno(() => libc.open("/mnt/x/mounts", O_RDONLY | O_TRUNC), "EROFS");
    expectErrno(() => libc.truncate("/mnt/x/mounts", 0), "EROFS");
    expectErrno(() => libc.mkdir("/mnt/x/d"), "EROFS");
    expectErrno(() => libc.mknod("/mnt/x/n", S_IFREG | 0o644), "EROFS");
    expectErrno(() => libc.symlink("t", "/mnt/x/l"), "EROFS");
    expectErrno(() => libc.unlink("/mnt/x/mounts"), "EROFS");
    expectErrno(() => libc.rmdir("/mnt/x/sys"), "EROFS");
    expectErrno(() => libc.rename("/mnt/x/mounts", "/mnt/x/m"), "EROFS");
  });

  it("says EROFS before it looks the name up, as mnt_want_write() comes first", () => {
    expectErrno(() => libc.unlink("/mnt/x/missing"), "EROFS");
    expectErrno(() => libc.rmdir("/mnt/x/missing"), "EROFS");
    expectErrno(() => libc.rename("/mnt/x/missing", "/mnt/x/m"), "EROFS");
  });
});

describe("umount", () => {
  beforeEach(() => {
    libc.mount("devtmpfs", "/mnt/x", "devtmpfs");
    libc.mkdir("/mnt/x/d");
    writeFile(libc, "/mnt/x/f", "data");
  });

  it("is refused with EBUSY while a file on it is open, and works once it is closed", () => {
    const fd = libc.open("/mnt/x/f", O_RDONLY);
    expectRefused(mounts, () => libc.umount("/mnt/x"), "EBUSY");
    libc.close(fd);
    libc.umount("/mnt/x");
  });

  it("is refused with EBUSY while a directory on it is open", () => {
    const fd = libc.open("/mnt/x", O_RDONLY | O_DIRECTORY);
    expectRefused(mounts, () => libc.umount("/mnt/x"), "EBUSY");
    libc.close(fd);
    libc.umount("/mnt/x");
  });

  it("is refused with EBUSY while a task's cwd is inside it, and works once the task leaves or exits", () => {
    const other = k.spawn("other");
    other.chdir("/mnt/x/d");
    expectRefused(mounts, () => libc.umount("/mnt/x"), "EBUSY");
    other.chdir("/");
    other.chdir("/mnt/x");
    expectRefused(mounts, () => libc.umount("/mnt/x"), "EBUSY");
    k.tasks.exit(other.task);
    libc.umount("/mnt/x");
  });

  it("is refused with EBUSY while another filesystem is mounted below it", () => {
    libc.mount("devtmpfs", "/mnt/x/d", "devtmpfs");
    expectRefused(mounts, () => libc.umount("/mnt/x"), "EBUSY");
    libc.umount("/mnt/x/d");
    libc.umount("/mnt/x");
  });

  it("is refused for a path that is not a mount's root (EINVAL), for / (EBUSY) and a missing path (ENOENT)", () => {
    expectRefused(mounts, () => libc.umount("/mnt/x/d"), "EINVAL");
    expectRefused(mounts, () => libc.umount("/tmp"), "EINVAL");
    expectRefused(mounts, () => libc.umount("/"), "EBUSY");
    expectRefused(mounts, () => libc.umount("/mnt/missing"), "ENOENT");
  });
});
