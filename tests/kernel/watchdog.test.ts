// The soft-lockup watchdog: module code that never ends, wherever the kernel entered it, is reported as
// Linux reports a soft lockup, stopped, and treated as a fault; the kernel carries on. Real time: each
// lockup takes 2 × watchdog_thresh = 2 s with the threshold set to 1 through the sysctl.

import { beforeEach, describe, expect, it } from "vitest";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import { SoftLockup, Watchdog, WATCHDOG_BUDGET } from "../../host/kernel/watchdog.js";
import { install, program, wat } from "../exec_helpers.js";
import { cliSession, dmesg, dropTo, loadBytes, moduleFixtures } from "../helpers.js";

/** A loop the compiler cannot prove endless (spins never goes negative). */
const SPIN = "while (spins >= 0) spins = (spins + 1) & 0x3fffffff;";
const HEAD = `
import {
  device_create, device_destroy, file_operations, free_irq, get_jiffies, mod_timer, outb, register_chrdev,
  release_region, request_irq, request_region, syscall_register, timer_setup, unregister_chrdev, IRQF_SHARED, THIS_MODULE,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let spins: i32 = 0;
`;

const FIXTURES: Record<string, string> = {
  wd_init: `${HEAD}
export function init_module(): i32 { ${SPIN} return 0; }
export function cleanup_module(): void {}`,
  wd_cleanup: `${HEAD}
export function init_module(): i32 { return 0; }
export function cleanup_module(): void { ${SPIN} }`,
  wd_read: `${HEAD}
const fops = new file_operations();
function wd_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 { ${SPIN} return 0; }
export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.read = wd_read.index;
  const err = register_chrdev(240, "wdread", fops);
  if (err < 0) return err;
  device_create(240, 0, "wdread");
  return 0;
}
export function cleanup_module(): void { device_destroy(240, 0); unregister_chrdev(240, "wdread"); }`,
  wd_syscall: `${HEAD}
function wd_call(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 { ${SPIN} return 0; }
export function init_module(): i32 { return syscall_register(335, wd_call.index); }
export function cleanup_module(): void {}`,
  wd_timer: `${HEAD}
function wd_fire(data: u32): void { ${SPIN} }
export function init_module(): i32 {
  mod_timer(timer_setup(wd_fire.index, 0), get_jiffies() + 1);
  return 0;
}
export function cleanup_module(): void {}`,
  wd_irq: `${HEAD}
function wd_handler(irq: i32, dev: u32): i32 { ${SPIN} return 1; }
export function init_module(): i32 {
  if (!request_region(0x40, 4, "timer0")) return -16;
  outb(0x34, 0x43);
  outb(0x9c, 0x40);
  outb(0x2e, 0x40);
  return request_irq(0, wd_handler.index, IRQF_SHARED, "wdirq", 3);
}
export function cleanup_module(): void { free_irq(0, 3); release_region(0x40, 4); }`,
};

const fixtures = moduleFixtures("watchdog", FIXTURES);

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
  k.write("/proc/sys/kernel/watchdog_thresh", "1\n");
});

/** The soft lockup report: its first line (comm and pid), the function it names, and taint L. */
function expectLockup(comm: string, pid: number, func: string, module: string, uid = 0): void {
  const lines = dmesg(k);
  const at = lines.findIndex((l) => l.startsWith("watchdog: BUG: soft lockup"));
  expect(lines[at]).toMatch(new RegExp(`^watchdog: BUG: soft lockup - CPU#0 stuck for ([2-9]|\\d\\d)s! \\[${comm}:${pid}\\]$`));
  expect(lines[at + 1]).toMatch(new RegExp(`^Modules linked in:.* ${module}\\b`));
  // Linux taints L after the report, so its task line shows the taint from before (none, for these fixtures).
  expect(lines[at + 2]).toMatch(new RegExp(`^CPU: 0 UID: ${uid} PID: ${pid} Comm: ${comm} Not tainted `));
  expect(lines[at + 3]).toMatch(new RegExp(`^RIP: ${func} \\[${module}\\] `));
  expect(lines.filter((l) => l.startsWith("watchdog: BUG"))).toHaveLength(1);
  expect(k.taint.test("SOFTLOCKUP")).toBe(true);
  expect(k.read("/proc/sys/kernel/tainted")).toBe(`${k.taint.value}\n`);
}

