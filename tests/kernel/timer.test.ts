// The simulated clock, jiffies, kernel timers, and a system call that waits on a queue or in poll(2).

import { beforeEach, describe, expect, it } from "vitest";
import { ERESTARTSYS } from "../../abi/errno.js";
import { O_NONBLOCK, O_RDONLY } from "../../abi/fcntl.js";
import { HZ, POLLIN, POLLOUT } from "../../abi/poll.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { FileOperations } from "../../host/fs/fs.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import { current } from "../../host/kernel/sched.js";
import { INITIAL_JIFFIES, timeAfter } from "../../host/kernel/time/timer.js";
import { WaitQueue } from "../../host/kernel/wait.js";
import { copyToUser } from "../../host/mm/uaccess.js";
import type { Libc } from "../../host/user/nolibc.js";

const JIFFY = 1e9 / HZ;
let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("jiffies and timers", () => {
  it("start 300 s before the 32-bit wrap and count HZ a second", () => {
    expect(k.clock.jiffies).toBe(INITIAL_JIFFIES);
    expect(INITIAL_JIFFIES).toBe(2 ** 32 - 300 * HZ);
    k.tick(1e9);
    expect(k.clock.jiffies).toBe(INITIAL_JIFFIES + HZ);
  });

  it("compare across the wrap with time_after", () => {
    expect(timeAfter(5, 0xfffffff0)).toBe(true);
    expect(timeAfter(0xfffffff0, 5)).toBe(false);
  });

  it("fire once when due, in expiry order, and not when deleted", () => {
    const fired: string[] = [];
    const a = k.clock.setup(null, () => fired.push("a"));
    const b = k.clock.setup(null, () => fired.push("b"));
    const c = k.clock.setup(null, () => fired.push("c"));
    const now = k.clock.jiffies;
    k.clock.mod(a, now + 3);
    k.clock.mod(b, now + 1);
    expect(k.clock.mod(c, now + 2)).toBe(false);
    expect(k.clock.del(c)).toBe(true);
    k.tick(2 * JIFFY);
    expect(fired).toEqual(["b"]);
    k.tick(10 * JIFFY);
    expect(fired).toEqual(["b", "a"]);
  });

  it("fire across the jiffies wrap", () => {
    const fired: number[] = [];
    k.tick(299.9e9);
    const t = k.clock.setup(null, () => fired.push(k.clock.jiffies));
    k.clock.mod(t, (k.clock.jiffies + 100) >>> 0);
    k.tick(1e9);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeLessThan(1000);
  });
});

/** A device on major 240 whose reads wait for data a test pushes, with a poll operation. */
function pipeDevice(k: Kernel): { push: (s: string) => void } {
  const wq = new WaitQueue();
  let data = new Uint8Array();
  const fops: FileOperations = {
    read(file, ubuf, count) {
      if (data.length === 0) {
        if (file.flags & O_NONBLOCK) throw new KernelError("EAGAIN", "no data");
        wq.add(current());
        return -ERESTARTSYS;
      }
      const n = Math.min(count, data.length);
      copyToUser(current().mm, ubuf, data.subarray(0, n));
      data = data.subarray(n);
      return n;
    },
    poll(_file, pt) {
      pt.wait(wq);
      return data.length > 0 ? POLLIN : 0;
    },
  };
  k.chrdevs.register(240, "pipe", fops, null);
  return {
    push(s) {
      data = new Uint8Array([...data, ...new TextEncoder().encode(s)]);
      wq.wakeUp();
    },
  };
}

describe("a system call that waits", () => {
  let sh: Libc;
  let dev: { push: (s: string) => void };
  beforeEach(() => {
    sh = k.spawn("reader");
    dev = pipeDevice(k);
    sh.mknod("/dev/pipe", S_IFCHR | 0o666, makedev(240, 0));
  });

  it("sleeps until woken, then restarts and completes", async () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    const buf = sh.task.mm.sbrk(16);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 16);
    expect(sh.task.sleeping).toBe(true);
    dev.push("hello");
    expect(await call).toBe(5);
    expect(new TextDecoder().decode(sh.task.mm.bytes(buf, 5))).toBe("hello");
    expect(sh.task.sleeping).toBe(false);
  });

  it("gives EAGAIN with O_NONBLOCK instead of waiting", () => {
    const fd = sh.open("/dev/pipe", O_RDONLY | O_NONBLOCK);
    expect(() => sh.read(fd, 4)).toThrow(expect.objectContaining({ code: "EAGAIN" }));
  });

  it("is interrupted (EINTR) when driven synchronously and nothing can wake it", () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    expect(() => sh.read(fd, 4)).toThrow(expect.objectContaining({ code: "EINTR" }));
    expect(sh.task.sleeping).toBe(false);
  });

  it("is woken by a timer while simulated time runs", () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    const t = k.clock.setup(null, () => dev.push("late"));
    k.clock.mod(t, k.clock.jiffies + HZ);
    expect(new TextDecoder().decode(sh.read(fd, 16))).toBe("late");
    expect(k.clock.nowNs).toBeGreaterThanOrEqual(1e9);
  });
});

describe("poll(2)", () => {
  let sh: Libc;
  let dev: { push: (s: string) => void };
  beforeEach(() => {
    sh = k.spawn("poller");
    dev = pipeDevice(k);
    sh.mknod("/dev/pipe", S_IFCHR | 0o666, makedev(240, 0));
  });

  /** struct pollfd[] in the task's memory; revents read back after the call. */
  function pollfds(entries: [fd: number, events: number][]): { ptr: number; revents: () => number[] } {
    const ptr = sh.task.mm.sbrk(8 * entries.length);
    const view = () => new DataView(sh.task.mm.memory.buffer);
    entries.forEach(([fd, events], i) => {
      view().setInt32(ptr + 8 * i, fd, true);
      view().setUint16(ptr + 8 * i + 4, events, true);
    });
    return { ptr, revents: () => entries.map((_, i) => view().getUint16(ptr + 8 * i + 6, true)) };
  }

  it("reports what is ready now, POLLNVAL for a bad descriptor, and files without poll as always ready", () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    const tmp = sh.open("/tmp/f", 0o100 | 2);
    const p = pollfds([[fd, POLLIN], [99, POLLIN], [tmp, POLLIN | POLLOUT]]);
    expect(sh.syscall(SYSCALLS.poll, p.ptr, 3, 0)).toBe(2);
    expect(p.revents()).toEqual([0, 0x20, POLLIN | POLLOUT]);
  });

  it("times out with 0 after the timeout of simulated time", () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    const p = pollfds([[fd, POLLIN]]);
    expect(sh.syscall(SYSCALLS.poll, p.ptr, 1, 100)).toBe(0);
    expect(k.clock.nowNs).toBeGreaterThanOrEqual(100e6);
    expect(k.clock.nowNs).toBeLessThan(120e6);
  });

  it("wakes when data arrives before the timeout", async () => {
    const fd = sh.open("/dev/pipe", O_RDONLY);
    const p = pollfds([[fd, POLLIN]]);
    const call = sh.syscallAsync(SYSCALLS.poll, p.ptr, 1, 5000);
    dev.push("x");
    expect(await call).toBe(1);
    expect(p.revents()).toEqual([POLLIN]);
  });
});
