// The emulated IDE disk: its registers, IDENTIFY, PIO reads and writes through to the image, IDNF past
// the end, and what `hw attach` refuses.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { IdeDisk, ImageError } from "../../host/hw/ide.js";
import { scratchDir } from "../helpers.js";

const scratch = scratchDir("ide");
afterAll(() => scratch.cleanup());

let image: string;
let irqs: boolean[];
let disk: IdeDisk;
beforeEach(() => {
  image = join(scratch.dir, "disk.img");
  const data = new Uint8Array(64 * 512);
  for (let s = 0; s < 64; s++) data[s * 512] = s;
  writeFileSync(image, data);
  irqs = [];
  disk = new IdeDisk({ base: 0x1f0, ctl: 0x3f6, irq: (level) => void irqs.push(level), file: image, readOnly: false });
});

const ctl = () => disk.companions[0]!;

/** Program LBA28 registers and a command. */
function command(cmd: number, lba: number, count: number): void {
  disk.write(2, count, 1);
  disk.write(3, lba & 0xff, 1);
  disk.write(4, (lba >> 8) & 0xff, 1);
  disk.write(5, (lba >> 16) & 0xff, 1);
  disk.write(6, 0xe0 | ((lba >> 24) & 0xf), 1);
  disk.write(7, cmd, 1);
}

function readSector(): Uint8Array {
  const words = new Uint16Array(256);
  disk.readWords(0, words);
  return new Uint8Array(words.buffer);
}

describe("IDENTIFY DEVICE", () => {
  it("gives the model, LBA support and the capacity, with an interrupt", () => {
    disk.write(6, 0xa0, 1);
    disk.write(7, 0xec, 1);
    expect(irqs).toEqual([true]);
    expect(disk.read(7, 1)).toBe(0x58);
    expect(irqs).toEqual([true, false]);
    const words = new Uint16Array(readSector().buffer);
    expect(words[49]! & 0x200).toBe(0x200);
    expect(words[60]! | (words[61]! << 16)).toBe(64);
    const model = Array.from(words.subarray(27, 47), (w) => String.fromCharCode(w >> 8, w & 0xff)).join("").trim();
    expect(model).toBe("WASM-LKM HARDDISK");
    expect(disk.read(7, 1)).toBe(0x50);
  });
});

describe("READ SECTORS", () => {
  it("moves a sector per interrupt, then drops DRQ", () => {
    command(0x20, 10, 2);
    expect(disk.read(7, 1)).toBe(0x58);
    expect(readSector()[0]).toBe(10);
    expect(disk.read(7, 1)).toBe(0x58);
    expect(readSector()[0]).toBe(11);
    expect(disk.read(7, 1)).toBe(0x50);
    expect(irqs).toEqual([true, false, true, false]);
  });

  it("refuses sectors past the end with IDNF, reading nothing", () => {
    command(0x20, 63, 2);
    expect(disk.read(7, 1)).toBe(0x51);
    expect(disk.read(1, 1)).toBe(0x10);
  });

  it("raises no interrupt while nIEN is set in the control register", () => {
    ctl().write(0, 0x02, 1);
    command(0x20, 0, 1);
    expect(irqs).toEqual([]);
    expect(ctl().read(0, 1) & 0x08).toBe(0x08);
  });
});

describe("WRITE SECTORS", () => {
  it("takes the first sector without an interrupt and writes each through to the image", () => {
    command(0x30, 5, 2);
    expect(irqs).toEqual([]);
    const sector = new Uint8Array(512).fill(0xab);
    disk.writeWords(0, new Uint16Array(sector.buffer));
    expect(irqs).toEqual([true]);
    expect(readFileSync(image)[5 * 512 + 100]).toBe(0xab);
    disk.read(7, 1);
    disk.writeWords(0, new Uint16Array(sector.buffer));
    expect(disk.read(7, 1)).toBe(0x50);
    expect(readFileSync(image)[6 * 512]).toBe(0xab);
  });

  it("aborts on a read-only image, leaving it as it was", () => {
    const ro = new IdeDisk({ base: 0x1f0, ctl: 0x3f6, irq: () => {}, file: image, readOnly: true });
    ro.write(6, 0xe0, 1);
    ro.write(7, 0x30, 1);
    expect(ro.read(7, 1)).toBe(0x51);
    expect(ro.read(1, 1)).toBe(0x04);
    ro.close();
  });
});

describe("GET MEDIA STATUS", () => {
  it("says a read-only image is write-protected (ERR, WP), and a writable one is not", () => {
    disk.write(7, 0xda, 1);
    expect(disk.read(7, 1) & 0x01).toBe(0);
    const ro = new IdeDisk({ base: 0x1f0, ctl: 0x3f6, irq: () => {}, file: image, readOnly: true });
    ro.write(7, 0xda, 1);
    expect(ro.read(7, 1) & 0x01).toBe(0x01);
    expect(ro.read(1, 1)).toBe(0x40);
    ro.close();
  });
});

describe("attaching an image", () => {
  const attach = (file: string, claimedBytes?: number) => () => new IdeDisk({ base: 0x1f0, ctl: 0x3f6, irq: () => {}, file, readOnly: false, claimedBytes });

  it("refuses a missing file, a directory, a size not in whole sectors, and one shorter than claimed", () => {
    expect(attach(join(scratch.dir, "none.img"))).toThrow(new ImageError(`cannot open ${join(scratch.dir, "none.img")}: No such file or directory`));
    const dir = join(scratch.dir, "d");
    mkdirSync(dir, { recursive: true });
    expect(attach(dir)).toThrow(ImageError);
    const odd = join(scratch.dir, "odd.img");
    writeFileSync(odd, new Uint8Array(1000));
    expect(attach(odd)).toThrow(new ImageError(`${odd}: 1000 bytes is not a whole number of 512-byte sectors`));
    expect(attach(image, 1 << 20)).toThrow(new ImageError(`${image}: 32768 bytes, shorter than the 1048576 claimed`));
  });
});
