// The block layer: majors, disks, /proc and /sys, block device nodes through the buffer cache, partitions,
// mounts on block devices, writeback, and drivers that misbehave.

import { beforeEach, describe, expect, it } from "vitest";
import { O_EXCL, O_RDONLY, O_RDWR, SEEK_END, SEEK_SET } from "../../abi/fcntl.js";
import { S_IFBLK, S_IFMT } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { BLKFLSBUF, BLKGETSIZE64, BLKRRPART, BLKSSZGET } from "../../host/block/ioctl.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dmesg, expectErrno, expectRefused, loadBytes, moduleFixtures } from "../helpers.js";
import { BLOCKFS, mbrSector, TESTDISK, THIEF } from "./disk_fixtures.js";

const fixtures = moduleFixtures("genhd", { testdisk: TESTDISK, blockfs: BLOCKFS, thief: THIEF });
const fixture = (name: string) => fixtures.get(name)!;

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  k = new Kernel();
  libc = k.spawn("test");
});

/** Write bytes to a block device node at pos, and close it. */
function writeAt(path: string, pos: number, data: Uint8Array | string): void {
  const fd = libc.open(path, O_RDWR);
  libc.lseek(fd, pos, SEEK_SET);
  libc.write(fd, data);
  libc.close(fd);
}

