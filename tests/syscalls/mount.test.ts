// mount(2) and umount2(2) by their registers: NULL source and data, the order of their checks, and the
// umount2 flags. What mounts do is tested in tests/fs/namespace.test.ts.

import { beforeEach, describe, expect, it } from "vitest";
import { MNT_DETACH, MNT_FORCE, UMOUNT_NOFOLLOW } from "../../abi/fcntl.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliRunner } from "../helpers.js";
import { boot, neg, sys, text, userString } from "../vfs_helpers.js";

let libc: Libc;
beforeEach(() => {
  libc = boot().libc;
  libc.mkdir("/mnt/x");
  libc.symlink("/mnt/x", "/tmp/lx");
});

const str = (s: string) => userString(libc, s);
const mounts = () => text(libc.readFile("/proc/mounts"));

describe("mount", () => {
  it("takes NULL for the source (shown as none) and for the data", () => {
    expect(sys(libc, "mount", 0, str("/mnt/x"), str("devtmpfs"), 0, 0)).toBe(0);
    expect(mounts()).toContain("none /mnt/x devtmpfs rw,relatime 0 0\n");
  });

  it("walks to the mount point before it looks the type up: ENOENT before ENODEV", () => {
    expect(sys(libc, "mount", 0, str("/mnt/missing"), str("nosuchfs"), 0, 0)).toBe(neg("ENOENT"));
    expect(sys(libc, "mount", 0, str("/mnt/x"), str("nosuchfs"), 0, 0)).toBe(neg("ENODEV"));
  });

  it("follows a symlink to the mount point", () => {
    expect(sys(libc, "mount", 0, str("/tmp/lx"), str("devtmpfs"), 0, 0)).toBe(0);
    expect(mounts()).toContain("none /mnt/x devtmpfs");
  });
});

describe("umount2", () => {
  beforeEach(() => libc.mount("devtmpfs", "/mnt/x", "devtmpfs"));

  it("follows a symlink to the mount, unless UMOUNT_NOFOLLOW says not to (EINVAL: the link is no mount)", () => {
    expect(sys(libc, "umount2", str("/tmp/lx"), UMOUNT_NOFOLLOW)).toBe(neg("EINVAL"));
    expect(sys(libc, "umount2", str("/tmp/lx"), 0)).toBe(0);
    expect(mounts()).not.toContain("/mnt/x");
  });

  it("accepts MNT_FORCE and refuses an unknown flag with EINVAL", () => {
    expect(sys(libc, "umount2", str("/mnt/x"), 0x10)).toBe(neg("EINVAL"));
    expect(mounts()).toContain("/mnt/x");
    expect(sys(libc, "umount2", str("/mnt/x"), MNT_FORCE)).toBe(0);
  });

  it("refuses lazy unmount (MNT_DETACH) with EINVAL and keeps the mount, as the shell's syscall shows", async () => {
    const run = cliRunner(new Kernel());
    expect(await run("mount -t devtmpfs dev /mnt")).toEqual({ status: 0, out: "", err: "" });
    expect(await run(`syscall umount2 /mnt ${MNT_DETACH}`)).toEqual({ status: 1, out: "syscall(umount2) = -1 EINVAL (Invalid argument)\n", err: "" });
    expect((await run("mount -t devtmpfs")).out).toBe("devtmpfs on /dev type devtmpfs (rw,relatime)\ndev on /mnt type devtmpfs (rw,relatime)\n");
    expect(await run("syscall umount2 /mnt 0")).toEqual({ status: 0, out: "syscall(umount2) = 0\n", err: "" });
  });
});
