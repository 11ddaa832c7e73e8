// tty drivers from a module: tty_register_driver and its ports, what a bad registration is refused with,
// and what rmmod takes back from a driver that forgot to unregister; and the tty core's own major 5,
// /dev/tty (the controlling terminal) and /dev/console.

import { beforeEach, describe, expect, it } from "vitest";
import { O_NOCTTY, O_RDWR } from "../../../abi/fcntl.js";
import { Kernel } from "../../../host/init/main.js";
import { cliRunner, dmesg, expectErrno, expectRefused, moduleFixtures, snapshot } from "../../helpers.js";
import { ECHO, TIOCGPTN, TIOCSCTTY, TIOCSPTLCK } from "../../../abi/termios.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { int, intOf, ptyTask, tcgetattr, tcsetattr, text } from "./tty_helpers.js";

/** A driver without hardware: ttyF0 on 240:0 whose output is kept for the test to read back as its input. */
const TTYFIX = `
import { tty_driver, tty_flip_buffer_push, tty_insert_flip_string, tty_operations, tty_port_register_device,
  tty_port_unregister_device, tty_register_driver, tty_unregister_driver, THIS_MODULE } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0o444);
const driver = new tty_driver();
const ops = new tty_operations();
let port: i32 = 0;
let opens: i32 = 0;
function fix_open(tty: u32): i32 { opens++; return 0; }
function fix_close(tty: u32): void { opens--; }
/** Output goes nowhere; fix_type is the far end typing. */
function fix_write(tty: u32, buf: usize, count: i32): i32 { return count; }
export function fix_type(c: i32): void {
  const b = new Uint8Array(1);
  b[0] = <u8>c;
  tty_insert_flip_string(<u32>port, b.dataStart, 1);
  tty_flip_buffer_push(<u32>port);
}
export function init_module(): i32 {
  driver.owner = THIS_MODULE;
  driver.driver_name = "fixture";
  driver.name = "ttyF";
  driver.major = 240;
  driver.minor_start = 0;
  driver.num = 2;
  driver.type = mode == 1 ? 9 : 3;
  driver.init_cflag = 0o15 | 0o60 | 0o200;
  ops.open = fix_open.index;
  ops.close = fix_close.index;
  ops.write = fix_write.index;
  const err = tty_register_driver(driver, ops);
  if (err < 0) return err;
  port = tty_port_register_device(driver, mode == 2 ? 2 : 0);
  if (port >= 0 && mode == 3) port = tty_port_register_device(driver, 0);
  if (port < 0) { tty_unregister_driver(driver); return port; }
  return 0;
}
export function cleanup_module(): void {
  if (mode == 4) return;
  tty_port_unregister_device(<u32>port);
  tty_unregister_driver(driver);
}`;

const fixtures = moduleFixtures("tty_io", { ttyfix: TTYFIX });

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("tty_register_driver", () => {
  it("makes the driver's major and a node per port, lists it in /proc/tty/drivers, and takes it all back at rmmod", () => {
    k.insmod(fixtures.get("ttyfix")!);
    expect(k.read("/proc/devices")).toContain("240 ttyF\n");
    expect(k.read("/proc/tty/drivers")).toContain("fixture              /dev/ttyF     240 0-1 serial\n");
    const sh = k.spawn("sh");
    expect(sh.stat("/dev/ttyF0").rdev).toBe(240 << 8);
    expect(() => sh.open("/dev/ttyF1", O_RDWR)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    k.rmmod("ttyfix");
    expect(k.read("/proc/tty/drivers")).not.toContain("fixture");
    expect(k.read("/proc/devices")).not.toContain("ttyF");
  });

  it("refuses a bad driver type, a port outside num (EINVAL) and a second port for a line (EBUSY), leaving nothing", () => {
    expectRefused(k, () => k.insmod(fixtures.get("ttyfix")!, { args: "mode=1" }), "EINVAL");
    expectRefused(k, () => k.insmod(fixtures.get("ttyfix")!, { args: "mode=2" }), "EINVAL");
    expectRefused(k, () => k.insmod(fixtures.get("ttyfix")!, { args: "mode=3" }), "EBUSY");
  });

  it("pins the driver while a line is open, and takes back a driver its module forgot, with a warning", () => {
    k.insmod(fixtures.get("ttyfix")!, { args: "mode=4" });
    const sh = k.spawn("sh");
    const fd = sh.open("/dev/ttyF0", O_RDWR);
    expect(() => k.rmmod("ttyfix")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.write(fd, "out\n");
    sh.close(fd);
    k.rmmod("ttyfix");
    expect(dmesg(k)).toContain("ttyfix: tty driver ttyF still registered at unload; unregistered");
    expect(k.read("/proc/tty/drivers")).not.toContain("fixture");
    expect(k.read("/proc/devices")).not.toContain("ttyF");
  });

  it("keeps what a port receives while the line is closed for the next open, and a line's termios from one open to the next", () => {
    const mod = k.insmod(fixtures.get("ttyfix")!);
    const type = mod.exports!.raw.fix_type as (c: number) => void;
    for (const c of "early\n") type(c.charCodeAt(0));
    const sh = k.spawn("sh");
    let fd = sh.open("/dev/ttyF0", O_RDWR);
    expect(text(sh.read(fd, 64))).toBe("early\n");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHO));
    sh.close(fd);
    fd = sh.open("/dev/ttyF0", O_RDWR);
    expect(tcgetattr(sh, fd).lflag & ECHO).toBe(0);
    sh.close(fd);
  });
});

