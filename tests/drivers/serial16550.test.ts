// serial16550 end to end: the emulated 16550A, its interrupts, the driver's transmit ring, and the tty core
// above it (N_TTY's canonical lines, echo and ONLCR, the baud rate from termios).

import { beforeEach, describe, expect, it } from "vitest";
import { O_NONBLOCK, O_RDWR } from "../../abi/fcntl.js";
import { POLLIN, POLLOUT } from "../../abi/poll.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { SerialLine } from "../../host/hw/machine.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { B38400, baudOf, CBAUD, ECHO, ICANON, IXOFF, TCSETSW } from "../../abi/termios.js";
import { dmesg, expectRefused, loadBytes } from "../helpers.js";
import { tcgetattr, tcsetattr, text } from "./tty/tty_helpers.js";

let k: Kernel;
let sh: Libc;
let com1: SerialLine;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.machine.attach("uart16550", { port: 0x3f8, irq: 4 });
  com1 = k.machine.line("uart0");
});

/** The divisor the UART was programmed with, read back through the divisor latch. */
function divisor(): number {
  const uart = k.machine.find("uart0").device;
  const lcr = uart.read(3, 1);
  uart.write(3, lcr | 0x80, 1);
  const d = uart.read(0, 1) | (uart.read(1, 1) << 8);
  uart.write(3, lcr, 1);
  return d;
}

describe("serial16550", () => {
  it("finds the UART, claims its ports and line, and makes /dev/ttyS0 on 4:64", () => {
    k.insmod(loadBytes("serial16550"));
    expect(dmesg(k)).toContain("serial16550: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A");
    expect(k.read("/proc/ioports")).toBe("03f8-03ff : serial\n");
    expect(k.read("/proc/interrupts")).toMatch(/ {2}4: +0 +XT-PIC +4-edge +serial\n/);
    expect(k.read("/proc/devices")).toContain("  4 ttyS\n");
    expect(sh.stat("/dev/ttyS0").rdev).toBe((4 << 8) | 64);
    expect(k.read("/proc/tty/drivers")).toContain("serial               /dev/ttyS       4 64-65 serial\n");
  });

  it("refuses to load where no UART answers (ENODEV) and leaves nothing behind", () => {
    expectRefused(k, () => k.insmod(loadBytes("serial16550"), { args: "port=0x2f8" }), "ENODEV");
    expect(k.read("/proc/ioports")).toBe("");
  });

  it("delivers a typed line through the receive interrupt and N_TTY to a reader, echoing it", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    com1.type("hello\r");
    expect(text(sh.read(fd, 100))).toBe("hello\n");
    expect(text(com1.readOutput())).toBe("hello\r\n");
    expect(k.read("/proc/interrupts")).not.toMatch(/ {2}4: +0 /);
  });

  it("wakes a reader that was waiting when the bytes arrive", async () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    expect(sh.task.sleeping).toBe(true);
    com1.type("la");
    expect(sh.task.sleeping).toBe(true);
    com1.type("te\n");
    const n = await call;
    expect(text(sh.task.mm.bytes(buf, n))).toBe("late\n");
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
    expect(text(com1.readOutput())).toBe(message.replaceAll("\n", "\r\n"));
  });

  it("sends STOP when its input buffer is nearly full under IXOFF, and START once a read has emptied it", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    tcsetattr(sh, fd, (t) => {
      t.iflag |= IXOFF;
      t.lflag &= ~(ICANON | ECHO);
    });
    com1.type("x".repeat(3968));
    expect(text(com1.readOutput())).toBe("");
    com1.type("y");
    expect(text(com1.readOutput())).toBe("\x13");
    expect(sh.read(fd, 3800).length).toBe(3800);
    expect(text(com1.readOutput())).toBe("");
    expect(text(sh.read(fd, 100))).toBe("x".repeat(100));
    expect(text(com1.readOutput())).toBe("\x11");
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
    expect(view().getUint16(ptr + 6, true)).toBe(POLLOUT);
    com1.type("\n");
    sh.syscall(SYSCALLS.poll, ptr, 1, 0);
    expect(view().getUint16(ptr + 6, true)).toBe(POLLIN | POLLOUT);
  });

  it("takes the baud rate from c_cflag, keeping (and reporting) the old one for a rate the divisor cannot make", () => {
    k.insmod(loadBytes("serial16550"));
    const fd = sh.open("/dev/ttyS0", O_RDWR);
    expect(baudOf(tcgetattr(sh, fd).cflag)).toBe(9600);
    expect(divisor()).toBe(12);
    tcsetattr(sh, fd, (t) => void (t.cflag = (t.cflag & ~CBAUD) | B38400), TCSETSW);
    expect([baudOf(tcgetattr(sh, fd).cflag), divisor()]).toEqual([38400, 3]);
    tcsetattr(sh, fd, (t) => void (t.cflag = (t.cflag & ~CBAUD) | 0o4));
    expect([baudOf(tcgetattr(sh, fd).cflag), divisor()]).toEqual([38400, 3]);
    expect(sh.syscall(SYSCALLS.ioctl, fd, 0x5301, 0)).toBe(-25);
  });

  it("shares one line between two UARTs, each handler serving its own", () => {
    k.machine.attach("uart16550", { port: 0x3e8, irq: 4 });
    const com3 = k.machine.line("uart1");
    k.insmod(loadBytes("serial16550"), { args: "port2=0x3e8 irq2=4" });
    expect(k.read("/proc/interrupts")).toMatch(/ {2}4: +0 +XT-PIC +4-edge +serial, serial\n/);
    const a = sh.open("/dev/ttyS0", O_RDWR);
    const b = sh.open("/dev/ttyS1", O_RDWR);
    com3.type("three\n");
    com1.type("one\n");
    expect(text(sh.read(b, 10))).toBe("three\n");
    expect(text(sh.read(a, 10))).toBe("one\n");
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
