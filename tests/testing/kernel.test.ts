// The testing toolkit's kernel for a test: loading, a module's own exports through the loader, tasks, mounts, dmesg.

import { describe, expect, it } from "vitest";
import { O_CREAT, O_RDONLY, O_RDWR, O_WRONLY } from "../../abi/fcntl.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../abi/poll.js";
import { bootKernel, expectErrno, expectRefused, text } from "../../testing/index.js";
import { loadBytes, moduleFixtures } from "../helpers.js";

const fixtures = moduleFixtures("testing-kernel", {
  strings: `
MODULE_LICENSE("GPL");
export let suffix: string = "!";
module_param(suffix, charp, 0o644);
export function shout(s: string): string { return s.toUpperCase() + suffix; }
export function total(values: Int32Array): i32 { let n = 0; for (let i = 0; i < values.length; i++) n += values[i]; return n; }
export function squares(n: i32): Int32Array { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = i * i; return a; }
export function crash(): i32 { return load<i32>(<usize>0xfffffff0); }
export function int32ArrayId(): u32 { return idof<Int32Array>(); }
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`,
});

/** _IOC(dir, 'k', nr, size): scull's ioctl numbers (LDD3). */
const scullIoc = (dir: number, nr: number, size: number) => ((dir << 30) | (size << 16) | (0x6b << 8) | nr) >>> 0;

describe("bootKernel", () => {
  it("loads a module with its parameters and calls its own functions with strings and arrays through the loader", () => {
    const k = bootKernel();
    const m = k.insmod(fixtures.get("strings")!, 'suffix="?!"');
    const ex = m.exports<{ shout(p: number): number; total(p: number): number; squares(n: number): number; int32ArrayId(): number }>();
    expect(ex.__getString(ex.shout(ex.__newString("quiet")))).toBe("QUIET?!");
    const arr = ex.__pin(ex.__newArray(ex.int32ArrayId(), [1, 2, 3, 4]));
    expect(ex.total(arr)).toBe(10);
    ex.__unpin(arr);
    expect([...ex.__getInt32Array(ex.squares(4))]).toEqual([0, 1, 4, 9]);
  });

  it("makes each call through the kernel's gate: a trap is an Oops, EFAULT, and the module is dead", () => {
    const k = bootKernel();
    const m = k.insmod(fixtures.get("strings")!);
    const ex = m.exports<{ crash(): number }>();
    const lines = k.captureDmesg(() => expectErrno(() => ex.crash(), "EFAULT", "strings: Oops in crash"));
    expect(lines[0]).toBe("BUG: wasm trap in strings: memory access out of bounds");
    expect(m.module.dead).toBe(true);
    expectErrno(() => ex.crash(), "ENODEV");
  });

  it("gives tasks ioctl and poll, with the argument copied in and out of the task's memory", () => {
    const k = bootKernel();
    k.insmod(loadBytes("scull"));
    const t = k.task();
    const fd = t.open("/dev/scull0", O_RDWR);
    expect(t.ioctl(fd, scullIoc(0, 7, 0)).ret).toBe(4000);
    const { ret, data } = t.ioctl(fd, scullIoc(2, 5, 4), new Uint8Array(4));
    expect(ret).toBe(0);
    expect(new DataView(data.buffer).getInt32(0, true)).toBe(4000);
    expectErrno(() => t.ioctl(fd, scullIoc(0, 99, 0)), "ENOTTY");
    expect(t.poll([[fd, POLLIN | POLLOUT]], 0)).toEqual([POLLIN | POLLOUT]);
    expect(t.poll([[fd, POLLIN | POLLRDNORM | POLLWRNORM], [99, POLLIN]], 0)).toEqual([POLLIN | POLLRDNORM | POLLWRNORM, 0x20]);
    t.close(fd);
  });

  it("mounts a filesystem of a module, making the mountpoint, and captures what is logged meanwhile", () => {
    const k = bootKernel();
    const lines = k.captureDmesg(() => k.modprobe("ramfs"));
    expect(lines).toEqual(["ramfs: registered"]);
    expect(k.modprobe("counter").exports<{ counter_add(n: number): number }>().counter_add(2)).toBe(2);
    k.mount("ramfs", "/mnt/a/b");
    const t = k.task();
    t.close(t.open("/mnt/a/b/f", O_CREAT | O_WRONLY));
    expect(k.read("/proc/mounts")).toContain("ramfs /mnt/a/b ramfs rw,relatime 0 0\n");
    expectRefused(k.kernel, () => k.rmmod("ramfs"), "EAGAIN");
    k.umount("/mnt/a/b");
    expect(text(t.readFile("/proc/filesystems"))).toContain("ramfs");
    expectErrno(() => t.open("/mnt/a/b/f", O_RDONLY), "ENOENT");
  });
});

describe("expectErrno", () => {
  it("fails when the call succeeds, fails with another errno, or with another message", () => {
    expect(() => expectErrno(() => 1, "ENOENT")).toThrow("expected ENOENT, got success");
    const k = bootKernel().task();
    expect(() => expectErrno(() => k.open("/missing", O_RDONLY), "EACCES")).toThrow(/^expected EACCES, got ENOENT: /);
    expect(() => expectErrno(() => k.open("/missing", O_RDONLY), "ENOENT", "other")).toThrow("ENOENT with the wrong message: /missing: No such file or directory");
  });
});