/** The kernel works after: another module loads and lsmod shows exactly what is loaded. */
function expectKernelWorks(stillListed: string[]): void {
  k.insmod(loadBytes("hello"));
  expect(k.modules.list().map((m) => m.name)).toEqual(["hello", ...stillListed]);
  k.rmmod("hello");
}

describe("/proc/sys/kernel/watchdog_thresh", () => {
  it("reads Linux's default, takes 0 to 60 and refuses anything else with EINVAL", () => {
    const fresh = new Kernel();
    expect(fresh.read("/proc/sys/kernel/watchdog_thresh")).toBe("10\n");
    fresh.write("/proc/sys/kernel/watchdog_thresh", "0\n");
    expect(fresh.read("/proc/sys/kernel/watchdog_thresh")).toBe("0\n");
    for (const bad of ["61\n", "-1\n", "ten\n", "1.5\n"]) {
      expect(() => fresh.write("/proc/sys/kernel/watchdog_thresh", bad)).toThrow(/Invalid argument/);
    }
    expect(fresh.read("/proc/sys/kernel/watchdog_thresh")).toBe("0\n");
  });
});

describe("Watchdog.tick", () => {
  it("hands out budgets until the outermost entry has run past twice the threshold, then throws SoftLockup", () => {
    let now = 0;
    const w = new Watchdog(() => now);
    w.thresh = 1;
    w.enter();
    expect(w.tick()).toBe(WATCHDOG_BUDGET);
    now = 1500;
    w.enter();
    now = 2000;
    expect(w.tick()).toBe(WATCHDOG_BUDGET);
    w.leave();
    now = 2001;
    expect(() => w.tick()).toThrow(SoftLockup);
    now = 3500;
    try {
      w.tick();
    } catch (e) {
      expect((e as SoftLockup).seconds).toBe(3);
    }
    w.touch();
    expect(w.tick()).toBe(WATCHDOG_BUDGET);
    w.leave();
  });

  it("starts a fresh period at each outermost entry, and never throws with the threshold 0", () => {
    let now = 0;
    const w = new Watchdog(() => now);
    w.thresh = 1;
    for (let i = 0; i < 5; i++) {
      w.enter();
      expect(w.tick()).toBe(WATCHDOG_BUDGET);
      now += 1900;
      expect(w.tick()).toBe(WATCHDOG_BUDGET);
      w.leave();
    }
    w.thresh = 0;
    w.enter();
    w.tick();
    now += 1e9;
    expect(w.tick()).toBe(WATCHDOG_BUDGET);
  });
});

