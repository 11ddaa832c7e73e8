// ticker end to end: the emulated 8254 raising IRQ 0, the driver counting, /dev/ticker showing it.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDWR } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dmesg, loadBytes } from "../helpers.js";

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.machine.attach("pit");
});

const count = () => Number(new TextDecoder().decode(sh.readFile("/dev/ticker")));

describe("ticker", () => {
  it("programs the PIT and counts its interrupts at the rate asked", () => {
    k.insmod(loadBytes("ticker"), { args: "hz=100" });
    expect(count()).toBe(0);
    k.tick(1e9);
    // The driver's divisor, 1193182 / 100 = 11931, makes a period a shade under 10 ms: 100 in the second.
    expect(count()).toBe(100);
    expect(k.read("/proc/interrupts")).toMatch(/^ {2}0: +\d+ +XT-PIC +0-edge +ticker\n/m);
    expect(k.read("/proc/ioports")).toBe("0040-0043 : timer0\n");
  });

  it("warns from its watchdog timer when the interrupts stop", () => {
    k.insmod(loadBytes("ticker"), { args: "hz=50" });
    k.tick(1.5e9);
    k.irqs.disable(0);
    k.log.clear();
    k.tick(2e9);
    expect(dmesg(k)).toContain("ticker: no interrupt from the PIT for a second");
  });

  it("gives everything back at rmmod", () => {
    k.insmod(loadBytes("ticker"));
    k.tick(1e8);
    k.rmmod("ticker");
    expect(k.read("/proc/interrupts")).toBe("           CPU0       \n");
    expect(k.read("/proc/ioports")).toBe("");
    expect(sh.readdir("/dev").map((d) => d.name)).not.toContain("ticker");
    expect(dmesg(k).at(-1)).toMatch(/^ticker: stopped after \d+ ticks$/);
  });

  it("treats the operations it leaves empty as Linux does: write EINVAL, ioctl ENOTTY", () => {
    k.insmod(loadBytes("ticker"));
    const fd = sh.open("/dev/ticker", O_RDWR);
    expect(() => sh.write(fd, "1")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(sh.syscall(SYSCALLS.ioctl, fd, 0x5401, 0)).toBe(-25);
  });

  it("refuses a rate the PIT cannot make, leaving nothing behind", () => {
    expect(() => k.insmod(loadBytes("ticker"), { args: "hz=5" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(k.read("/proc/ioports")).toBe("");
  });
});
