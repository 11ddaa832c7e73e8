// The MBR parser on tables built by hand: primaries, logical chains, and tables that are not quite right.

import { describe, expect, it } from "vitest";
import { scanPartitions } from "../../../host/block/partitions/check.js";
import { mbrSector } from "../disk_fixtures.js";

/** A disk of `capacity` sectors holding the given sectors, zeros elsewhere. */
function disk(sectors: Record<number, Uint8Array>): (sector: number) => Uint8Array {
  return (n) => sectors[n] ?? new Uint8Array(512);
}

describe("msdos partitions", () => {
  it("numbers primaries 1-4 and logicals from 5, printing the extended one's with < >", () => {
    const read = disk({
      0: mbrSector([[0x83, 63, 100], [0x0f, 200, 400], [0x82, 700, 50]]),
      200: mbrSector([[0x83, 10, 50], [0x05, 100, 100]]),
      300: mbrSector([[0x83, 10, 40]]),
    });
    const { parts, log } = scanPartitions("hda", 1000, 64, read);
    expect(log).toEqual([[6, " hda: hda1 hda2 < hda5 hda6 > hda3"]]);
    expect([...parts]).toEqual([
      [1, { from: 63, size: 100 }], [2, { from: 200, size: 2 }], [3, { from: 700, size: 50 }],
      [5, { from: 210, size: 50 }], [6, { from: 310, size: 40 }],
    ]);
  });

  it("says nothing and finds nothing on a disk without the 55aa signature", () => {
    expect(scanPartitions("hda", 1000, 64, disk({}))).toEqual({ parts: new Map(), log: [] });
  });

  it("takes a FAT boot sector without a table for no table (a boot indicator other than 0 or 0x80)", () => {
    const boot = mbrSector([[0x83, 1, 10]]);
    boot[0x1be] = 0x12;
    boot[14] = 1;
    boot[16] = 2;
    boot[21] = 0xf8;
    const { parts, log } = scanPartitions("hda", 1000, 64, disk({ 0: boot }));
    expect([parts.size, log]).toEqual([0, [[6, " hda:"]]]);
  });

  it("stops a chain of extended boot records that loops on itself", () => {
    const read = disk({ 0: mbrSector([[0x05, 100, 500]]), 100: mbrSector([[0x05, 0, 500]]) });
    const { parts, log } = scanPartitions("sdb", 1000, 64, read);
    expect(log).toEqual([[6, " sdb: sdb1 < >"]]);
    expect([...parts.keys()]).toEqual([1]);
  });

  it("reports a table that points past the end as partially beyond EOD", () => {
    const { log } = scanPartitions("hda", 150, 64, disk({ 0: mbrSector([[0x83, 10, 20], [0x05, 200, 100]]) }));
    expect(log).toContainEqual([4, "hda: partition table partially beyond EOD, truncated"]);
  });

  it("names the partitions of a disk whose name ends in a digit with a p, and keeps to the limit", () => {
    const read = disk({ 0: mbrSector([[0x83, 10, 20], [0x83, 40, 20], [0x83, 70, 20]]) });
    const { parts, log } = scanPartitions("loop0", 1000, 3, read);
    expect(log).toEqual([[6, " loop0: loop0p1 loop0p2"]]);
    expect([...parts.keys()]).toEqual([1, 2]);
  });
});
