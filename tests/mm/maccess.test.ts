// The names modules give the objects the kernel shows by name: checked where they cross into the host, so
// that no module can forge a line of /proc/devices, /proc/interrupts, /proc/ioports or /proc/filesystems.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { dmesg, expectRefused, moduleFixtures } from "../helpers.js";

/** A module that registers one object named `name` (an AssemblyScript string literal) in its init. */
const naming = (call: string) => `
import { file_operations, file_system_type, register_chrdev, register_filesystem, request_irq, request_region,
  unregister_chrdev, unregister_filesystem, free_irq, release_region, IRQF_SHARED } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const fops = new file_operations();
const fs = new file_system_type();
function handler(irq: i32, dev: u32): i32 { return 0; }
function mount(a: i32, b: i32, c: i32, d: i32): i32 { return -19; }
function kill(sb: u32): void {}
export function init_module(): i32 {
  fs.mount = mount.index;
  fs.kill_sb = kill.index;
  ${call}
}
export function cleanup_module(): void {}
`;

const LONG = "d".repeat(80);
const fixtures = moduleFixtures("maccess", {
  chr_newline: naming('const r = register_chrdev(0, "fake\\n250 forged", fops); return r < 0 ? r : 0;'),
  chr_long: naming(`const r = register_chrdev(0, "${LONG}", fops); return r < 0 ? r : 0;`),
  fs_dot: naming('fs.name = "my.fs"; return register_filesystem(fs);'),
  irq_newline: naming('return request_irq(5, handler.index, IRQF_SHARED, "x\\n  9: forged", 1);'),
  region_empty: naming('return request_region(0x300, 8, "") ? 0 : -16;'),
});

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("a name with a control character, or one Linux refuses", () => {
  it("a character device name with a newline: the load fails with EINVAL, naming what was wrong", () => {
    expectRefused(k, () => k.insmod(fixtures.get("chr_newline")!), "EINVAL");
    expect(dmesg(k)).toContain('chr_newline: character device name "fake\\n250 forged" holds "\\n"');
    expect(k.read("/proc/devices")).not.toMatch(/forged/);
  });

  it("a filesystem name with a '.' (register_filesystem BUG()s on one): EINVAL", () => {
    expectRefused(k, () => k.insmod(fixtures.get("fs_dot")!), "EINVAL");
    expect(dmesg(k)).toContain('fs_dot: filesystem name "my.fs" holds "."');
  });

  it("an interrupt name with a newline: EINVAL, and /proc/interrupts has no forged line", () => {
    expectRefused(k, () => k.insmod(fixtures.get("irq_newline")!), "EINVAL");
    expect(k.read("/proc/interrupts")).not.toMatch(/forged/);
  });

  it("an empty I/O region name: the region is refused", () => {
    expectRefused(k, () => k.insmod(fixtures.get("region_empty")!), "EBUSY");
    expect(k.read("/proc/ioports")).not.toMatch(/0300/);
  });
});

describe("a character device name longer than Linux's name[64]", () => {
  it("is cut to 63 characters, as strscpy cuts it", () => {
    k.insmod(fixtures.get("chr_long")!);
    expect(k.read("/proc/devices")).toMatch(new RegExp(`^\\s*\\d+ ${"d".repeat(63)}\\n`, "m"));
  });
});
