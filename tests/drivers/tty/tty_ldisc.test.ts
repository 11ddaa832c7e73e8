// Line disciplines: tty_register_ldisc from a module, TIOCSETD to it and back, /proc/tty/ldiscs, the
// module pinned while a line uses it, and the discipline loaded on demand as tty-ldisc-N.

import { beforeEach, describe, expect, it } from "vitest";
import { SYSCALLS } from "../../../abi/syscalls.js";
import { N_TTY, TIOCGETD, TIOCSETD } from "../../../abi/termios.js";
import type { PtyMaster } from "../../../host/drivers/tty/pty.js";
import { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { dmesg, expectErrno, expectRefused, moduleFixtures } from "../../helpers.js";
import { int, intOf, ptyTask, text } from "./tty_helpers.js";

/** Discipline 25: what the line receives is read in upper case; writes go to the driver as they are. */
const UPPER = `
import { copy_from_user, copy_to_user, init_waitqueue_head, tty_driver_write, tty_ldisc_ops, tty_register_ldisc,
  tty_unregister_ldisc, wait_event_interruptible, wake_up_interruptible, EFAULT, THIS_MODULE } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
MODULE_ALIAS("tty-ldisc-25");
const ops = new tty_ldisc_ops();
const held = new Array<u8>();
let wq: u32 = 0;
let opens: i32 = 0;
function upper_open(tty: u32): i32 { opens++; return 0; }
function upper_close(tty: u32): void { opens--; held.length = 0; }
function upper_receive(tty: u32, cp: usize, fp: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    const c = load<u8>(cp + <usize>i);
    held.push(c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
  }
  wake_up_interruptible(wq);
}
function upper_read(tty: u32, file: u32, buf: usize, count: i32): i32 {
  if (held.length == 0) return wait_event_interruptible(wq);
  const n = min(count, held.length);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = held[i];
  held.splice(0, n);
  return copy_to_user(buf, out.dataStart, <usize>n) != 0 ? -EFAULT : n;
}
function upper_write(tty: u32, file: u32, buf: usize, count: i32): i32 {
  const data = new Uint8Array(count);
  if (copy_from_user(data.dataStart, buf, <usize>count) != 0) return -EFAULT;
  return tty_driver_write(tty, data.dataStart, count);
}
export function init_module(): i32 {
  wq = init_waitqueue_head();
  ops.owner = THIS_MODULE;
  ops.num = 25;
  ops.name = "upper";
  ops.open = upper_open.index;
  ops.close = upper_close.index;
  ops.receive_buf = upper_receive.index;
  ops.read = upper_read.index;
  ops.write = upper_write.index;
  return tty_register_ldisc(ops);
}
export function cleanup_module(): void { tty_unregister_ldisc(ops); }`;

/** A discipline that takes a number already taken (N_TTY's), and one outside the table. */
const CLASH = (num: number) => `
import { tty_ldisc_ops, tty_register_ldisc, THIS_MODULE } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const ops = new tty_ldisc_ops();
export function init_module(): i32 { ops.owner = THIS_MODULE; ops.num = ${num}; ops.name = "clash"; return tty_register_ldisc(ops); }`;

const fixtures = moduleFixtures("tty_ldisc", { upper: UPPER, clash_ntty: CLASH(0), clash_range: CLASH(30) });

let k: Kernel;
let sh: Libc;
let master: PtyMaster;
let fd: number;
let asked: string[];

beforeEach(() => {
  k = new Kernel();
  ({ sh, fd, master } = ptyTask(k));
  asked = [];
  k.kmod.usermodehelper = (argv) => {
    asked.push(argv.at(-1)!);
    if (argv.at(-1) !== "tty-ldisc-25") return 1;
    k.insmod(fixtures.get("upper")!);
    return 0;
  };
});

const setd = (num: number) => sh.ioctl(fd, TIOCSETD, int(num));
const getd = () => intOf(sh.ioctl(fd, TIOCGETD, int(-1)).data);

describe("tty_register_ldisc", () => {
  it("lists the disciplines in /proc/tty/ldiscs as Linux does, a module's beside n_tty", () => {
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\n");
    k.insmod(fixtures.get("upper")!);
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\nupper      25\n");
    k.rmmod("upper");
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\n");
  });

  it("refuses a number that is taken (EBUSY) or outside 0-29 (EINVAL), leaving the table as it was", () => {
    expectRefused(k, () => k.insmod(fixtures.get("clash_ntty")!), "EBUSY");
    expectRefused(k, () => k.insmod(fixtures.get("clash_range")!), "EINVAL");
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\n");
  });
});

describe("TIOCSETD", () => {
  it("puts a module's discipline on the line and back, the line's input and output going through it meanwhile", async () => {
    k.insmod(fixtures.get("upper")!);
    expect(getd()).toBe(N_TTY);
    setd(25);
    expect(getd()).toBe(25);
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    expect(sh.task.sleeping).toBe(true);
    master.write("shout\n");
    expect(text(sh.task.mm.bytes(buf, await call))).toBe("SHOUT\n");
    sh.write(fd, "raw\n");
    expect(text(master.read())).toBe("raw\n");
    setd(N_TTY);
    expect(getd()).toBe(N_TTY);
    master.write("quiet\n");
    expect(text(sh.read(fd, 64))).toBe("quiet\n");
    expect(text(master.read())).toBe("quiet\r\n");
  });

  it("pins the module while a line uses it: rmmod is refused until the line goes back to N_TTY", () => {
    k.insmod(fixtures.get("upper")!);
    setd(25);
    expect(k.read("/proc/modules")).toMatch(/^upper \d+ 1 - Live/m);
    expect(() => k.rmmod("upper")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    setd(N_TTY);
    k.rmmod("upper");
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\n");
  });

  it("lets the module go when the line's last close takes the discipline off", () => {
    k.insmod(fixtures.get("upper")!);
    setd(25);
    sh.close(fd);
    k.rmmod("upper");
    expect(dmesg(k).filter((l) => l.includes("still registered"))).toEqual([]);
  });

  it("asks for tty-ldisc-N when nobody provides the discipline, and uses the module that comes", () => {
    setd(25);
    expect(asked).toEqual(["tty-ldisc-25"]);
    expect(getd()).toBe(25);
    expect(k.read("/proc/modules")).toMatch(/^upper \d+ 1 - Live/m);
  });

  it("fails with EINVAL for a discipline no module provides, or outside the table, and the line keeps N_TTY", () => {
    expectErrno(() => setd(7), "EINVAL");
    expect(asked).toEqual(["tty-ldisc-7"]);
    expectErrno(() => setd(30), "EINVAL");
    expectErrno(() => setd(-1), "EINVAL");
    expect(asked).toEqual(["tty-ldisc-7"]);
    expect(getd()).toBe(N_TTY);
    master.write("still n_tty\n");
    expect(text(sh.read(fd, 64))).toBe("still n_tty\n");
  });
});
