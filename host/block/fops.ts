// Opening block devices and their device nodes' file operations (block/bdev.c's blkdev_get_by_dev and
// blkdev_put, block/fops.c's def_blk_fops): read, write and lseek through the buffer cache, fsync, ioctl.

import { major, minor, S_ISBLK } from "../../abi/stat.js";
import { O_ACCMODE, O_EXCL, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import type { BufferCache } from "../fs/buffer.js";
import type { File, FileOperations } from "../fs/fs.js";
import { walk, type WalkContext } from "../fs/namei.js";
import { llseekSize } from "../fs/read_write.js";
import { KernelError } from "../kernel/error.js";
import { current } from "../kernel/sched.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import type { Module } from "../module/internal.js";
import { BlockDevice, FMODE_READ, FMODE_WRITE } from "./bdev.js";
import type { Genhd } from "./genhd.js";
import { blkdevIoctl } from "./ioctl.js";

/** The most one step of a read or write moves through the cache (its blocks referenced at once). */
const CHUNK = 256 << 10;

export interface BlkdevContext {
  getOwner(owner: Module | null): boolean;
  putOwner(owner: Module | null): void;
  /** request_module(): modprobe's exit status, or -errno. */
  requestModule(name: string): number;
}

/** FMODE_* of an open file's access mode. */
export function fileMode(flags: number): number {
  const acc = flags & O_ACCMODE;
  return (acc === O_WRONLY ? 0 : FMODE_READ) | (acc === O_RDONLY ? 0 : FMODE_WRITE);
}

/** lookup_bdev(): the device number of the block device node at path; ENOTBLK for anything else. */
export function lookupBdev(ctx: WalkContext, path: string): number {
  const inode = walk(ctx, path).dentry.inode;
  if (!S_ISBLK(inode.mode)) throw new KernelError("ENOTBLK", `${path}: Block device required`);
  return inode.rdev;
}

export class Blkdev {
  constructor(
    private readonly genhd: Genhd,
    private readonly cache: BufferCache,
    private readonly ctx: BlkdevContext,
  ) {}

  /** blk_request_module(): "block-major-M-m", then "block-major-M" when that found nothing. */
  private lookup(dev: number): BlockDevice | undefined {
    const found = this.genhd.find(dev);
    if (found) return found;
    if (this.ctx.requestModule(`block-major-${major(dev)}-${minor(dev)}`) > 0) this.ctx.requestModule(`block-major-${major(dev)}`);
    return this.genhd.find(dev);
  }

  /**
   * blkdev_get_by_dev(): open the disk or partition dev, pinning its driver; a holder claims it
   * exclusively. ENXIO when there is none, EROFS to write a read-only one, EBUSY when another holds it,
   * or what the driver's open refused with.
   */
  open(dev: number, mode: number, holder: unknown): BlockDevice {
    const bdev = this.lookup(dev);
    if (!bdev) throw new KernelError("ENXIO", `block device ${major(dev)}:${minor(dev)}: No such device or address`);
    if (mode & FMODE_WRITE && bdev.readOnly) throw new KernelError("EROFS", `${bdev.name}: Read-only file system`);
    if (holder !== null && !bdev.mayClaim(holder)) throw new KernelError("EBUSY", `${bdev.name}: Device or resource busy`);
    const disk = bdev.disk;
    if (!this.ctx.getOwner(disk.owner)) throw new KernelError("ENXIO", `${bdev.name}: No such device or address`);
    try {
      disk.ops.open?.(disk, mode);
    } catch (e) {
      this.ctx.putOwner(disk.owner);
      throw e;
    }
    bdev.openers++;
    if (holder !== null) bdev.claim(holder);
    return bdev;
  }

  /** blkdev_put(): the last close writes the device's dirty buffers back and drops its clean ones. */
  close(bdev: BlockDevice, holder: unknown): void {
    if (holder !== null) bdev.unclaim(holder);
    const disk = bdev.disk;
    try {
      if (--bdev.openers === 0) {
        this.cache.syncBdev(bdev);
        this.cache.invalidate(bdev);
      }
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    } finally {
      try {
        if (!disk.dead) disk.ops.release?.(disk);
      } finally {
        this.ctx.putOwner(disk.owner);
      }
    }
  }

  /** def_blk_fops: what a block device node opens to. */
  fileOperations(): FileOperations {
    const bdevOf = (file: File) => file.private as BlockDevice;
    const holderOf = (file: File) => (file.flags & O_EXCL ? file : null);
    return {
      open: (inode, file) => {
        file.private = this.open(inode.rdev, fileMode(file.flags), holderOf(file));
      },
      release: (_inode, file) => this.close(bdevOf(file), holderOf(file)),
      read: (file, ubuf, count, pos) => this.read(bdevOf(file), ubuf, count, pos),
      write: (file, ubuf, count, pos) => this.write(bdevOf(file), ubuf, count, pos),
      llseek: (file, offset, whence) => llseekSize(file, offset, whence, bdevOf(file).bytes),
      fsync: (file) => this.cache.syncBdev(bdevOf(file)),
      ioctl: (file, cmd, arg) => blkdevIoctl(this.genhd, this.cache, bdevOf(file), fileMode(file.flags), cmd, arg),
    };
  }

  /** blkdev_read_iter(): up to the end of the device (0 at or past it); the bytes read before an error, or EIO. */
  read(bdev: BlockDevice, ubuf: number, count: number, pos: number): number {
    const n = Math.max(0, Math.min(count, bdev.bytes - pos));
    let done = 0;
    try {
      while (done < n) {
        const chunk = this.readChunk(bdev, pos + done, Math.min(CHUNK, n - done));
        copyToUser(current().mm, ubuf + done, chunk);
        done += chunk.length;
      }
    } catch (e) {
      if (done === 0 || !(e instanceof KernelError)) throw e;
    }
    return done;
  }

  private readChunk(bdev: BlockDevice, pos: number, n: number): Uint8Array {
    const bs = bdev.blockSize;
    const first = Math.floor(pos / bs);
    const last = Math.floor((pos + n - 1) / bs);
    const bhs = this.cache.readBlocks(bdev, first, last - first + 1);
    const out = new Uint8Array(n);
    for (const bh of bhs) {
      const blockStart = bh.blocknr * bs;
      const from = Math.max(pos, blockStart);
      const to = Math.min(pos + n, blockStart + bs);
      out.set(bh.data.subarray(from - blockStart, to - blockStart), from - pos);
      this.cache.brelse(bh);
    }
    return out;
  }

  /**
   * blkdev_write_iter(): up to the end of the device; ENOSPC at or past it, EPERM once the device became
   * read-only. Whole blocks are taken without reading them, partial ones read first; all left dirty.
   */
  write(bdev: BlockDevice, ubuf: number, count: number, pos: number): number {
    if (bdev.readOnly) throw new KernelError("EPERM", `${bdev.name}: Operation not permitted`);
    if (pos >= bdev.bytes) throw new KernelError("ENOSPC", `${bdev.name}: No space left on device`);
    const data = copyFromUser(current().mm, ubuf, Math.min(count, bdev.bytes - pos));
    const bs = bdev.blockSize;
    let done = 0;
    try {
      while (done < data.length) {
        const at = pos + done;
        const block = Math.floor(at / bs);
        const off = at - block * bs;
        const n = Math.min(bs - off, data.length - done);
        const bh = n === bs ? this.cache.getblk(bdev, block) : this.cache.bread(bdev, block);
        this.cache.lock(bh);
        bh.data.set(data.subarray(done, done + n), off);
        this.cache.markDirty(bh);
        this.cache.brelse(bh);
        done += n;
      }
      this.cache.balanceDirty(bdev);
    } catch (e) {
      if (done === 0 || !(e instanceof KernelError)) throw e;
    }
    return done;
  }
}
