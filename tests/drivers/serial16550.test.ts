// serial16550 end to end: the emulated 16550A, its interrupts, the driver's rings and wait queues.

import { beforeEach, describe, expect, it } from "vitest";
import { O_NONBLOCK, O_RDWR } from "../../abi/fcntl.js";
import { POLLIN, POLLOUT } from "../../abi/poll.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { SerialLine } from "../../host/hw/machine.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dmesg, expectRefused, loadBytes } from "../helpers.js";

let k: Kernel;
let sh: Libc;
let com1: SerialLine;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.machine.attach("uart16550", { port: 0x3f8, irq: 4 });
  com1 = k.machine.line("uart0");
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const SET_BAUD = (0x53 << 8) | 1;
const GET_BAUD = (0x53 << 8) | 2;

describe("serial16550", () => {
  it("finds the UART, claims its ports and line, and makes /dev/ttyS0 on 4:64", () => {
    k.insmod(loadBytes("serial16550"));
    expect(dmesg(k)).toContain("serial16550: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A");
    expect(k.read("/proc/ioports")).toBe("03f8-03ff : serial\n");
    expect(k.read("/proc/interrupts")).toMatch(/ {2}4: +0 +XT-PIC +4-edge +serial\n/);
    expect(k.read("/proc/devices")).toContain("  4 ttyS\n");
    expect(sh.stat("/dev/ttyS0").rdev).toBe((4 << 8) | 64);
  });

  it("refuses to load where no UART answers (ENODEV) and leaves nothing behind", () => {
    expectRefused(k, () => k.insmod(loadBytes("serial16550"), { args: "port=0x2f8" }), "ENODEV");
    expect(k.read("/proc/ioports")).toBe("");
  });

  it("delivers typed bytes through the receive interrupt to a reader", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    com1.type("hello");
    expect(text(sh.read(fd, 100))).toBe("hello");
    expect(k.read("/proc/interrupts")).not.toMatch(/ {2}4: +0 /);
  });

  it("wakes a reader that was waiting when the bytes arrive", async () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    expect(sh.task.sleeping).toBe(true);
    com1.type("late");
    const n = await call;
    expect(text(sh.task.mm.bytes(buf, n))).toBe("late");
  });

  it("gives EAGAIN to a non-blocking reader with nothing to read", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR | O_NONBLOCK);
    expect(() => sh.read(fd, 4)).toThrow(expect.objectContaining({ code: "EAGAIN" }));
  });

  it("sends writes out through THR, more than a FIFO's worth by the transmit-empty interrupt", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    const message = "The quick brown fox jumps over the lazy dog\n".repeat(3);
    expect(sh.write(fd, message)).toBe(message.length);
    k.tick(1e9);
    expect(text(com1.readOutput())).toBe(message);
  });

  it("reports readiness through poll", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    const ptr = sh.task.mm.sbrk(8);
    const view = () => new DataView(sh.task.mm.memory.buffer);
    view().setInt32(ptr, fd, true);
    view().setUint16(ptr + 4, POLLIN | POLLOUT, true);
    expect(sh.syscall(SYSCALLS.poll, ptr, 1, 0)).toBe(1);
    expect(view().getUint16(ptr + 6, true)).toBe(POLLOUT);
    com1.type("x");
    sh.syscall(SYSCALLS.poll, ptr, 1, 0);
    expect(view().getUint16(ptr + 6, true)).toBe(POLLIN | POLLOUT);
  });

  it("sets and reports the baud rate by ioctl, refusing one the divisor cannot make", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    expect(sh.syscall(SYSCALLS.ioctl, fd, GET_BAUD, 0)).toBe(9600);
    expect(sh.syscall(SYSCALLS.ioctl, fd, SET_BAUD, 38400)).toBe(0);
    expect(sh.syscall(SYSCALLS.ioctl, fd, GET_BAUD, 0)).toBe(38400);
    expect(sh.syscall(SYSCALLS.ioctl, fd, SET_BAUD, 1000)).toBe(-22);
    expect(sh.syscall(SYSCALLS.ioctl, fd, 0x5401, 0)).toBe(-25);
  });

  it("shares one line between two UARTs, each handler serving its own", () => {
    k.machine.attach("uart16550", { port: 0x3e8, irq: 4 });
    const com3 = k.machine.line("uart1");
    k.insmod(loadBytes("serial16550"), { args: "port2=0x3e8 irq2=4" });
    expect(k.read("/proc/interrupts")).toMatch(/ {2}4: +0 +XT-PIC +4-edge +serial, serial\n/);
    const a = sh.open("/dev/ttyS0", O_RDWR);
    const b = sh.open("/dev/ttyS1", O_RDWR);
    com3.type("three");
    com1.type("one");
    expect(text(sh.read(b, 10))).toBe("three");
    expect(text(sh.read(a, 10))).toBe("one");
  });

  it("is refused rmmod while /dev/ttyS0 is open, and gives everything back after", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    expect(() => k.rmmod("serial16550")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.close(fd);
    k.rmmod("serial16550");
    expect(k.read("/proc/ioports")).toBe("");
    expect(k.read("/proc/interrupts")).toBe("           CPU0       \n");
  });
});
