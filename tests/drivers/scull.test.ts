import { beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY, O_RDWR, O_WRONLY, SEEK_END, SEEK_SET } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { chrdevConformance } from "../../testing/index.js";
import { loadBytes } from "../helpers.js";

/** LDD3's scull ioctl numbers: _IOC(dir, 'k', nr, size). */
const ioc = (dir: number, nr: number, size: number) => ((dir << 30) | (size << 16) | (0x6b << 8) | nr) >>> 0;
const SCULL_IOCRESET = ioc(0, 0, 0);
const SCULL_IOCSQUANTUM = ioc(1, 1, 4);
const SCULL_IOCTQUANTUM = ioc(0, 3, 0);
const SCULL_IOCGQUANTUM = ioc(2, 5, 4);
const SCULL_IOCQQUANTUM = ioc(0, 7, 0);
const SCULL_IOCXQUANTUM = ioc(3, 9, 4);
const SCULL_IOCHQUANTUM = ioc(0, 11, 0);
const SCULL_IOCQQSET = ioc(0, 8, 0);
const SCULL_IOCTQSET = ioc(0, 4, 0);

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.insmod(loadBytes("scull"));
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const ioctl = (fd: number, cmd: number, arg = 0) => sh.syscall(SYSCALLS.ioctl, fd, cmd, arg);

/** An int in the task's memory, for the pointer ioctls. */
function intBox(value: number): { ptr: number; get: () => number } {
  const ptr = sh.task.mm.sbrk(4);
  new DataView(sh.task.mm.memory.buffer).setInt32(ptr, value, true);
  return { ptr, get: () => new DataView(sh.task.mm.memory.buffer).getInt32(ptr, true) };
}

describe("scull", () => {
  it("takes a dynamic major (254 on an empty system) and makes scull0-3", () => {
    expect(k.read("/proc/devices")).toContain("254 scull\n");
    expect(sh.readdir("/dev").map((d) => d.name).filter((n) => n.startsWith("scull"))).toEqual(["scull0", "scull1", "scull2", "scull3"]);
  });

  it("keeps what is written, across quanta, and each device apart", () => {
    const data = "x".repeat(3990) + "0123456789abcdefghij";
    const fd = sh.open("/dev/scull0", O_WRONLY);
    let written = 0;
    while (written < data.length) written += sh.write(fd, data.slice(written));
    sh.close(fd);
    expect(text(sh.readFile("/dev/scull0"))).toBe(data);
    expect(sh.readFile("/dev/scull1").length).toBe(0);
  });

  it("stops a read at the end of a quantum, as LDD3's does", () => {
    const fd = sh.open("/dev/scull0", O_RDWR);
    sh.pwrite(fd, "a".repeat(4000), 0);
    sh.pwrite(fd, "b".repeat(100), 4000);
    expect(sh.pread(fd, 5000, 3990).length).toBe(10);
    expect(text(sh.pread(fd, 5000, 4000))).toBe("b".repeat(100));
  });

  it("trims the device when opened write-only", () => {
    const fd = sh.open("/dev/scull2", O_WRONLY);
    sh.write(fd, "old");
    sh.close(fd);
    sh.close(sh.open("/dev/scull2", O_WRONLY));
    expect(sh.readFile("/dev/scull2").length).toBe(0);
  });

  it("seeks from the end of the data, and refuses a negative position", () => {
    const fd = sh.open("/dev/scull0", O_RDWR);
    sh.write(fd, "hello");
    expect(sh.lseek(fd, -2, SEEK_END)).toBe(3);
    expect(text(sh.read(fd, 10))).toBe("lo");
    expect(() => sh.lseek(fd, -1, SEEK_SET)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("gets, sets, tells, queries, exchanges and shifts the quantum by ioctl", () => {
    const fd = sh.open("/dev/scull0", O_RDONLY);
    expect(ioctl(fd, SCULL_IOCQQUANTUM)).toBe(4000);
    expect(ioctl(fd, SCULL_IOCTQUANTUM, 100)).toBe(0);
    const box = intBox(0);
    expect(ioctl(fd, SCULL_IOCGQUANTUM, box.ptr)).toBe(0);
    expect(box.get()).toBe(100);
    const set = intBox(200);
    expect(ioctl(fd, SCULL_IOCSQUANTUM, set.ptr)).toBe(0);
    const x = intBox(300);
    expect(ioctl(fd, SCULL_IOCXQUANTUM, x.ptr)).toBe(0);
    expect(x.get()).toBe(200);
    expect(ioctl(fd, SCULL_IOCHQUANTUM, 400)).toBe(300);
    expect(k.read("/sys/module/scull/parameters/scull_quantum")).toBe("400\n");
    expect(ioctl(fd, SCULL_IOCTQSET, 7)).toBe(0);
    expect(ioctl(fd, SCULL_IOCQQSET)).toBe(7);
    expect(ioctl(fd, SCULL_IOCRESET)).toBe(0);
    expect(ioctl(fd, SCULL_IOCQQUANTUM)).toBe(4000);
  });

  it("refuses unknown commands with ENOTTY, a bad pointer with EFAULT and a size of 0 with EINVAL", () => {
    const fd = sh.open("/dev/scull0", O_RDONLY);
    expect(ioctl(fd, ioc(0, 99, 0))).toBe(-25);
    expect(ioctl(fd, 0x5401)).toBe(-25);
    expect(ioctl(fd, SCULL_IOCGQUANTUM, 0xfffff000)).toBe(-14);
    expect(ioctl(fd, SCULL_IOCTQUANTUM, 0)).toBe(-22);
    expect(ioctl(fd, SCULL_IOCQQUANTUM)).toBe(4000);
  });

  it("uses a quantum set after a trim", () => {
    const fd = sh.open("/dev/scull0", O_RDONLY);
    ioctl(fd, SCULL_IOCTQUANTUM, 10);
    sh.close(fd);
    const w = sh.open("/dev/scull0", O_WRONLY);
    expect(sh.write(w, "0123456789abc")).toBe(10);
  });
});

// The toolkit's character device checks, as an out-of-tree driver runs them (testing/chrdev.ts).
chrdevConformance({ module: loadBytes("scull"), device: "/dev/scull0", storage: true, seekable: true, truncatesOnWriteOpen: true });
