// Block device ioctls (block/ioctl.c): the BLK* commands the block layer answers itself; the rest go to
// the disk's driver (a loop device's LOOP_* commands, say), ENOTTY when it has no ioctl.

import { KernelError } from "../kernel/error.js";
import { current } from "../kernel/sched.js";
import { copyToUser } from "../mm/uaccess.js";
import type { BufferCache } from "../fs/buffer.js";
import type { BlockDevice } from "./bdev.js";
import { SECTOR_SIZE } from "./blk-mq.js";
import type { Genhd } from "./genhd.js";

/** _IO(0x12, n) and _IOR(0x12, n, size_t) as wasm32's 4-byte size_t makes them (and x86_64's 8-byte one). */
export const BLKROGET = 0x125e;
export const BLKRRPART = 0x125f;
export const BLKGETSIZE = 0x1260;
export const BLKFLSBUF = 0x1261;
export const BLKSSZGET = 0x1268;
export const BLKBSZGET = 0x80041270;
export const BLKGETSIZE64 = 0x80041272;
const BLKBSZGET_64 = 0x80081270;
const BLKGETSIZE64_64 = 0x80081272;

function le(bytes: number, value: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  if (bytes === 8) view.setBigUint64(0, BigInt(value), true);
  else view.setUint32(0, value, true);
  return out;
}

/**
 * blkdev_ioctl(): BLKGETSIZE64 (bytes, u64), BLKGETSIZE (sectors, unsigned long: EFBIG past 32 bits),
 * BLKSSZGET (512), BLKBSZGET (the block size), BLKROGET, BLKFLSBUF (write back and drop the clean
 * buffers), BLKRRPART (read the partition table again: EINVAL on a partition or a disk without
 * partition scanning, EBUSY while a partition is open); anything else is the driver's.
 */
export function blkdevIoctl(genhd: Genhd, cache: BufferCache, bdev: BlockDevice, mode: number, cmd: number, arg: number): number {
  const put = (data: Uint8Array) => {
    copyToUser(current().mm, arg, data);
    return 0;
  };
  switch (cmd) {
    case BLKGETSIZE64:
    case BLKGETSIZE64_64:
      return put(le(8, bdev.bytes));
    case BLKGETSIZE:
      if (bdev.nrSects > 0xffffffff) throw new KernelError("EFBIG", `${bdev.name}: File too large`);
      return put(le(4, bdev.nrSects));
    case BLKSSZGET:
      return put(le(4, SECTOR_SIZE));
    case BLKBSZGET:
    case BLKBSZGET_64:
      return put(le(4, bdev.blockSize));
    case BLKROGET:
      return put(le(4, bdev.readOnly ? 1 : 0));
    case BLKFLSBUF:
      cache.syncBdev(bdev);
      cache.invalidate(bdev);
      return 0;
    case BLKRRPART:
      if (bdev.partno !== 0 || !bdev.disk.partscan) throw new KernelError("EINVAL", `${bdev.name}: Invalid argument`);
      genhd.rescan(bdev.disk, false);
      return 0;
    default: {
      const disk = bdev.disk;
      if (!disk.ops.ioctl || disk.dead) throw new KernelError("ENOTTY", `${bdev.name}: Inappropriate ioctl for device`);
      return disk.ops.ioctl(disk, mode, cmd, arg);
    }
  }
}
