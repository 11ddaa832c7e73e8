// register_chrdev's major numbers: the dynamic search as Linux's find_dynamic_major() makes it, and its
// refusals past the ranges, each leaving /proc/devices as it was.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { dmesg, expectRefused } from "../helpers.js";

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
