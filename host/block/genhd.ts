// Disks (block/genhd.c): block majors and /proc/devices' "Block devices:", gendisks added and deleted
// with their /dev nodes, /sys/block/NAME and /proc/partitions, and their partitions read as they are added.
//
// A disk records the module that allocated it (its driver): only that module adds, changes or deletes it,
// and rmmod deletes what the module left. Partitions past the disk's own minors get numbers from the
// extended major 259 (blkext), as Linux gives them.

import { major, makedev, minor, S_IFBLK } from "../../abi/stat.js";
import type { Devices } from "../drivers/base/core.js";
import type { BufferCache } from "../fs/buffer.js";
import type { Kernfs } from "../fs/kernfs.js";
import { KernelError } from "../kernel/error.js";
import { Idr } from "../lib/idr.js";
import type { Module } from "../module/internal.js";
import { BlockDevice } from "./bdev.js";
import { Request, RequestQueue, SECTOR_SIZE, type BlkMqContext, type QueueRq, type RequestTarget } from "./blk-mq.js";
import { DISK_MAX_PARTS, scanPartitions } from "./partitions/check.js";

/** BLKDEV_MAJOR_MAX, and the dynamic majors (searched downwards, as for character devices' first range). */
export const BLKDEV_MAJOR_MAX = 512;
const DYN_START = 254;
const DYN_END = 1;
/** BLOCK_EXT_MAJOR: where partitions past a disk's minors get their numbers. */
export const BLOCK_EXT_MAJOR = 259;
const MINORBITS = 20;

/** A driver's operations as the block layer calls them (through the gate when the driver is a module). */
export interface BlockDeviceOperations {
  /** The module pinned while the disk is open (block_device_operations.owner). */
  readonly owner: Module | null;
  queueRq(disk: Gendisk, rq: Request): number;
  /** Throws KernelError to refuse the open. */
  open?(disk: Gendisk, mode: number): void;
  release?(disk: Gendisk): void;
  ioctl?(disk: Gendisk, mode: number, cmd: number, arg: number): number;
}

export class Gendisk implements RequestTarget {
  /** In 512-byte sectors. */
  capacity = 0;
  ro = false;
  added = false;
  /** del_gendisk() has run: its I/O fails, new opens find nothing. */
  dead = false;
  /** Whether add_disk and BLKRRPART read a partition table (GENHD_FL_NO_PART clear). */
  partscan: boolean;
  queueRq: QueueRq | null;
  readonly part0: BlockDevice;
  /** Partitions by number. */
  readonly parts = new Map<number, BlockDevice>();

  constructor(
    readonly major: number,
    readonly firstMinor: number,
    readonly minors: number,
    readonly name: string,
    readonly ops: BlockDeviceOperations,
    readonly queue: RequestQueue,
  ) {
    this.partscan = minors > 1;
    this.queueRq = (rq) => ops.queueRq(this, rq);
    this.part0 = new BlockDevice(this, 0, makedev(major, firstMinor), 0, 0);
  }

  get owner(): Module | null {
    return this.ops.owner;
  }

  /** Opens of the disk and of its partitions. */
  get openers(): number {
    return [this.part0, ...this.parts.values()].reduce((n, b) => n + b.openers, 0);
  }
}

/** What genhd needs from the kernel. */
export interface GenhdContext extends BlkMqContext {
  readonly kernfs: Kernfs;
  devices(): Devices;
  readonly cache: () => BufferCache;
  warn(message: string): void;
}

interface Major {
  readonly name: string;
  readonly owner: Module | null;
}

export class Genhd {
  private readonly majors = new Map<number, Major>();
  private readonly disks: Gendisk[] = [];
  /** Opened by device number: the added disks and their partitions. */
  private readonly bdevs = new Map<number, BlockDevice>();
  private readonly extMinors = new Set<number>();
  readonly requests = new Idr<Request>();

  constructor(private readonly ctx: GenhdContext) {
    this.register(BLOCK_EXT_MAJOR, "blkext", null);
  }

  /** register_blkdev(): a fixed major, or with 0 the first free dynamic one; returns the major. */
  register(requested: number, name: string, owner: Module | null): number {
    if (requested >= BLKDEV_MAJOR_MAX) {
      this.ctx.log(3, `register_blkdev: major requested (${requested}) is greater than the maximum (${BLKDEV_MAJOR_MAX - 1}) for ${name}`);
      throw new KernelError("EINVAL", `${name}: major ${requested} is too large`);
    }
    let majorNr = requested;
    if (majorNr === 0) {
      for (majorNr = DYN_START; majorNr >= DYN_END && this.majors.has(majorNr); majorNr--);
      if (majorNr < DYN_END) {
        this.ctx.log(3, `register_blkdev: failed to get major for ${name}`);
        throw new KernelError("EBUSY", `${name}: no dynamic block major left`);
      }
    }
    if (this.majors.has(majorNr)) {
      this.ctx.log(6, `register_blkdev: cannot get major ${majorNr} for ${name}`);
      throw new KernelError("EBUSY", `${name}: block major ${majorNr} is taken by ${this.majors.get(majorNr)!.name}`);
    }
    this.majors.set(majorNr, { name, owner });
    return majorNr;
  }

