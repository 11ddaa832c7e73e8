// devpts (host/fs/devpts.ts): mounted on /dev/pts at boot, and the devpts a ptmx node opens its pair in,
// found as devpts_acquire() finds it: the node's own devpts, or the one on "pts" beside it.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDWR } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { TIOCGPTN, TIOCSPTLCK } from "../../abi/termios.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { expectRefused, snapshot } from "../helpers.js";
import { int, intOf } from "../drivers/tty/tty_helpers.js";

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("term");
});

const ptn = (fd: number) => intOf(sh.ioctl(fd, TIOCGPTN, int(-1)).data);
const names = (dir: string) => sh.readdir(dir).map((d) => d.name);
/** What a refused ptmx open must leave alone: the kernel, the task's descriptors, the slaves devpts shows. */
const state = () => [snapshot(k), names("/proc/self/fd"), names("/dev/pts")];

describe("devpts at boot", () => {
  it("is mounted on /dev/pts as systemd mounts it, so /dev/ptmx and its slave open with no setup", () => {
    expect(k.read("/proc/mounts")).toContain("devtmpfs /dev devtmpfs rw,relatime 0 0\n");
    expect(k.read("/proc/mounts")).toMatch(/\ndevpts \/dev\/pts devpts rw,nosuid,noexec,relatime,mode=620,ptmxmode=000 0 0\n$/);
    const m = sh.open("/dev/ptmx", O_RDWR);
    const n = ptn(m);
    expect(n).toBe(0);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const s = sh.open(`/dev/pts/${n}`, O_RDWR);
    sh.write(m, "hi\n");
    expect(new TextDecoder().decode(sh.read(s, 16))).toBe("hi\n");
    expect(names("/dev/pts")).toEqual([".", "..", "ptmx", "0"]);
  });
});

describe("a ptmx node (devpts_acquire)", () => {
  it("made with mknod opens a pair where a devpts is on pts beside it: in /dev, and in /mnt once one is mounted there", () => {
    sh.mknod("/dev/ptmx2", S_IFCHR | 0o666, makedev(5, 2));
    expect(ptn(sh.open("/dev/ptmx2", O_RDWR))).toBe(0);
    sh.mknod("/mnt/ptmx", S_IFCHR | 0o666, makedev(5, 2));
    sh.mkdir("/mnt/pts", 0o755);
    expectRefused(state, () => sh.open("/mnt/ptmx", O_RDWR), "ENODEV", "/mnt/ptmx: No such device");
    sh.mount("devpts", "/mnt/pts", "devpts");
    expect(ptn(sh.open("/mnt/ptmx", O_RDWR))).toBe(1);
  });

  it("with no pts beside it gives ENOENT and allocates nothing", () => {
    sh.mknod("/tmp/ptmx", S_IFCHR | 0o666, makedev(5, 2));
    expectRefused(state, () => sh.open("/tmp/ptmx", O_RDWR), "ENOENT", "/tmp/ptmx: No such file or directory");
    expect(ptn(sh.open("/dev/ptmx", O_RDWR))).toBe(0);
  });

  it("gives ENODEV once /dev/pts is unmounted, leaving the pairs as they were; mounting devpts again brings /dev/ptmx back", () => {
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.umount("/dev/pts");
    expectRefused(state, () => sh.open("/dev/ptmx", O_RDWR), "ENODEV");
    sh.mount("devpts", "/dev/pts", "devpts");
    expect(names("/dev/pts")).toEqual([".", "..", "ptmx", "0"]);
    expect([ptn(m), ptn(sh.open("/dev/ptmx", O_RDWR))]).toEqual([0, 1]);
  });
});