describe("a module whose code never ends", () => {
  it("in init_module: reported, the load fails with ETIME and leaves nothing behind", () => {
    let caught: unknown;
    try {
      k.insmod(fixtures.get("wd_init")!);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KernelError);
    expect((caught as KernelError).code).toBe("ETIME");
    expectLockup("insmod", 1, "init_module", "wd_init");
    expect(k.kernfs.list("/sys/module")).not.toContain("wd_init");
    expectKernelWorks([]);
  });

  it("in cleanup_module: rmmod fails with ETIME, the module stays [dead], and the next rmmod removes it", () => {
    k.insmod(fixtures.get("wd_cleanup")!);
    expect(() => k.rmmod("wd_cleanup")).toThrow(expect.objectContaining({ code: "ETIME" }));
    expectLockup("rmmod", 1, "cleanup_module", "wd_cleanup");
    expect(k.read("/proc/modules")).toMatch(/^wd_cleanup \d+ 0 - Live 0x0+ \[dead\]|^wd_cleanup \d+ 0 \[dead\]/m);
    k.rmmod("wd_cleanup");
    expectKernelWorks([]);
  });

  it("in a file operation: the read returns ETIME to cat, the driver is dead and its major is reclaimed at rmmod", () => {
    k.insmod(fixtures.get("wd_read")!);
    const { s, err } = cliSession(k);
    expect(s.exec("cat /dev/wdread")).toBe(1);
    expect(err.join("")).toBe("cat: /dev/wdread: Timer expired\n");
    expectLockup("cat", s.libc.task.pid, "wd_read", "wd_read");
    expect(s.exec("cat /dev/wdread")).toBe(1);
    k.rmmod("wd_read");
    expect(k.read("/proc/devices")).not.toMatch(/^240 /m);
    expectKernelWorks([]);
  });

  it("in a system call handler: the call returns -ETIME, the report names the caller's uid, and the slot is free after rmmod", () => {
    k.insmod(fixtures.get("wd_syscall")!);
    const task = dropTo(k.spawn("caller"), 1000, 1000);
    expect(task.syscall(335)).toBe(-62);
    expectLockup("caller", task.task.pid, "wd_call", "wd_syscall", 1000);
    k.rmmod("wd_syscall");
    expect(task.syscall(335)).toBe(-38);
    expectKernelWorks([]);
  });

  it("in a timer callback: the callback is stopped and the module is dead; time goes on", () => {
    k.insmod(fixtures.get("wd_timer")!);
    k.tick(8e6);
    expectLockup("swapper/0", 1, "wd_fire", "wd_timer");
    expect(k.modules.find("wd_timer")!.dead).toBe(true);
    k.tick(1e9);
    expect(dmesg(k).filter((l) => l.startsWith("watchdog: BUG"))).toHaveLength(1);
    expectKernelWorks(["wd_timer"]);
  });

  it("in an IRQ handler: the handler is dropped from the line and the interrupts go on being counted", () => {
    k.machine.attach("pit");
    k.insmod(fixtures.get("wd_irq")!);
    k.tick(2e7);
    expectLockup("swapper/0", 1, "wd_handler", "wd_irq");
    expect(k.read("/proc/interrupts")).not.toMatch(/wdirq/);
    k.tick(2e7);
    expect(dmesg(k).filter((l) => l.startsWith("watchdog: BUG"))).toHaveLength(1);
    k.rmmod("wd_irq");
    expect(k.read("/proc/ioports")).not.toMatch(/timer0/);
    expectKernelWorks([]);
  });
});

describe("a wasm program that never ends", () => {
  it("is reported and killed with SIGKILL (status 137, Killed); the shell goes on", () => {
    const { s, err } = cliSession(k);
    install(s.libc, "/spin", wat(program(`(func (export "_start") (loop $l (br $l)))`)));
    expect(s.exec("/spin")).toBe(137);
    expect(err.join("")).toBe("Killed\n");
    const lines = dmesg(k);
    expect(lines.filter((l) => l.startsWith("watchdog: BUG"))).toEqual([
      expect.stringMatching(/^watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[spin:\d+\]$/),
    ]);
    expect(k.taint.test("SOFTLOCKUP")).toBe(true);
    expect(s.exec("cat /proc/sys/kernel/watchdog_thresh")).toBe(0);
  });
});

describe("a command the kernel runs without scheduling", () => {
  it("is reported and killed when it runs past the threshold (a synchronous cat of /dev/zero: status 137)", () => {
    k.insmod(loadBytes("memdev"));
    // Count what cat prints rather than keep it: two seconds of /dev/zero is more than a string holds.
    let printed = 0;
    const lines: string[] = [];
    const s = new Session(k, (t) => {
      printed += t.length;
      if (!t.includes("\0")) lines.push(t);
    }, () => {});
    expect(s.exec("cat /dev/zero; echo not reached")).toBe(137);
    expect(printed).toBeGreaterThan(0);
    expect(lines).toEqual([]);
    const lockups = dmesg(k).filter((l) => l.startsWith("watchdog: BUG"));
    expect(lockups).toEqual([`watchdog: BUG: soft lockup - CPU#0 stuck for ${/(\d+)s!/.exec(lockups[0]!)![1]}s! [cat:${s.libc.task.pid}]`]);
    expect(s.exec("cat /proc/sys/kernel/watchdog_thresh")).toBe(0);
    expect(lines).toEqual(["1\n"]);
  });
});