describe("major 5 (tty_init)", () => {
  /** The task's open descriptors, as /proc/self/fd lists them. */
  const fds = (sh: Libc) => sh.readdir("/proc/self/fd").map((d) => d.name);

  it("registers /dev/tty, /dev/console and /dev/ptmx as /proc/devices, devtmpfs and /sys/class/tty show them", async () => {
    const k2 = new Kernel({ realtimeNs: () => 1_700_000_000_000_000_000n });
    const run = cliRunner(k2);
    expect((await run("cat /proc/devices")).out).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
    expect((await run("ls -l /dev")).out).toBe(
      "total 0\n" +
        "crw------- 1 root root 5, 1 Nov 14 22:13 console\n" +
        "crw-rw-rw- 1 root root 5, 2 Nov 14 22:13 ptmx\n" +
        "drwxr-xr-x 2 root root    0 Nov 14 22:13 pts\n" +
        "crw-rw-rw- 1 root root 5, 0 Nov 14 22:13 tty\n",
    );
    expect((await run("cat /sys/class/tty/tty/dev /sys/class/tty/console/dev /sys/class/tty/ptmx/dev")).out).toBe("5:0\n5:1\n5:2\n");
  });

  it("gives ENXIO for /dev/tty to a task without a controlling terminal, and opens nothing", () => {
    const sh = k.spawn("daemon");
    expectRefused(() => [snapshot(k), fds(sh)], () => sh.open("/dev/tty", O_RDWR), "ENXIO", "/dev/tty: No such device or address");
  });

  it("opens the task's controlling terminal as /dev/tty: the same line, one more open of it", () => {
    const { sh, fd, master } = ptyTask(k);
    const tty = sh.open("/dev/tty", O_RDWR);
    sh.write(tty, "via /dev/tty\n");
    expect(text(master.read())).toBe("via /dev/tty\r\n");
    master.write("typed\n");
    expect(text(sh.read(tty, 64))).toBe("typed\n");
    tcsetattr(sh, tty, (t) => void (t.lflag &= ~ECHO));
    expect(tcgetattr(sh, fd).lflag & ECHO).toBe(0);
    sh.close(fd);
    expect(master.tty).not.toBeNull();
    sh.close(tty);
    expect(master.tty).toBeNull();
  });

  it("follows the foreground task: the first opener of a line, or TIOCSCTTY's caller; not a forked child by itself", () => {
    const sh = k.spawn("sh");
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const slave = sh.open(`/dev/pts/${intOf(sh.ioctl(m, TIOCGPTN, int(-1)).data)}`, O_RDWR);
    sh.close(sh.open("/dev/tty", O_RDWR));
    const child = k.fork(sh);
    expectErrno(() => child.open("/dev/tty", O_RDWR), "ENXIO");
    child.ioctl(slave, TIOCSCTTY, 0);
    child.close(child.open("/dev/tty", O_RDWR));
    expectErrno(() => sh.open("/dev/tty", O_RDWR), "ENXIO");
  });

  it("is not taken by an open with O_NOCTTY", () => {
    const sh = k.spawn("sh");
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const slave = `/dev/pts/${intOf(sh.ioctl(m, TIOCGPTN, int(-1)).data)}`;
    sh.open(slave, O_RDWR | O_NOCTTY);
    expectErrno(() => sh.open("/dev/tty", O_RDWR), "ENXIO");
    sh.open(slave, O_RDWR);
    sh.close(sh.open("/dev/tty", O_RDWR));
  });

  it("ends the controlling terminal when the line hangs up or closes for the last time (session_clear_tty)", () => {
    const { sh, fd } = ptyTask(k);
    sh.close(fd);
    expectErrno(() => sh.open("/dev/tty", O_RDWR), "ENXIO");
    const hung = k.spawn("sh");
    const m = hung.open("/dev/ptmx", O_RDWR);
    hung.ioctl(m, TIOCSPTLCK, int(0));
    hung.open(`/dev/pts/${intOf(hung.ioctl(m, TIOCGPTN, int(-1)).data)}`, O_RDWR);
    hung.close(m);
    expectErrno(() => hung.open("/dev/tty", O_RDWR), "ENXIO");
  });

  it("gives ENODEV for /dev/console: the kernel's console is the printk sink, no tty", () => {
    const { sh } = ptyTask(k);
    expectRefused(() => [snapshot(k), fds(sh)], () => sh.open("/dev/console", O_RDWR), "ENODEV", "/dev/console: No such device");
  });
});
