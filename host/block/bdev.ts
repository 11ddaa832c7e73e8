// Block devices (block/bdev.c): a whole disk or one of its partitions, opened and claimed.
//
// Every open pins the disk's driver module and calls its open; an exclusive claim (a mount, an open with
// O_EXCL) keeps other claimants out with EBUSY until it is released, as bd_prepare_to_claim() does.

import { KernelError } from "../kernel/error.js";
import type { BufferHead } from "../fs/buffer.js";
import { SECTOR_SIZE } from "./blk-mq.js";
import type { Gendisk } from "./genhd.js";

/** FMODE_READ and FMODE_WRITE, as a driver's open() gets them. */
export const FMODE_READ = 1;
export const FMODE_WRITE = 2;
/** The largest block size the buffer cache takes (PAGE_SIZE). */
export const MAX_BLOCK_SIZE = 4096;

/** set_init_blocksize(): the largest power of two up to a page that divides the device's size. */
function initBlocksize(bytes: number): number {
  let size = SECTOR_SIZE;
  while (size < MAX_BLOCK_SIZE && bytes % (size * 2) === 0) size *= 2;
  return size;
}

export class BlockDevice {
  /** Opens (files, mounts, a loop device's backing) that hold it. */
  openers = 0;
  /** bd_holder: who claimed it exclusively (a filesystem type, an O_EXCL file); null for nobody. */
  holder: unknown = null;
  /** How many claims the holder has. */
  holders = 0;
  blockSize: number;
  /** The buffer cache's blocks of this device, by block number. */
  readonly buffers = new Map<number, BufferHead>();

  constructor(
    readonly disk: Gendisk,
    /** 0 for the whole disk. */
    readonly partno: number,
    readonly dev: number,
    /** The first sector on the disk, and the length in sectors. */
    public start: number,
    public nrSects: number,
  ) {
    this.blockSize = initBlocksize(nrSects * SECTOR_SIZE);
  }

  /** hda, hda1; loop0, loop0p1. */
  get name(): string {
    if (this.partno === 0) return this.disk.name;
    return `${this.disk.name}${/\d$/.test(this.disk.name) ? "p" : ""}${this.partno}`;
  }

  get bytes(): number {
    return this.nrSects * SECTOR_SIZE;
  }

  get readOnly(): boolean {
    return this.disk.ro;
  }

  /** The whole disk this device is part of (itself for the whole disk). */
  get whole(): BlockDevice {
    return this.disk.part0;
  }

  /** bd_may_claim(): free, the holder's own, or a partition of a whole disk claimed only for its partitions. */
  mayClaim(holder: unknown): boolean {
    if (this.holder === holder) return true;
    if (this.holder !== null) return false;
    return this === this.whole || this.whole.holder === null || this.whole.holder === holder;
  }

  /** bd_finish_claiming(): EBUSY when another holds it. */
  claim(holder: unknown): void {
    if (!this.mayClaim(holder)) throw new KernelError("EBUSY", `${this.name}: Device or resource busy`);
    this.holder = holder;
    this.holders++;
  }

  /** bd_abort_claiming()/release of one claim. */
  unclaim(holder: unknown): void {
    if (this.holder !== holder) return;
    if (--this.holders === 0) this.holder = null;
  }
}
