// The buffer cache (fs/buffer.c): blocks of block devices kept in memory, read through requests to the
// disk's driver, written back when dirty by sync, fsync, umount, and the periodic flush.
//
// Bounded: past CACHE_MAX bytes the least recently used clean, unreferenced buffers go; past DIRTY_MAX
// dirty bytes the writer waits for its device's dirty buffers to be written (balance_dirty_pages).

import { ERRNO } from "../../abi/errno.js";
import { MS_RDONLY } from "../../abi/fcntl.js";
import { HZ } from "../../abi/poll.js";
import { MAX_BLOCK_SIZE, type BlockDevice } from "../block/bdev.js";
import { MAX_REQUEST_SECTORS, Request, requestsError, SECTOR_SHIFT, SECTOR_SIZE, waitRequests, type BlkMqContext } from "../block/blk-mq.js";
import { KernelError, refusal } from "../kernel/error.js";
import { current } from "../kernel/sched.js";
import type { KernelTimer } from "../kernel/time/timer.js";
import { Idr } from "../lib/idr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import { actsFor, type SuperBlock } from "./fs.js";

/** The cache's memory, clean and dirty. */
export const CACHE_MAX = 64 << 20;
/** Dirty bytes past which a writer waits for writeback (dirty_bytes). */
export const DIRTY_MAX = 16 << 20;
/** dirty_writeback_centisecs: the flusher wakes every 5 s. */
export const DIRTY_WRITEBACK_JIFFIES = 5 * HZ;
/** dirty_expire_centisecs: it writes what has been dirty for 30 s. */
export const DIRTY_EXPIRE_NS = 30e9;

export class BufferHead {
  /** BH_Uptodate: data holds the block's contents. */
  uptodate = false;
  /** BH_Dirty: data is newer than the disk. */
  dirty = false;
  /** b_count: references (sb_bread, getblk); a referenced buffer stays cached. */
  count = 0;
  /** When it became dirty (simulated ns), for the flusher's expiry. */
  dirtiedNs = 0;
  /** The request it is part of while one is in flight (BH_Lock). */
  io: Request | null = null;
  readonly data: Uint8Array;

  constructor(
    readonly bdev: BlockDevice,
    readonly blocknr: number,
    readonly size: number,
  ) {
    this.data = new Uint8Array(size);
  }

  /** The block's first sector on its device (not the disk). */
  get sector(): number {
    return this.blocknr * (this.size >>> SECTOR_SHIFT);
  }
}

export interface BufferContext extends BlkMqContext {
  /** The current task's name, for the end-of-device message. */
  comm(): string;
}

export class BufferCache {
  /** Every cached buffer, least recently used first. */
  private readonly lru = new Set<BufferHead>();
  private bytes = 0;
  private dirtyBytes = 0;
  private readonly flusher: KernelTimer;

  constructor(private readonly ctx: BufferContext) {
    this.flusher = ctx.clock.setup(null, () => this.periodicFlush(), true);
    ctx.clock.mod(this.flusher, ctx.clock.jiffies + DIRTY_WRITEBACK_JIFFIES);
  }

  /** bytes cached, and of them dirty: for tests and /proc/meminfo's Buffers. */
  get usage(): { bytes: number; dirty: number } {
    return { bytes: this.bytes, dirty: this.dirtyBytes };
  }

  /**
   * bio_check_eod(): a block past the end of the device is refused with Linux's two lines (EIO). The
   * request never reaches the driver, so nothing is read or written outside the device.
   */
  private checkEod(bdev: BlockDevice, block: number, count: number, write: boolean): void {
    const perBlock = bdev.blockSize >>> SECTOR_SHIFT;
    const sector = block * perBlock;
    if (Number.isSafeInteger(sector) && block >= 0 && sector + count * perBlock <= bdev.nrSects) return;
    this.ctx.log(6, `${this.ctx.comm()}: attempt to access beyond end of device`);
    this.ctx.log(6, `${bdev.name}: rw=${write ? 1 : 0}, sector=${sector}, nr_sectors = ${count * perBlock} limit=${bdev.nrSects}`);
    throw new KernelError("EIO", `${bdev.name}: attempt to access beyond end of device`);
  }

  /** __getblk(): the buffer of a block, made (not read) if it is not cached; referenced until brelse. EIO past the end. */
  getblk(bdev: BlockDevice, block: number): BufferHead {
    let bh = bdev.buffers.get(block);
    if (!bh) {
      this.checkEod(bdev, block, 1, false);
      bh = new BufferHead(bdev, block, bdev.blockSize);
      bdev.buffers.set(block, bh);
      this.bytes += bh.size;
    } else {
      this.lru.delete(bh);
    }
    this.lru.add(bh);
    bh.count++;
    this.shrink();
    return bh;
  }

