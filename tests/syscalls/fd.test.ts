// dup(2), dup2(2), ioctl(2), fsync(2), sync(2) and getpid(2).

import { beforeEach, describe, expect, it } from "vitest";
import { O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import type { File } from "../../host/fs/fs.js";
import { NR_OPEN_DEFAULT } from "../../host/fs/file.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectErrno } from "../helpers.js";
import { boot, neg, sys, text, writeFile } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
  writeFile(libc, "/tmp/f", "0123456789");
});

describe("dup and dup2", () => {
  it("dup gives the lowest free descriptor, sharing the open file's offset and flags", () => {
    const fd = libc.open("/tmp/f", O_RDWR | O_APPEND);
    const copy = libc.dup(fd);
    expect(copy).toBe(fd + 1);
    libc.write(copy, "!");
    expect(libc.lseek(fd, 0, SEEK_CUR)).toBe(11);
    libc.write(fd, "?");
    expect(text(libc.readFile("/tmp/f"))).toBe("0123456789!?");
    libc.close(fd);
    expect(libc.lseek(copy, -2, SEEK_CUR)).toBe(10);
    expect(libc.dup(copy)).toBe(fd);
  });

  it("dup2 onto an open descriptor closes it silently and shares the offset", () => {
    const a = libc.open("/tmp/f", O_RDONLY);
    const b = libc.open("/tmp/f", O_RDONLY);
    libc.read(a, 4);
    expect(libc.dup2(a, b)).toBe(b);
    expect(text(libc.read(b, 2))).toBe("45");
    expect(text(libc.read(a, 2))).toBe("67");
  });

  it("dup2 onto itself returns it and closes nothing", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(libc.dup2(fd, fd)).toBe(fd);
    expect(text(libc.read(fd, 3))).toBe("012");
  });

  it("dup2 to a free descriptor far up the table takes exactly that one", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(libc.dup2(fd, 100)).toBe(100);
    expect(libc.open("/tmp/f", O_RDONLY)).toBe(fd + 1);
    expect(text(libc.read(100, 1))).toBe("0");
  });

  it("refuses an old descriptor that is not open (EBADF), leaving the new one open", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    expectErrno(() => libc.dup(42), "EBADF");
    expectErrno(() => libc.dup2(42, fd), "EBADF");
    expectErrno(() => libc.dup2(42, 42), "EBADF");
    expect(text(libc.read(fd, 1))).toBe("0");
  });

  it(`refuses a new descriptor below 0 or from ${NR_OPEN_DEFAULT} up with EBADF`, () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    expect(sys(libc, "dup2", fd, -1)).toBe(neg("EBADF"));
    expect(sys(libc, "dup2", fd, NR_OPEN_DEFAULT)).toBe(neg("EBADF"));
    expect(libc.dup2(fd, NR_OPEN_DEFAULT - 1)).toBe(NR_OPEN_DEFAULT - 1);
  });

  it("refuses dup with EMFILE when the table is full", () => {
    const fd = libc.open("/tmp/f", O_RDONLY);
    for (let i = 1; i < NR_OPEN_DEFAULT; i++) libc.dup(fd);
    expectErrno(() => libc.dup(fd), "EMFILE");
  });

  it("releases the file only when its last descriptor closes", () => {
    libc.mkdir("/mnt/x");
    libc.mount("devtmpfs", "/mnt/x", "devtmpfs");
    writeFile(libc, "/mnt/x/f", "");
    const fd = libc.open("/mnt/x/f", O_RDONLY);
    const copy = libc.dup(fd);
    libc.close(fd);
    expectErrno(() => libc.umount("/mnt/x"), "EBUSY");
    libc.close(copy);
    libc.umount("/mnt/x");
  });
});

describe("ioctl", () => {
  it("hands the command and argument to the driver and returns its answer", () => {
    const seen: [number, number][] = [];
    k.chrdevs.register(240, "demo", { ioctl: (_f: File, cmd: number, arg: number) => (seen.push([cmd, arg]), 7) }, null);
    libc.mknod("/dev/demo", S_IFCHR | 0o600, makedev(240, 0));
    const fd = libc.open("/dev/demo", O_RDWR);
    expect(sys(libc, "ioctl", fd, 0x80045401, 1234)).toBe(7);
    expect(seen).toEqual([[0x80045401, 1234]]);
  });

  it("answers the generic commands itself: FIOCLEX/FIONCLEX, FIONBIO and FIONREAD on a regular file", () => {
    const fd = libc.open("/tmp/f", O_RDONLY | O_CLOEXEC);
    expect(libc.task.files.isCloexec(fd)).toBe(true);
    expect(sys(libc, "ioctl", fd, 0x5450, 0)).toBe(0);
    expect(libc.task.files.isCloexec(fd)).toBe(false);
    expect(sys(libc, "ioctl", fd, 0x5451, 0)).toBe(0);
    expect(libc.task.files.isCloexec(fd)).toBe(true);
    const box = libc.task.mm.sbrk(4);
    const view = () => new DataView(libc.task.mm.memory.buffer);
    view().setInt32(box, 1, true);
    expect(sys(libc, "ioctl", fd, 0x5421, box)).toBe(0);
    expect(libc.task.files.get(fd).flags & O_NONBLOCK).toBe(O_NONBLOCK);
    libc.lseek(fd, 2, 0);
    expect(sys(libc, "ioctl", fd, 0x541b, box)).toBe(0);
    expect(view().getInt32(box, true)).toBe(libc.fstat(fd).size - 2);
    expect(sys(libc, "ioctl", fd, 0x541b, 0xfffff000)).toBe(neg("EFAULT"));
  });

  it("gives ENOTTY where nothing handles ioctl, EBADF for a descriptor that is not open", () => {
    for (const path of ["/tmp/f", "/tmp", "/proc/mounts"]) expect(sys(libc, "ioctl", libc.open(path, O_RDONLY), 0x5401, 0)).toBe(neg("ENOTTY"));
    expect(sys(libc, "ioctl", 99, 0x5401, 0)).toBe(neg("EBADF"));
  });
});

describe("fsync and sync", () => {
  it("fsync succeeds on files and directories, however they were opened", () => {
    for (const [path, flags] of [["/tmp/f", O_WRONLY], ["/tmp/f", O_RDONLY], ["/tmp", O_RDONLY]] as const) {
      expect(sys(libc, "fsync", libc.open(path, flags)), `${path} ${flags}`).toBe(0);
    }
  });

  it("fsync gives EINVAL where the filesystem has no fsync, EBADF for a descriptor that is not open", () => {
    expectErrno(() => libc.fsync(libc.open("/proc/mounts", O_RDONLY)), "EINVAL");
    expectErrno(() => libc.fsync(99), "EBADF");
  });

  it("sync returns 0", () => {
    expect(sys(libc, "sync")).toBe(0);
  });
});

describe("getpid", () => {
  it("gives init pid 1 and each new task the next pid", () => {
    expect(k.init.pid).toBe(1);
    const pid = libc.getpid();
    expect(pid).toBe(2);
    expect(k.spawn("next").getpid()).toBe(pid + 1);
    expect(libc.getpid()).toBe(pid);
  });
});
