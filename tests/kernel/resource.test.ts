// I/O port regions: claiming, overlaps, /proc/ioports, access confined to a module's regions, reclaim.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { dmesg, ownerModule } from "../helpers.js";

const a = ownerModule("a");
const b = ownerModule("b");

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("I/O port regions", () => {
  it("claims free ranges, refuses overlapping or out-of-range ones, and lists them in /proc/ioports", () => {
    expect(k.ioports.request(0x3f8, 8, "serial", a)).not.toBeNull();
    expect(k.ioports.request(0x3fc, 8, "other", b)).toBeNull();
    expect(k.ioports.request(0xfffc, 8, "high", b)).toBeNull();
    expect(k.ioports.request(0x40, 4, "timer0", b)).not.toBeNull();
    expect(k.read("/proc/ioports")).toBe("0040-0043 : timer0\n03f8-03ff : serial\n");
  });

  it("confines port access to the caller's regions, warning once per port", () => {
    k.machine.attach("uart16550");
    k.ioports.request(0x3f8, 8, "serial", a);
    k.ioports.out(a, 0x5a, 0x3ff, 1);
    expect(k.ioports.in(a, 0x3ff, 1)).toBe(0x5a);
    expect(k.ioports.in(b, 0x3ff, 1)).toBe(0xff);
    expect(k.ioports.in(b, 0x3ff, 1)).toBe(0xff);
    k.ioports.out(b, 0, 0x3ff, 1);
    expect(k.ioports.in(a, 0x3ff, 1)).toBe(0x5a);
    expect(dmesg(k)).toEqual(["b: access to port 03ff outside its requested regions refused"]);
  });

  it("warns when freeing a region nobody holds, and reclaims what a module kept", () => {
    expect(() => k.ioports.release(0x60, 1, a)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(dmesg(k)).toEqual(["Trying to free nonexistent resource <0060-0060>"]);
    k.ioports.request(0x3f8, 8, "serial", a);
    expect(k.ioports.reclaim(a)).toEqual(["I/O ports 03f8-03ff (serial) still requested at unload; released"]);
    expect(k.read("/proc/ioports")).toBe("");
  });
});