  brelse(bh: BufferHead): void {
    if (bh.count > 0) bh.count--;
  }

  /** __bread(): the block, read if need be; EIO when it cannot be (the buffer is released then). */
  bread(bdev: BlockDevice, block: number): BufferHead {
    return this.readBlocks(bdev, block, 1)[0]!;
  }

  /**
   * count blocks from `first`, each referenced; those not cached are read with as few requests as
   * their runs allow. EIO (with nothing referenced) past the end or if a read failed.
   */
  readBlocks(bdev: BlockDevice, first: number, count: number): BufferHead[] {
    this.checkEod(bdev, first, count, false);
    const bhs: BufferHead[] = [];
    for (let i = 0; i < count; i++) bhs.push(this.getblk(bdev, first + i));
    for (const bh of bhs) if (bh.io) waitRequests(this.ctx, [bh.io]);
    if (bhs.every((bh) => bh.uptodate)) return bhs;
    const rqs = this.submitRuns(bhs.filter((bh) => !bh.uptodate), false);
    waitRequests(this.ctx, rqs);
    const err = requestsError(rqs);
    if (err) {
      for (const bh of bhs) this.brelse(bh);
      throw err;
    }
    return bhs;
  }

  /**
   * mpage_readahead() then copy_page_to_iter(): dst.length bytes of the device from byte `offset` of block
   * `first` on, copied from the buffers straight into dst; the blocks not cached are read first, a request's
   * worth at a time, in one request per run. EIO past the end of the device or if a read failed.
   */
  readInto(bdev: BlockDevice, first: number, offset: number, dst: Uint8Array): void {
    const bs = bdev.blockSize;
    const batch = Math.max(1, (MAX_REQUEST_SECTORS << SECTOR_SHIFT) / bs);
    let at = 0;
    let from = offset;
    for (let block = first; at < dst.length; block += batch) {
      const bhs = this.readBlocks(bdev, block, Math.min(Math.ceil((from + dst.length - at) / bs), batch));
      for (const bh of bhs) {
        const len = Math.min(bs - from, dst.length - at);
        dst.set(len === bs ? bh.data : bh.data.subarray(from, from + len), at);
        at += len;
        from = 0;
        this.brelse(bh);
      }
    }
  }

  /** Requests for buffers of one device, sorted and merged into runs of consecutive blocks. */
  private submitRuns(bhs: BufferHead[], write: boolean): Request[] {
    const sorted = [...bhs].sort((a, b) => a.blocknr - b.blocknr);
    const rqs: Request[] = [];
    let run: BufferHead[] = [];
    const flush = () => {
      if (run.length > 0) rqs.push(this.submit(run, write));
      run = [];
    };
    for (const bh of sorted) {
      const last = run[run.length - 1];
      const full = (run.length + 1) * (bh.size >>> SECTOR_SHIFT) > MAX_REQUEST_SECTORS;
      if (last && (last.blocknr + 1 !== bh.blocknr || full)) flush();
      run.push(bh);
    }
    flush();
    return rqs;
  }

  /** submit_bh(): one request for a run of consecutive buffers. */
  private submit(run: BufferHead[], write: boolean): Request {
    const bdev = run[0]!.bdev;
    const rq = new Request(bdev.disk, bdev.start + run[0]!.sector, write, run.map((bh) => bh.data));
    for (const bh of run) {
      bh.io = rq;
      if (write) this.clean(bh);
    }
    rq.onEnd.push(() => {
      for (const bh of run) {
        if (bh.io === rq) bh.io = null;
        if (rq.error === 0) bh.uptodate = true;
      }
    });
    bdev.disk.queue.submit(rq);
    return rq;
  }

  /** The caller is about to change the buffer's data: a write of it in flight finishes first (lock_buffer). */
  lock(bh: BufferHead): void {
    if (bh.io) waitRequests(this.ctx, [bh.io]);
  }

  markDirty(bh: BufferHead): void {
    bh.uptodate = true;
    if (bh.dirty) return;
    bh.dirty = true;
    bh.dirtiedNs = this.ctx.clock.nowNs;
    this.dirtyBytes += bh.size;
  }

  private clean(bh: BufferHead): void {
    if (!bh.dirty) return;
    bh.dirty = false;
    this.dirtyBytes -= bh.size;
  }

  /** balance_dirty_pages(): past DIRTY_MAX, write the device's dirty buffers and wait. */
  balanceDirty(bdev: BlockDevice): void {
    if (this.dirtyBytes > DIRTY_MAX) this.syncBdev(bdev);
  }

  /** sync_dirty_buffer(): write it now if dirty, and wait; EIO if the write failed. */
  syncDirtyBuffer(bh: BufferHead): void {
    this.lock(bh);
    if (!bh.dirty) return;
    const rqs = this.submitRuns([bh], true);
    waitRequests(this.ctx, rqs);
    const err = requestsError(rqs);
    if (err) throw err;
  }

