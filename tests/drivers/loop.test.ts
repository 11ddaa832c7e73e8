// The loop driver with losetup and mount -o loop: files in ramfs as block devices.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { BLOCKFS, mbrSector } from "../block/disk_fixtures.js";
import { cliRunner, dmesg, moduleFixtures, type CliResult } from "../helpers.js";

const fixtures = moduleFixtures("loop", { blockfs: BLOCKFS });

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  for (const line of ["modprobe memdev", "modprobe ramfs", "mkdir /r", "mount -t ramfs none /r", "dd if=/dev/zero of=/r/img bs=1k count=64 status=none"]) {
    expect((await run(line)).status).toBe(0);
  }
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

describe("losetup", () => {
  it("binds a file in ramfs: its size in /proc/partitions, listed by -a, gone after -d", async () => {
    expect(await ok("losetup --show -f /r/img")).toBe("/dev/loop0\n");
    expect(k.read("/proc/partitions")).toContain("   7        0         64 loop0\n");
    expect(await ok("losetup -a")).toMatch(/^\/dev\/loop0: \[\d{4}\]:\d+ \(\/r\/img\)\n$/);
    expect(dmesg(k)).toContain("loop0: detected capacity change from 0 to 128");
    await ok("losetup -d /dev/loop0");
    expect(await ok("losetup -a")).toBe("");
    expect(await ok("losetup -f")).toBe("/dev/loop0\n");
  });

  it("lists the bound devices in --list's table without arguments", async () => {
    await ok("losetup -r -o 512 /dev/loop0 /r/img");
    expect(await ok("losetup")).toBe(
      "NAME       SIZELIMIT OFFSET AUTOCLEAR RO BACK-FILE DIO LOG-SEC\n/dev/loop0         0    512         0  1 /r/img      0     512\n",
    );
  });

  it("puts bytes written to the device at the offset of the file", async () => {
    await ok("losetup -o 1024 /dev/loop1 /r/img");
    await ok("echo hello > /h");
    await ok("dd if=/h of=/dev/loop1 bs=512 seek=2 conv=notrunc status=none");
    await ok("blockdev --flushbufs /dev/loop1");
    await ok("dd if=/r/img of=/o bs=1 skip=2048 count=6 status=none");
    expect(await ok("cat /o")).toBe("hello\n");
    expect(await ok("blockdev --getsize64 /dev/loop1")).toBe(`${64 * 1024 - 1024}\n`);
  });

  it("with -r makes a read-only device: opening it for writing is EROFS", async () => {
    await ok("losetup -r /dev/loop0 /r/img");
    expect(await run("dd if=/dev/zero of=/dev/loop0 count=1")).toMatchObject({ status: 1, err: "dd: failed to open '/dev/loop0': Read-only file system\n" });
    expect(k.read("/sys/block/loop0/ro")).toBe("1\n");
  });

  it("with -P reads the file's partition table, numbering the partitions from blkext", async () => {
    const libc = k.spawn("t");
    const fd = libc.open("/r/img", 2);
    libc.write(fd, mbrSector([[0x83, 2, 40], [0x83, 64, 32]]));
    libc.close(fd);
    await ok("losetup -P /dev/loop0 /r/img");
    expect(dmesg(k)).toContain(" loop0: loop0p1 loop0p2");
    expect(k.read("/proc/partitions")).toContain(" 259        0         20 loop0p1\n 259        1         16 loop0p2\n");
    await ok("losetup -d /dev/loop0");
    expect(k.read("/proc/partitions")).not.toContain("loop0p1");
  });

  it("names what it could not bind, and refuses a device that is bound (EBUSY)", async () => {
    expect(await run("losetup /dev/loop0 /r/none")).toMatchObject({ status: 1, err: "losetup: /r/none: failed to set up loop device: No such file or directory\n" });
    await ok("losetup /dev/loop0 /r/img");
    expect(await run("losetup /dev/loop0 /r/img")).toMatchObject({ status: 1, err: "losetup: /r/img: failed to set up loop device: Device or resource busy\n" });
    expect(await run("losetup -d /dev/loop3")).toMatchObject({ status: 1, err: "losetup: /dev/loop3: detach failed: No such device or address\n" });
  });

  it("keeps the backing file's filesystem busy while bound", async () => {
    await ok("losetup /dev/loop0 /r/img");
    expect((await run("umount /r")).status).toBe(1);
    await ok("losetup -d /dev/loop0");
    await ok("umount /r");
  });
});

describe("mount -o loop", () => {
  beforeEach(() => void k.insmod(fixtures.get("blockfs")!, { args: "stamp=1" }));

  it("mounts the file through a free loop device, detached again at umount", async () => {
    await ok("mkdir /m");
    await ok("mount -t blockfs -o loop /r/img /m");
    expect(k.read("/proc/mounts")).toContain("/dev/loop0 /m blockfs rw,relatime 0 0\n");
    expect(await run("losetup -d /dev/loop0")).toMatchObject({ status: 1, err: "losetup: /dev/loop0: detach failed: Device or resource busy\n" });
    await ok("umount /m");
    expect(await ok("losetup -a")).toBe("");
    await ok("dd if=/r/img of=/o bs=5 count=1 status=none");
    expect(await ok("cat /o")).toBe("STAMP");
  });

  it("mounts a read-only loop device read-only, with util-linux's warning", async () => {
    await ok("mkdir /m");
    await ok("losetup -r /dev/loop0 /r/img");
    expect(await run("mount -t blockfs /dev/loop0 /m")).toMatchObject({ status: 0, err: "mount: /m: WARNING: source write-protected, mounted read-only.\n" });
    expect(k.read("/proc/mounts")).toContain("/dev/loop0 /m blockfs ro,relatime 0 0\n");
  });

  it("leaves no loop device bound when the mount fails", async () => {
    await ok("mkdir /m");
    expect((await run("mount -t nosuchfs -o loop /r/img /m")).status).toBe(1);
    expect(await ok("losetup -a")).toBe("");
  });
});
