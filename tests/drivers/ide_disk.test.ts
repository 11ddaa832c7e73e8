// The IDE disk driver on the emulated disk: partitions of images made by the real tools, bytes landing
// where they belong in the host image, and what is refused while the disk is in use.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { mbrSector } from "../block/disk_fixtures.js";
import { cliRunner, dmesg, expectRefused, loadBytes, scratchDir, type CliResult } from "../helpers.js";

const scratch = scratchDir("ide_disk");
afterAll(() => scratch.cleanup());

const SFDISK = ["/usr/sbin/sfdisk", "/sbin/sfdisk"].find(existsSync);

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let image: string;
beforeEach(() => {
  k = new Kernel();
  run = cliRunner(k);
  image = join(scratch.dir, `disk-${Math.random().toString(36).slice(2)}.img`);
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

/** A 16 MiB image: primary 1 at 2048 (8192 sectors), extended 2 at 10240 holding logical 5 at 12288 (2048). */
function handMadeImage(): void {
  const data = new Uint8Array(16 << 20);
  data.set(mbrSector([[0x83, 2048, 8192], [0x05, 10240, 4096]]), 0);
  data.set(mbrSector([[0x83, 2048, 2048]]), 10240 * 512);
  writeFileSync(image, data);
}

describe("an image partitioned by sfdisk", () => {
  it.skipIf(!SFDISK)("shows sfdisk's partitions and sizes (needs sfdisk, from Debian's fdisk)", async () => {
    writeFileSync(image, new Uint8Array(0));
    execFileSync("truncate", ["-s", "16M", image]);
    execFileSync(SFDISK!, ["-q", image], { input: "label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=4096, type=5\nstart=12288, size=2048, type=83\n" });
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    expect(dmesg(k)).toContain(" hda: hda1 hda2 < hda5 >");
    expect(k.read("/proc/partitions")).toBe(
      "major minor  #blocks  name\n\n   3        0      16384 hda\n   3        1       4096 hda1\n   3        2          1 hda2\n   3        5       1024 hda5\n",
    );
    expect(k.read("/sys/block/hda/hda5/start")).toBe("12288\n");
  });
});

describe("the driver", () => {
  beforeEach(handMadeImage);

  it("identifies the disk and reads its table, as the legacy IDE driver prints it", async () => {
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    expect(dmesg(k)).toEqual(expect.arrayContaining([
      "hda: WASM-LKM HARDDISK, ATA DISK drive", "ide0 at 0x1f0-0x1f7,0x3f6 on irq 14", "hda: 32768 sectors (16 MB)", " hda: hda1 hda2 < hda5 >",
    ]));
    expect(k.read("/proc/ioports")).toBe("01f0-01f7 : ide0\n03f6-03f6 : ide0\n");
    expect(k.read("/proc/devices")).toContain("\n  3 ide0\n");
    expect(k.read("/proc/interrupts")).toMatch(/ 14: +\d+ +XT-PIC +14-edge +ide0\n/);
  });

  it("puts bytes written to /dev/hda1 at the partition's offset of the host image once synced", async () => {
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    await ok("echo hello > /h");
    await run("dd if=/h of=/dev/hda1 bs=512 seek=3 conv=notrunc");
    await ok("sync");
    const at = (2048 + 3) * 512;
    expect(new TextDecoder().decode(readFileSync(image).subarray(at, at + 6))).toBe("hello\n");
  });

  it("reads what the host wrote into the image, across commands of 256 sectors", async () => {
    const data = readFileSync(image);
    data.set(new TextEncoder().encode("far away"), 700 * 512);
    writeFileSync(image, data);
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    await run("dd if=/dev/hda of=/o bs=512 skip=700 count=1");
    expect((await ok("cat /o")).slice(0, 8)).toBe("far away");
    expect((await run("dd if=/dev/hda of=/dev/null bs=1M")).err).toMatch(/^16\+0 records in\n16\+0 records out\n/);
  });

  it("keeps the disk while it is in use: rmmod refused while open, hw detach while the driver holds it", async () => {
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    const libc = k.spawn("holder");
    const fd = libc.open("/dev/hda1", 0);
    expect((await run("rmmod ide_disk")).status).toBe(1);
    libc.close(fd);
    expect(await run("hw detach ide0")).toMatchObject({ status: 1, err: "hw: ide0: in use by ide_disk (ports 0x1f0-0x1f7): Device or resource busy\n" });
    await ok("rmmod ide_disk");
    await ok("hw detach ide0");
  });

  it("finds no disk without the hardware: ENODEV, leaving nothing behind", () => {
    expectRefused(k, () => k.insmod(loadBytes("ide_disk")), "ENODEV");
  });

  it("makes an image attached read-only a read-only disk: writes refused with EROFS, the image untouched", async () => {
    await ok(`hw attach ide0 file=${image} ro`);
    await ok("modprobe ide_disk");
    expect(dmesg(k)).toContain("hda: Write Protect is on");
    expect(k.read("/sys/block/hda/ro")).toBe("1\n");
    const before = readFileSync(image);
    await ok("echo x > /h");
    expect(await run("dd if=/h of=/dev/hda1 bs=512 count=1")).toMatchObject({ status: 1, err: "dd: failed to open '/dev/hda1': Read-only file system\n" });
    expect(await run("dd if=/dev/hda of=/r bs=512 count=1")).toMatchObject({ status: 0, err: expect.stringMatching(/^1\+0 records in\n1\+0 records out\n/) });
    expect(readFileSync(image).equals(before)).toBe(true);
  });

  it("keeps a writable image's disk writable", async () => {
    await ok(`hw attach ide0 file=${image}`);
    await ok("modprobe ide_disk");
    expect(dmesg(k)).not.toContain("Write Protect");
    expect(k.read("/sys/block/hda/ro")).toBe("0\n");
  });
});

describe("hw attach ide0", () => {
  it("names a missing image, and one shorter than claimed", async () => {
    const missing = join(scratch.dir, "missing.img");
    expect(await run(`hw attach ide0 file=${missing}`)).toMatchObject({ status: 1, err: `hw: cannot open ${missing}: No such file or directory\n` });
    writeFileSync(image, new Uint8Array(4096));
    expect(await run(`hw attach ide0 file=${image} size=1M`)).toMatchObject({ status: 1, err: `hw: ${image}: 4096 bytes, shorter than the 1048576 claimed\n` });
    expect(await run("hw attach ide0")).toMatchObject({ status: 1, err: "hw: ide needs file=PATH, the host image\n" });
    expect(k.machine.list()).toEqual([]);
  });

  // sysfs refuses to open an attribute without a store for writing, even to root (kernfs_fop_open: EACCES).
  const READ_ONLY_FILE = "/sys/kernel/uevent_seqnum";
  it.skipIf(!existsSync(READ_ONLY_FILE))("names an image it cannot write, unless attached ro (needs the host's /sys)", async () => {
    expect(await run(`hw attach ide0 file=${READ_ONLY_FILE}`)).toMatchObject({
      status: 1, err: `hw: cannot open ${READ_ONLY_FILE}: it is not writable (attach it ro)\n`,
    });
    expect(k.machine.list()).toEqual([]);
    await ok(`hw attach ide0 file=${READ_ONLY_FILE} ro`);
    expect(k.machine.list()).toHaveLength(1);
    await ok("hw detach ide0");
  });
});