  /** unregister_blkdev(): the caller's major of that name; anything else is refused with a warning. */
  unregister(majorNr: number, name: string, owner: Module | null): void {
    const m = this.majors.get(majorNr);
    if (!m || m.owner !== owner || m.name !== name) {
      const message = `${owner?.name ?? "kernel"}: unregister_blkdev of major ${majorNr} (${name}), which it did not register`;
      this.ctx.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.majors.delete(majorNr);
  }

  /**
   * __alloc_disk_node(): a disk on major:first..first+minors-1 of a major the caller registered. EINVAL for
   * a bad name or range, EBUSY when another disk has some of those minors.
   */
  alloc(owner: Module | null, majorNr: number, firstMinor: number, minors: number, name: string, ops: BlockDeviceOperations): Gendisk {
    if (this.majors.get(majorNr)?.owner !== owner) throw new KernelError("EINVAL", `${name}: block major ${majorNr} is not the driver's`);
    if (!/^[A-Za-z0-9_.-]{1,31}$/.test(name)) throw new KernelError("EINVAL", `alloc_disk: bad disk name '${name}'`);
    if (minors < 1 || minors > DISK_MAX_PARTS || firstMinor + minors > 1 << MINORBITS) throw new KernelError("EINVAL", `${name}: bad minor range`);
    const clash = this.disks.find((d) => d.major === majorNr && firstMinor < d.firstMinor + d.minors && d.firstMinor < firstMinor + minors);
    if (clash) throw new KernelError("EBUSY", `${name}: minors ${majorNr}:${firstMinor} are ${clash.name}'s`);
    if (this.disks.some((d) => d.name === name)) throw new KernelError("EEXIST", `${name}: a disk of that name exists`);
    const disk = new Gendisk(majorNr, firstMinor, minors, name, ops, new RequestQueue(this.ctx, this.requests));
    this.disks.push(disk);
    return disk;
  }

  /** device_add_disk(): /dev/NAME, /sys/block/NAME, then the partition table. EINVAL if added already. */
  add(disk: Gendisk): void {
    if (disk.added || disk.dead) throw new KernelError("EINVAL", `${disk.name}: disk was added already`);
    disk.added = true;
    disk.part0.nrSects = disk.capacity;
    this.addBdev(disk.part0);
    this.scan(disk);
  }

  private addBdev(bdev: BlockDevice): void {
    this.bdevs.set(bdev.dev, bdev);
    const owner = bdev.disk.owner;
    if (owner) this.ctx.devices().create(owner, major(bdev.dev), minor(bdev.dev), bdev.name, S_IFBLK);
    this.addSysfs(bdev);
  }

  private removeBdev(bdev: BlockDevice): void {
    this.bdevs.delete(bdev.dev);
    if (bdev.disk.owner) this.ctx.devices().destroy(bdev.disk.owner, major(bdev.dev), minor(bdev.dev), S_IFBLK);
    this.ctx.kernfs.removeTree(this.sysfsDir(bdev));
    if (major(bdev.dev) === BLOCK_EXT_MAJOR) this.extMinors.delete(minor(bdev.dev));
  }

  private sysfsDir(bdev: BlockDevice): string {
    return bdev.partno === 0 ? `/sys/block/${bdev.name}` : `/sys/block/${bdev.disk.name}/${bdev.name}`;
  }

  /** /sys/block/NAME/{dev,size,ro}, and for a partition also start and partition. */
  private addSysfs(bdev: BlockDevice): void {
    const dir = this.sysfsDir(bdev);
    const attr = (name: string, show: () => string | number) => this.ctx.kernfs.add(`${dir}/${name}`, { mode: 0o444, show: () => `${show()}\n` });
    attr("dev", () => `${major(bdev.dev)}:${minor(bdev.dev)}`);
    attr("size", () => bdev.nrSects);
    attr("ro", () => (bdev.readOnly ? 1 : 0));
    if (bdev.partno === 0) return;
    attr("start", () => bdev.start);
    attr("partition", () => bdev.partno);
  }

  /** The device number of partition p: the disk's own minors first, then blkext's. */
  private partDev(disk: Gendisk, p: number): number {
    if (p < disk.minors) return makedev(disk.major, disk.firstMinor + p);
    let m = 0;
    while (this.extMinors.has(m)) m++;
    this.extMinors.add(m);
    return makedev(BLOCK_EXT_MAJOR, m);
  }

  /** blk_add_partitions(): read the table through the whole disk's buffers and add what it holds. */
  private scan(disk: Gendisk): void {
    if (!disk.partscan || disk.capacity === 0) return;
    const cache = this.ctx.cache();
    const bdev = disk.part0;
    const read = (sector: number): Uint8Array | null => {
      const perBlock = bdev.blockSize / SECTOR_SIZE;
      try {
        const bh = cache.bread(bdev, Math.floor(sector / perBlock));
        cache.brelse(bh);
        const at = (sector % perBlock) * SECTOR_SIZE;
        return bh.data.slice(at, at + SECTOR_SIZE);
      } catch (e) {
        if (e instanceof KernelError) return null;
        throw e;
      }
    };
    const limit = disk.minors > 1 ? disk.minors : DISK_MAX_PARTS;
    const { parts, log } = scanPartitions(disk.name, disk.capacity, limit, read);
    for (const [level, text] of log) this.ctx.log(level, text);
    for (const [p, { from, size }] of parts) {
      const part = new BlockDevice(disk, p, this.partDev(disk, p), from, size);
      disk.parts.set(p, part);
      this.addBdev(part);
    }
  }

  /** bdev_disk_changed(): drop the partitions and read the table again (none with invalidate). EBUSY while one is open. */
  rescan(disk: Gendisk, invalidate: boolean): void {
    if (!disk.added || disk.dead) throw new KernelError("EINVAL", `${disk.name}: disk is not added`);
    if ([...disk.parts.values()].some((b) => b.openers > 0)) throw new KernelError("EBUSY", `${disk.name}: a partition is in use`);
    this.dropPartitions(disk);
    const cache = this.ctx.cache();
    cache.syncBdev(disk.part0);
    cache.invalidate(disk.part0);
    disk.part0.nrSects = disk.capacity;
    if (!invalidate) this.scan(disk);
  }

  private dropPartitions(disk: Gendisk): void {
    for (const part of disk.parts.values()) {
      this.ctx.cache().invalidate(part, true);
      this.removeBdev(part);
    }
    disk.parts.clear();
  }

  /** set_capacity_and_notify(): true when the size changed (and said so) on an added disk. */
  setCapacity(disk: Gendisk, sectors: number, notify: boolean): boolean {
    const old = disk.capacity;
    disk.capacity = sectors;
    if (!disk.added || disk.dead) return false;
    disk.part0.nrSects = sectors;
    if (!notify || old === sectors) return false;
    this.ctx.log(6, `${disk.name}: detected capacity change from ${old} to ${sectors}`);
    return true;
  }

  /**
   * del_gendisk(): the disk's buffers are written while its driver is still there, then its nodes, sysfs
   * entries and partitions go, and whatever is still open of it fails its I/O from now on.
   */
  del(disk: Gendisk): void {
    if (!disk.added || disk.dead) return;
    const cache = this.ctx.cache();
    for (const bdev of [disk.part0, ...disk.parts.values()]) {
      try {
        cache.syncBdev(bdev);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
      }
    }
    disk.dead = true;
    disk.queueRq = null;
    disk.queue.abort();
    this.dropPartitions(disk);
    cache.invalidate(disk.part0, true);
    this.removeBdev(disk.part0);
  }

  /** put_disk(): forget a disk that is not (or no longer) added. */
  put(disk: Gendisk): void {
    this.del(disk);
    const at = this.disks.indexOf(disk);
    if (at >= 0) this.disks.splice(at, 1);
  }

  /** The disks and majors a module left, deleted and released: a line for each. */
  reclaim(owner: Module): string[] {
    const disks = this.disks.filter((d) => d.owner === owner);
    for (const d of disks) this.put(d);
    const majors = [...this.majors].filter(([, m]) => m.owner === owner);
    for (const [nr] of majors) this.majors.delete(nr);
    return [
      ...disks.map((d) => `disk ${d.name} still allocated at unload; deleted`),
      ...majors.map(([nr, m]) => `block major ${nr} (${m.name}) still registered at unload; unregistered`),
    ];
  }

  /** blkdev lookup by number: the added disk or partition, or undefined. */
  find(dev: number): BlockDevice | undefined {
    return this.bdevs.get(dev);
  }

  /** The disks allocated by a module, for its symbols' handles. */
  owns(disk: Gendisk, owner: Module): boolean {
    return disk.owner === owner && this.disks.includes(disk);
  }

  /** /proc/devices' block part: "%3d %s" per major, ascending. */
  showDevices(): string {
    return [...this.majors].sort(([a], [b]) => a - b).map(([nr, m]) => `${String(nr).padStart(3)} ${m.name}\n`).join("");
  }

  /** /proc/partitions: each added disk with a size, then its partitions, in 1 KiB blocks. */
  showPartitions(): string {
    const row = (b: BlockDevice) => `${String(major(b.dev)).padStart(4)}  ${String(minor(b.dev)).padStart(7)} ${String(Math.floor(b.nrSects / 2)).padStart(10)} ${b.name}\n`;
    const rows = this.disks
      .filter((d) => d.added && !d.dead && d.capacity > 0)
      .flatMap((d) => [d.part0, ...[...d.parts.values()].sort((a, b) => a.partno - b.partno)].map(row));
    return `major minor  #blocks  name\n\n${rows.join("")}`;
  }
}