  /** Write dirty buffers (all of a device, or those matching), without waiting; the requests made. */
  private writeback(bdev: BlockDevice, which: (bh: BufferHead) => boolean = () => true): Request[] {
    const dirty = [...bdev.buffers.values()].filter((bh) => bh.dirty && !bh.io && which(bh));
    return this.submitRuns(dirty, true);
  }

  /** sync_blockdev(): write the device's dirty buffers and wait for them; EIO if any write failed. */
  syncBdev(bdev: BlockDevice): void {
    for (const bh of bdev.buffers.values()) if (bh.dirty && bh.io) waitRequests(this.ctx, [bh.io]);
    const rqs = this.writeback(bdev);
    waitRequests(this.ctx, rqs);
    const err = requestsError(rqs);
    if (err) throw err;
  }

  /** ksys_sync(): every device's dirty buffers written, and waited for; errors are not reported (as sync(2)). */
  syncAll(): void {
    const bdevs = new Set([...this.lru].filter((bh) => bh.dirty).map((bh) => bh.bdev));
    for (const bdev of bdevs) {
      try {
        this.syncBdev(bdev);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
  }

  /** wb_workfn(): start writing what has been dirty for DIRTY_EXPIRE_NS, without waiting; then sleep again. */
  private periodicFlush(): void {
    const expired = this.ctx.clock.nowNs - DIRTY_EXPIRE_NS;
    const bdevs = new Set([...this.lru].filter((bh) => bh.dirty && bh.dirtiedNs <= expired).map((bh) => bh.bdev));
    for (const bdev of bdevs) this.writeback(bdev, (bh) => bh.dirtiedNs <= expired);
    this.ctx.clock.mod(this.flusher, this.ctx.clock.jiffies + DIRTY_WRITEBACK_JIFFIES);
  }

  /**
   * invalidate_bdev() / kill_bdev(): forget the device's buffers that nobody references, is writing or has
   * dirtied (dirty ones too when `all`, as a device that went away or a block size change needs).
   */
  invalidate(bdev: BlockDevice, all = false): void {
    for (const bh of [...bdev.buffers.values()]) {
      if (!all && (bh.count > 0 || bh.dirty || bh.io)) continue;
      this.forget(bh);
    }
  }

  private forget(bh: BufferHead): void {
    this.clean(bh);
    bh.bdev.buffers.delete(bh.blocknr);
    this.lru.delete(bh);
    this.bytes -= bh.size;
  }

  /**
   * set_blocksize(): a power of two from the logical block size to a page. The device's buffers are
   * written back and dropped first, so no block is cached in two sizes. EINVAL for another size.
   */
  setBlocksize(bdev: BlockDevice, size: number): void {
    if (!Number.isInteger(size) || size < SECTOR_SIZE || size > MAX_BLOCK_SIZE || (size & (size - 1)) !== 0) {
      throw new KernelError("EINVAL", `${bdev.name}: block size ${size} is not a power of two from ${SECTOR_SIZE} to ${MAX_BLOCK_SIZE}`);
    }
    if (bdev.blockSize === size) return;
    this.syncBdev(bdev);
    this.invalidate(bdev, true);
    bdev.blockSize = size;
  }

  /** Past CACHE_MAX, drop the least recently used buffers nobody holds, writes or dirtied. */
  private shrink(): void {
    if (this.bytes <= CACHE_MAX) return;
    for (const bh of this.lru) {
      if (this.bytes <= CACHE_MAX) return;
      if (bh.count === 0 && !bh.dirty && !bh.io) this.forget(bh);
    }
  }
}

type BufferSymbols = Pick<
  KernelFunctions,
  | "sb_set_blocksize" | "sb_bdev_nr_sectors" | "sb_bread" | "sb_getblk" | "brelse" | "bh_read" | "sb_bread_to_user" | "bh_write"
  | "mark_buffer_dirty" | "sync_dirty_buffer" | "sync_blockdev"
>;

/** A module's references on a buffer, and whether the superblock it came through is read-only. */
interface Held {
  count: number;
  readonly readOnly: boolean;
}

/**
 * The buffer cache as filesystem modules reach it: through superblocks of their own filesystems that sit
 * on a block device, by handle. A module's brelse drops only references it took; rmmod drops the rest.
 */
export class ModuleBuffers {
  private readonly handles = new Idr<BufferHead>();
  private readonly held = new Map<Module, Map<BufferHead, Held>>();

  constructor(
    private readonly cache: BufferCache,
    /** The superblocks module filesystems know by handle. */
    private readonly sbs: Idr<SuperBlock>,
    private readonly warn: (message: string) => void,
  ) {}

  private take(mod: Module, bh: BufferHead, sb: SuperBlock): number {
    const mine = this.held.get(mod) ?? new Map<BufferHead, Held>();
    this.held.set(mod, mine);
    const h = mine.get(bh) ?? { count: 0, readOnly: (sb.flags & MS_RDONLY) !== 0 };
    h.count++;
    mine.set(bh, h);
    return this.handles.handle(bh);
  }

  private release(mod: Module, bh: BufferHead): void {
    const mine = this.held.get(mod)!;
    const h = mine.get(bh)!;
    this.cache.brelse(bh);
    if (--h.count > 0) return;
    mine.delete(bh);
    if (![...this.held.values()].some((m) => m.has(bh))) this.handles.remove(bh);
  }

  /** The references a module still holds, dropped (its rmmod): a line if there were any. */
  reclaim(mod: Module): string[] {
    const mine = this.held.get(mod);
    if (!mine || mine.size === 0) return [];
    const n = [...mine.values()].reduce((sum, h) => sum + h.count, 0);
    for (const [bh, h] of [...mine]) while (h.count > 0) this.release(mod, bh);
    this.held.delete(mod);
    return [`${n} buffer reference(s) still held at unload; released`];
  }

  symbols(mod: Module): BufferSymbols {
    const EINVAL = -ERRNO.EINVAL[0];
    const sbOf = (handle: number): SuperBlock | undefined => {
      const sb = this.sbs.find(handle);
      return sb && actsFor(mod, sb.type) && sb.bdev ? sb : undefined;
    };
    const ownBh = (handle: number): [BufferHead, Held] | undefined => {
      const bh = this.handles.find(handle);
      const h = bh && this.held.get(mod)?.get(bh);
      return bh && h ? [bh, h] : undefined;
    };
    const block = (sbHandle: number, blockNr: number, read: boolean): number => {
      const sb = sbOf(sbHandle);
      if (!sb) return 0;
      try {
        const bh = read ? this.cache.bread(sb.bdev!, blockNr >>> 0) : this.cache.getblk(sb.bdev!, blockNr >>> 0);
        return this.take(mod, bh, sb);
      } catch (e) {
        refusal(e);
        return 0;
      }
    };
    const copy = (handle: number, offset: number, ptr: number, n: number, into: boolean): number => {
      const got = ownBh(handle);
      if (!got) return EINVAL;
      const [bh, h] = got;
      if (offset < 0 || n < 0 || offset + n > bh.size) return EINVAL;
      if (into && h.readOnly) return -ERRNO.EROFS[0];
      try {
        const mem = mod.memory.bytes(ptr >>> 0, n);
        if (into) {
          this.cache.lock(bh);
          bh.data.set(mem, offset);
        } else {
          mem.set(bh.data.subarray(offset, offset + n));
        }
        return 0;
      } catch (e) {
        return refusal(e);
      }
    };
    return {
      sb_set_blocksize: (sbHandle, size) => {
        const sb = sbOf(sbHandle);
        if (!sb) return 0;
        try {
          this.cache.setBlocksize(sb.bdev!, size);
          return size;
        } catch (e) {
          refusal(e);
          return 0;
        }
      },
      sb_bdev_nr_sectors: (sbHandle) => sbOf(sbHandle)?.bdev?.nrSects ?? 0,
      sb_bread: (sbHandle, blockNr) => block(sbHandle, blockNr, true),
      sb_getblk: (sbHandle, blockNr) => block(sbHandle, blockNr, false),
      brelse: (handle) => {
        if (handle === 0) return;
        const got = ownBh(handle);
        if (got) this.release(mod, got[0]);
        else this.warn(`${mod.name}: brelse of buffer ${handle}, which it does not hold`);
      },
      bh_read: (handle, offset, to, n) => copy(handle, offset >>> 0, to, n >>> 0, false),
      sb_bread_to_user: (sbHandle, blockNr, offset, to, n) => {
        const sb = sbOf(sbHandle);
        if (!sb || offset >>> 0 >= sb.bdev!.blockSize) return EINVAL;
        try {
          this.cache.readInto(sb.bdev!, blockNr >>> 0, offset >>> 0, current().mm.bytes(to >>> 0, n >>> 0));
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      bh_write: (handle, offset, from, n) => copy(handle, offset >>> 0, from, n >>> 0, true),
      mark_buffer_dirty: (handle) => {
        const got = ownBh(handle);
        if (got && !got[1].readOnly) this.cache.markDirty(got[0]);
      },
      sync_blockdev: (sbHandle) => {
        const sb = sbOf(sbHandle);
        if (!sb) return EINVAL;
        try {
          this.cache.syncBdev(sb.bdev!);
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      sync_dirty_buffer: (handle) => {
        const got = ownBh(handle);
        if (!got) return EINVAL;
        try {
          this.cache.syncDirtyBuffer(got[0]);
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
    };
  }
}
