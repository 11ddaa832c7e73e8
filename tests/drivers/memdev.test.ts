import { beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY, O_RDWR, O_WRONLY, SEEK_SET } from "../../abi/fcntl.js";
import { makedev, S_IFCHR, S_IFMT } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { chrdevConformance } from "../../testing/index.js";
import { dmesg, loadBytes } from "../helpers.js";

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.insmod(loadBytes("memdev"));
});

describe("memdev", () => {
  it("registers major 1 as mem and makes /dev/null, /dev/zero and /dev/full", () => {
    expect(k.read("/proc/devices")).toBe("Character devices:\n  1 mem\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
    for (const [name, minor] of [["null", 3], ["zero", 5], ["full", 7]] as const) {
      const st = sh.stat(`/dev/${name}`);
      expect(st.mode & S_IFMT).toBe(S_IFCHR);
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.rdev).toBe(makedev(1, minor));
    }
  });

  it("null reads as end of file and swallows writes", () => {
    const fd = sh.open("/dev/null", O_RDWR);
    expect(sh.read(fd, 100)).toEqual(new Uint8Array());
    expect(sh.write(fd, "gone")).toBe(4);
  });

  it("zero reads as zeros of any length and swallows writes", () => {
    const fd = sh.open("/dev/zero", O_RDWR);
    const data = sh.read(fd, 10000);
    expect(data.length).toBe(10000);
    expect(data.every((b) => b === 0)).toBe(true);
    expect(sh.write(fd, "x")).toBe(1);
    expect(sh.lseek(fd, 1234, SEEK_SET)).toBe(0);
  });

  it("full reads as zeros and refuses writes with ENOSPC", () => {
    const fd = sh.open("/dev/full", O_RDWR);
    expect(sh.read(fd, 4)).toEqual(new Uint8Array(4));
    expect(() => sh.write(fd, "x")).toThrow(expect.objectContaining({ code: "ENOSPC" }));
  });

  it("gives EFAULT for a buffer outside the reader's memory", () => {
    const fd = sh.open("/dev/zero", O_RDONLY);
    expect(sh.syscall(0, fd, 0xfffff000, 100)).toBe(-14);
  });

  it("holds the module while a device is open: rmmod is refused until the last close", () => {
    const a = sh.open("/dev/zero", O_RDONLY);
    const b = sh.dup(a);
    expect(k.modules.find("memdev")!.refcnt).toBe(1);
    expect(() => k.rmmod("memdev")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.close(a);
    expect(() => k.rmmod("memdev")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.close(b);
    k.rmmod("memdev");
    expect(sh.readdir("/dev").map((d) => d.name)).toEqual([".", "..", "pts", "tty", "console", "ptmx"]);
    expect(k.read("/proc/devices")).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
  });

  it("a node whose major has no driver gives ENXIO", () => {
    k.rmmod("memdev");
    sh.mknod("/dev/zero", S_IFCHR | 0o666, makedev(1, 5));
    expect(() => sh.open("/dev/zero", O_RDONLY)).toThrow(expect.objectContaining({ code: "ENXIO" }));
    expect(dmesg(k).filter((l) => l.includes("memdev"))).toEqual(["memdev: /dev/null, /dev/zero and /dev/full on major 1"]);
  });

  it("an unknown minor of its major gives ENXIO", () => {
    sh.mknod("/dev/mem9", S_IFCHR | 0o666, makedev(1, 9));
    expect(() => sh.open("/dev/mem9", O_WRONLY)).toThrow(expect.objectContaining({ code: "ENXIO" }));
    expect(k.modules.find("memdev")!.refcnt).toBe(0);
  });
});

// /dev/null keeps nothing and does not seek: of the toolkit's character device checks, open and release apply.
chrdevConformance({ module: loadBytes("memdev"), device: "/dev/null" });
