// register_chrdev's major numbers: the dynamic search as Linux's find_dynamic_major() makes it, and its
// refusals past the ranges, each leaving /proc/devices as it was; regions of a major's minors.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDWR } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import { dmesg, expectErrno, expectRefused } from "../helpers.js";

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

const register = (major: number, name = "dyn") => k.chrdevs.register(major, name, {}, null);
const devices = () => k.read("/proc/devices");
const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

describe("a dynamic major", () => {
  it("comes from 254 down to 234, then from 511 down to 384, then the region is full (EBUSY)", () => {
    const got = Array.from({ length: 21 + 128 }, () => register(0));
    expect(got).toEqual([...range(254, 234), ...range(511, 384)]);
    k.log.clear();
    expectRefused(devices, () => register(0, "late"), "EBUSY", "late: no dynamic major left");
    expect(dmesg(k)).toEqual(['CHRDEV "late" dynamic allocation region is full']);
  });

  it("skips, in the first range, a major whose hash slot (major % 255) is taken", () => {
    register(509, "high");
    register(252, "fixed");
    // 509 shares 254's slot and 252 is its own: the first dynamic majors are 253, then 251.
    expect([register(0, "a"), register(0, "b")]).toEqual([253, 251]);
    expect(devices()).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n251 b\n252 fixed\n253 a\n509 high\n\nBlock devices:\n259 blkext\n");
  });
});

describe("a fixed major", () => {
  it("past 511 is refused with EINVAL and Linux's message", () => {
    k.log.clear();
    expectRefused(devices, () => register(600, "x"), "EINVAL", "x: major 600 is too large");
    expect(dmesg(k)).toEqual(['CHRDEV "x" major requested (600) is greater than the maximum (511)']);
  });

  it("already taken is refused with EBUSY, naming its owner", () => {
    register(240, "first");
    expectRefused(devices, () => register(240, "second"), "EBUSY", "second: major 240 is taken by first");
  });
});

describe("a region of minors", () => {
  it("shares a major with other regions, each line of /proc/devices its own, in minor order", () => {
    k.chrdevs.register(240, "high", {}, null, 2, 1);
    k.chrdevs.register(240, "low", {}, null, 0, 2);
    expect(devices()).toMatch(/\n  5 \/dev\/ptmx\n240 low\n240 high\n\nBlock devices:/);
  });

  it("overlapping another is refused with EBUSY, naming the holder", () => {
    k.chrdevs.register(240, "low", {}, null, 0, 2);
    expectRefused(devices, () => k.chrdevs.register(240, "over", {}, null, 1, 4), "EBUSY", "over: major 240 is taken by low");
    expectRefused(devices, () => register(5, "whole"), "EBUSY", "whole: major 5 is taken by /dev/tty");
  });

  it("opens only the minors it covers: another minor of the major has no driver (ENXIO)", () => {
    const sh = k.spawn("sh");
    sh.mknod("/dev/tty5", S_IFCHR | 0o666, makedev(5, 5));
    expectErrno(() => sh.open("/dev/tty5", O_RDWR), "ENXIO");
  });
});
