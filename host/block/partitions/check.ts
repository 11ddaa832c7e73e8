// Reading a disk's partition table (block/partitions/core.c): check_partition() tries each parser (only
// msdos here), builds the " hda: hda1 hda2 < hda5 >" line, and blk_add_partitions() keeps the entries
// that fit on the disk, with Linux's warnings for those that do not.

import { msdosPartition } from "./msdos.js";

/** DISK_MAX_PARTS: the partitions a disk with extended device numbers may have. */
export const DISK_MAX_PARTS = 256;

export interface PartitionSlot {
  readonly from: number;
  readonly size: number;
}

/** struct parsed_partitions: what a parser fills in, and the line it prints. */
export class ParsedPartitions {
  readonly parts = new Map<number, PartitionSlot>();
  /** The next logical partition's number (msdos starts them at 5). */
  next = 1;
  /** pp_buf: " hda:" and then each partition as it is found. */
  line: string;
  /** A parser asked for a sector past the end (the table points beyond the disk). */
  accessBeyondEod = false;
  /** The partitions' name prefix: the disk's, with a 'p' when it ends in a digit (loop0p1). */
  private readonly prefix: string;

  constructor(
    diskName: string,
    readonly limit: number,
    private readonly capacity: number,
    private readonly read: (sector: number) => Uint8Array | null,
  ) {
    this.line = ` ${diskName}:`;
    this.prefix = /\d$/.test(diskName) ? `${diskName}p` : diskName;
  }

  /** read_part_sector(): null past the end of the disk (noted) or on an I/O error. */
  readSector(sector: number): Uint8Array | null {
    if (sector >= this.capacity) {
      this.accessBeyondEod = true;
      return null;
    }
    return this.read(sector);
  }

  /** put_partition(). */
  put(n: number, from: number, size: number): void {
    if (n >= this.limit) return;
    this.parts.set(n, { from, size });
    this.line += ` ${this.prefix}${n}`;
  }
}

/** The partitions to add, and the log lines (level, text) reading them gave. */
export interface ScanResult {
  readonly parts: ReadonlyMap<number, PartitionSlot>;
  readonly log: readonly (readonly [level: number, text: string])[];
}

const KERN_WARNING = 4;
const KERN_INFO = 6;

/**
 * check_partition() and blk_add_partitions(): the partitions of a disk of `capacity` sectors. Nothing is
 * printed for a disk without a table; " hda: unable to read partition table" when sector 0 cannot be read
 * or the table lies past the end. An entry starting past the end is skipped and one running past it cut
 * short, each with its warning: the rest of the disk, and the whole of it, stay usable.
 */
export function scanPartitions(diskName: string, capacity: number, limit: number, read: (sector: number) => Uint8Array | null): ScanResult {
  const state = new ParsedPartitions(diskName, limit, capacity, read);
  const log: [number, string][] = [];
  const res = msdosPartition(state);
  if (res <= 0) {
    if (res < 0 || state.accessBeyondEod) {
      log.push([KERN_INFO, `${state.line} unable to read partition table`]);
      if (state.accessBeyondEod) log.push([KERN_WARNING, `${diskName}: partition table beyond EOD, truncated`]);
    }
    return { parts: new Map(), log };
  }
  log.push([KERN_INFO, state.line.replace(/\n$/, "")]);
  if (state.accessBeyondEod) log.push([KERN_WARNING, `${diskName}: partition table partially beyond EOD, truncated`]);
  const parts = new Map<number, PartitionSlot>();
  for (const [p, { from, size }] of [...state.parts].sort(([a], [b]) => a - b)) {
    if (size === 0) continue;
    if (from >= capacity) {
      log.push([KERN_WARNING, `${diskName}: p${p} start ${from} is beyond EOD, truncated`]);
      continue;
    }
    if (from + size > capacity) log.push([KERN_WARNING, `${diskName}: p${p} size ${size} extends beyond EOD, truncated`]);
    parts.set(p, { from, size: Math.min(size, capacity - from) });
  }
  return { parts, log };
}