function readAt(path: string, pos: number, n: number): Uint8Array {
  const fd = libc.open(path, O_RDONLY);
  try {
    libc.lseek(fd, pos, SEEK_SET);
    return libc.read(fd, n);
  } finally {
    libc.close(fd);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const param = (mod: string, name: string) => k.read(`/sys/module/${mod}/parameters/${name}`).trim();

describe("block majors", () => {
  it("lists the drivers' majors under Block devices: in /proc/devices, blkext always", () => {
    expect(k.read("/proc/devices")).toMatch(/\nBlock devices:\n259 blkext\n$/);
    k.insmod(loadBytes("brd"), { args: "rd_nr=1" });
    expect(k.read("/proc/devices")).toMatch(/\nBlock devices:\n {2}1 ramdisk\n259 blkext\n$/);
    k.rmmod("brd");
    expect(k.read("/proc/devices")).not.toContain("ramdisk");
  });

  it("refuses a major that is taken with EBUSY, leaving nothing behind", () => {
    k.insmod(loadBytes("brd"), { args: "rd_nr=1" });
    expectRefused(k, () => k.genhd.register(1, "other", null), "EBUSY");
    expect(dmesg(k)).toContain("register_blkdev: cannot get major 1 for other");
  });
});

describe("disks", () => {
  beforeEach(() => void k.insmod(loadBytes("brd"), { args: "rd_nr=2 rd_size=1024" }));

  it("shows each in /proc/partitions in 1 KiB blocks", () => {
    expect(k.read("/proc/partitions")).toBe("major minor  #blocks  name\n\n   1        0       1024 ram0\n   1        1       1024 ram1\n");
  });

  it("has /sys/block/NAME/{size,ro,dev} and a block node /dev/NAME", () => {
    expect([k.read("/sys/block/ram1/size"), k.read("/sys/block/ram1/ro"), k.read("/sys/block/ram1/dev")]).toEqual(["2048\n", "0\n", "1:1\n"]);
    const st = libc.stat("/dev/ram1");
    expect(st.mode & S_IFMT).toBe(S_IFBLK);
    expect(st.rdev).toBe(0x101);
  });

  it("goes with its driver: nodes, sysfs and /proc/partitions", () => {
    k.rmmod("brd");
    expect(k.read("/proc/partitions")).toBe("major minor  #blocks  name\n\n");
    expect(k.kernfs.isDir("/sys/block/ram0")).toBe(false);
    expectErrno(() => libc.stat("/dev/ram0"), "ENOENT");
  });
});

describe("a block device node", () => {
  beforeEach(() => void k.insmod(loadBytes("brd"), { args: "rd_nr=1 rd_size=1024" }));

  it("reads back what was written, after the cache has let it go", () => {
    writeAt("/dev/ram0", 5000, "hello block world");
    expect(k.buffers.usage.bytes).toBe(0);
    expect(text(readAt("/dev/ram0", 5000, 17))).toBe("hello block world");
    expect(readAt("/dev/ram0", 0, 4)).toEqual(new Uint8Array(4));
  });

  it("seeks from its end, reads nothing past it and refuses writes there with ENOSPC", () => {
    const fd = libc.open("/dev/ram0", O_RDWR);
    expect(libc.lseek(fd, 0, SEEK_END)).toBe(1 << 20);
    expect(libc.read(fd, 10).length).toBe(0);
    expectErrno(() => libc.write(fd, "x"), "ENOSPC");
    libc.lseek(fd, -2, SEEK_END);
    expect(libc.write(fd, "abcd")).toBe(2);
    libc.close(fd);
  });

  it("answers BLKGETSIZE64, BLKSSZGET and BLKFLSBUF", () => {
    const fd = libc.open("/dev/ram0", O_RDONLY);
    const size = libc.ioctl(fd, BLKGETSIZE64, new Uint8Array(8)).data;
    expect(new DataView(size.buffer).getBigUint64(0, true)).toBe(1048576n);
    expect(new DataView(libc.ioctl(fd, BLKSSZGET, new Uint8Array(4)).data.buffer).getInt32(0, true)).toBe(512);
    libc.read(fd, 4096);
    expect(k.buffers.usage.bytes).toBeGreaterThan(0);
    libc.ioctl(fd, BLKFLSBUF);
    expect(k.buffers.usage.bytes).toBe(0);
    expectErrno(() => libc.ioctl(fd, 0x1234), "ENOTTY");
    libc.close(fd);
  });

  it("pins the driver while open, and is exclusive with O_EXCL", () => {
    const fd = libc.open("/dev/ram0", O_RDONLY | O_EXCL);
    expectErrno(() => k.rmmod("brd"), "EAGAIN");
    expectErrno(() => libc.open("/dev/ram0", O_RDONLY | O_EXCL), "EBUSY");
    const shared = libc.open("/dev/ram0", O_RDONLY);
    libc.close(shared);
    libc.close(fd);
    libc.close(libc.open("/dev/ram0", O_RDONLY | O_EXCL));
    k.rmmod("brd");
  });

  it("made with mknod b opens the disk, and ENXIO with no disk there", () => {
    libc.mknod("/tmp-ram", S_IFBLK | 0o600, 0x100);
    expect(text(readAt("/tmp-ram", 0, 3))).toBe("\0\0\0");
    libc.mknod("/tmp-none", S_IFBLK | 0o600, 0x105);
    expectErrno(() => libc.open("/tmp-none", O_RDONLY), "ENXIO");
  });
});

describe("partitions (msdos)", () => {
  beforeEach(() => void k.insmod(fixture("testdisk")));

  it("reads primary and logical partitions when the table is reread, as Linux prints them", () => {
    writeAt("/dev/td0", 0, mbrSector([[0x83, 64, 256], [0x05, 512, 1024]]));
    writeAt("/dev/td0", 512 * 512, mbrSector([[0x83, 32, 128]]));
    const fd = libc.open("/dev/td0", O_RDONLY);
    libc.ioctl(fd, BLKRRPART);
    libc.close(fd);
    expect(dmesg(k)).toContain(" td0: td0p1 td0p2 < td0p5 >");
    expect(k.read("/proc/partitions")).toContain(" 254        1        128 td0p1\n 254        2          1 td0p2\n 254        5         64 td0p5\n");
    expect(k.read("/sys/block/td0/td0p5/start")).toBe("544\n");
    writeAt("/dev/td0p5", 0, "in p5");
    expect(text(readAt("/dev/td0", 544 * 512, 5))).toBe("in p5");
  });

  it("cuts a partition that runs past the end and skips one that starts past it, with warnings", () => {
    writeAt("/dev/td0", 0, mbrSector([[0x83, 2000, 100], [0x83, 4000, 10]]));
    const fd = libc.open("/dev/td0", O_RDONLY);
    libc.ioctl(fd, BLKRRPART);
    expect(dmesg(k)).toEqual(expect.arrayContaining([" td0: td0p1 td0p2", "td0: p1 size 100 extends beyond EOD, truncated", "td0: p2 start 4000 is beyond EOD, truncated"]));
    expect(k.read("/sys/block/td0/td0p1/size")).toBe("48\n");
    expect(k.kernfs.isDir("/sys/block/td0/td0p2")).toBe(false);
    libc.close(fd);
  });

  it("refuses BLKRRPART while a partition is open (EBUSY) and on a partition (EINVAL)", () => {
    writeAt("/dev/td0", 0, mbrSector([[0x83, 64, 256]]));
    const fd = libc.open("/dev/td0", O_RDONLY);
    libc.ioctl(fd, BLKRRPART);
    const part = libc.open("/dev/td0p1", O_RDONLY);
    expectErrno(() => libc.ioctl(fd, BLKRRPART), "EBUSY");
    expectErrno(() => libc.ioctl(part, BLKRRPART), "EINVAL");
    libc.close(part);
    libc.close(fd);
  });
});

describe("a filesystem on a block device", () => {
  beforeEach(() => {
    k.insmod(fixture("testdisk"));
    libc.mkdir("/m");
  });

  it("claims the device: another mount or an O_EXCL open is EBUSY, rmmod of the driver refused", () => {
    k.insmod(fixture("blockfs"));
    libc.mount("/dev/td0", "/m", "blockfs");
    libc.mkdir("/m2");
    expectErrno(() => libc.mount("/dev/td0", "/m2", "blockfs"), "EBUSY");
    expectErrno(() => libc.open("/dev/td0", O_RDONLY | O_EXCL), "EBUSY");
    expectErrno(() => k.rmmod("testdisk"), "EAGAIN");
    libc.umount("/m");
    libc.close(libc.open("/dev/td0", O_RDONLY | O_EXCL));
  });

  it("refuses what is not a block device with ENOTBLK", () => {
    k.insmod(fixture("blockfs"));
    expectErrno(() => libc.mount("/proc/devices", "/m", "blockfs"), "ENOTBLK");
  });

  it("writes its dirty buffers back at umount", () => {
    k.insmod(fixture("blockfs"), { args: "stamp=1 block=3" });
    libc.mount("/dev/td0", "/m", "blockfs");
    expect(param("testdisk", "writes")).toBe("0");
    libc.umount("/m");
    expect(param("testdisk", "writes")).toBe("1");
    expect(text(readAt("/dev/td0", 3 * 1024, 5))).toBe("STAMP");
  });

  it("writes them back at sync(2), and by the periodic flush 30 s after they were dirtied", () => {
    k.insmod(fixture("blockfs"), { args: "stamp=1" });
    libc.mount("/dev/td0", "/m", "blockfs");
    k.tick(20e9);
    expect(param("testdisk", "writes")).toBe("0");
    k.tick(15e9);
    expect(param("testdisk", "writes")).toBe("1");
  });

  it("gets nothing past the end of the device, with Linux's message", () => {
    k.insmod(fixture("blockfs"), { args: "block=5000" });
    expectErrno(() => libc.mount("/dev/td0", "/m", "blockfs"), "EIO");
    expect(dmesg(k)).toEqual(expect.arrayContaining(["test: attempt to access beyond end of device", "td0: rw=0, sector=10000, nr_sectors = 2 limit=2048"]));
    libc.close(libc.open("/dev/td0", O_RDONLY | O_EXCL));
  });
});

describe("sync(2)", () => {
  it("writes every dirty buffer back", () => {
    k.insmod(fixture("testdisk"));
    k.insmod(fixture("blockfs"), { args: "stamp=1" });
    libc.mkdir("/m");
    libc.mount("/dev/td0", "/m", "blockfs");
    libc.syscall(SYSCALLS.sync);
    expect(param("testdisk", "writes")).toBe("1");
  });
});

describe("a driver that misbehaves", () => {
  it("never ending a request: the I/O fails with EIO after 30 s of simulated time", () => {
    k.insmod(fixture("testdisk"), { args: "mode=1 partscan=1" });
    const before = k.clock.nowNs;
    const fd = libc.open("/dev/td0", O_RDONLY);
    expectErrno(() => libc.read(fd, 512), "EIO");
    expect(k.clock.nowNs - before).toBeGreaterThanOrEqual(30e9);
    expect(dmesg(k)).toContain("timeout error, dev td0, sector 0 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0");
    libc.close(fd);
  });

  it("never returning from queue_rq: the watchdog stops it, an Oops, and EIO", () => {
    k.insmod(fixture("testdisk"), { args: "mode=5 partscan=1" });
    k.write("/proc/sys/kernel/watchdog_thresh", "1\n");
    const fd = libc.open("/dev/td0", O_RDONLY);
    expectErrno(() => libc.read(fd, 512), "EIO");
    expect(dmesg(k).some((l) => l.startsWith("watchdog: BUG: soft lockup - CPU#0 stuck for"))).toBe(true);
    expect(k.modules.find("testdisk")!.dead).toBe(true);
    libc.close(fd);
  });

  it("failing a request: EIO with blk_print_req_error's line", () => {
    k.insmod(fixture("testdisk"), { args: "mode=3 partscan=1" });
    const fd = libc.open("/dev/td0", O_RDONLY);
    expectErrno(() => libc.read(fd, 512), "EIO");
    expect(dmesg(k)).toContain("I/O error, dev td0, sector 0 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0");
    libc.close(fd);
  });

  it("trapping in queue_rq: an Oops, EIO, and the module dead", () => {
    k.insmod(fixture("testdisk"), { args: "mode=2 partscan=1" });
    const fd = libc.open("/dev/td0", O_RDONLY);
    expectErrno(() => libc.read(fd, 512), "EIO");
    expect(dmesg(k).some((l) => l.startsWith("BUG: unable to handle page fault") || l.includes("Oops"))).toBe(true);
    expect(k.modules.find("testdisk")!.dead).toBe(true);
    libc.close(fd);
  });
});

describe("ownership", () => {
  it("keeps a driver's copies inside its request: past the end is EINVAL, nothing written", () => {
    k.insmod(fixture("testdisk"), { args: "mode=4 partscan=1" });
    expect(readAt("/dev/td0", 0, 4096)).toEqual(new Uint8Array(4096));
    expect(param("testdisk", "copyerr")).toBe("-22");
  });

  it("refuses another module's major, disk, buffer and request, with warnings, changing nothing", () => {
    k.insmod(fixture("testdisk"));
    const devices = k.read("/proc/devices");
    const partitions = k.read("/proc/partitions");
    k.insmod(fixture("thief"));
    expect(param("thief", "disk")).toBe("0");
    expect(k.read("/proc/devices")).toBe(devices);
    expect(k.read("/proc/partitions")).toBe(partitions);
    expect(dmesg(k)).toEqual(expect.arrayContaining([
      "thief: unregister_blkdev of major 254 (testdisk), which it did not register", "thief: brelse of buffer 1, which it does not hold",
    ]));
  });

  it("deletes the disks and majors a module left at rmmod, with a warning for each", () => {
    k.insmod(loadBytes("brd"), { args: "rd_nr=1" });
    k.genhd.register(0, "kept", k.modules.find("brd")!);
    k.rmmod("brd");
    expect(dmesg(k)).toContain("brd: block major 254 (kept) still registered at unload; unregistered");
    expect(k.read("/proc/devices")).toMatch(/Block devices:\n259 blkext\n$/);
  });
});
