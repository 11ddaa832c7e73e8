// Disk drivers written as modules: their block majors, their disks (by handle) and the
// block_device_operations struct in their memory, each function pointer called through the Oops gate.
//
// A module reaches only the disks it allocated and the requests queued to them; another's handle is to
// it what a bad handle is.

import { strerror } from "../../abi/errno.js";
import { STRUCTS } from "../../abi/kernel.js";
import { layoutStruct } from "../../abi/types.js";
import { discardRefusal, KernelError, refusal } from "../kernel/error.js";
import { Idr } from "../lib/idr.js";
import { moduleFunction, type Guard, type ModuleFn } from "../module/fnptr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import { requestSymbols } from "./blk-mq.js";
import type { BlockDeviceOperations, Gendisk, Genhd } from "./genhd.js";

const BDOPS = layoutStruct("block_device_operations", STRUCTS.block_device_operations);

type DiskSymbols = Pick<
  KernelFunctions,
  | "register_blkdev" | "unregister_blkdev" | "alloc_disk" | "set_capacity" | "set_capacity_and_notify" | "get_capacity"
  | "set_disk_ro" | "set_disk_partscan" | "add_disk" | "del_gendisk" | "put_disk" | "bdev_disk_changed" | "disk_openers"
  | "blk_rq_pos" | "blk_rq_sectors" | "rq_data_dir" | "blk_rq_copy_to" | "blk_rq_copy_from" | "blk_mq_end_request"
>;

/** -errno from module code becomes a KernelError. */
function check(ret: number, what: string): number {
  if (ret < 0) throw new KernelError(-ret, `${what}: ${strerror(-ret)}`);
  return ret;
}

export class ModuleDisks {
  readonly disks = new Idr<Gendisk>();

  constructor(
    private readonly genhd: Genhd,
    private readonly guard: Guard,
  ) {}

  /** A block_device_operations struct in the module's memory; EINVAL without a queue_rq. */
  private ops(mod: Module, ptr: number): BlockDeviceOperations {
    const o = mod.memory.readStruct(ptr, BDOPS);
    const fn = (field: string): ModuleFn | undefined =>
      o[field] === 0 ? undefined : this.guard(mod, moduleFunction<ModuleFn>(mod, o[field]!, `block_device_operations.${field}`));
    const [queueRq, open, release, ioctl] = ["queue_rq", "open", "release", "ioctl"].map(fn);
    if (!queueRq) throw new KernelError("EINVAL", `${mod.name}: block_device_operations without queue_rq`);
    const dh = (disk: Gendisk) => this.disks.handle(disk);
    const requests = this.genhd.requests;
    const ops: BlockDeviceOperations = { owner: mod, queueRq: (disk, rq) => queueRq(dh(disk), requests.handle(rq)) };
    return {
      ...ops,
      ...(open && { open: (disk: Gendisk, mode: number) => void check(open(dh(disk), mode), `${disk.name}: open`) }),
      ...(release && { release: (disk: Gendisk) => void release(dh(disk)) }),
      ...(ioctl && { ioctl: (disk: Gendisk, mode: number, cmd: number, arg: number) => check(ioctl(dh(disk), mode, cmd, arg), `${disk.name}: ioctl`) }),
    };
  }

  /** The disks a module left, gone with their handles (genhd's reclaim deletes them). */
  forget(mod: Module): void {
    for (const disk of [...this.disks.values()]) if (disk.owner === mod) this.disks.remove(disk);
  }

  symbols(mod: Module): DiskSymbols {
    const own = (handle: number): Gendisk | undefined => {
      const disk = this.disks.find(handle);
      return disk && this.genhd.owns(disk, mod) ? disk : undefined;
    };
    const withDisk = (handle: number, fn: (disk: Gendisk) => number): number => {
      const disk = own(handle);
      if (!disk) return -22;
      try {
        return fn(disk);
      } catch (e) {
        return refusal(e);
      }
    };
    return {
      ...requestSymbols(this.genhd.requests, (rq) => (rq.target as Gendisk).queue, mod),
      register_blkdev: (majorNr, name) => {
        try {
          const got = this.genhd.register(majorNr >>> 0, mod.memory.readString(name), mod);
          return majorNr === 0 ? got : 0;
        } catch (e) {
          return refusal(e);
        }
      },
      unregister_blkdev: (majorNr, name) => discardRefusal(() => this.genhd.unregister(majorNr >>> 0, mod.memory.readString(name), mod)),
      alloc_disk: (majorNr, first, minors, name, fops) => {
        try {
          const disk = this.genhd.alloc(mod, majorNr >>> 0, first >>> 0, minors >>> 0, mod.memory.readString(name), this.ops(mod, fops));
          return this.disks.handle(disk);
        } catch (e) {
          refusal(e);
          return 0;
        }
      },
      set_capacity: (h, sectors) => void withDisk(h, (d) => Number(this.genhd.setCapacity(d, sectors >>> 0, false))),
      set_capacity_and_notify: (h, sectors) => withDisk(h, (d) => Number(this.genhd.setCapacity(d, sectors >>> 0, true))) === 1,
      get_capacity: (h) => own(h)?.capacity ?? 0,
      set_disk_ro: (h, ro) => {
        const disk = own(h);
        if (disk) disk.ro = ro;
      },
      set_disk_partscan: (h, on) => {
        const disk = own(h);
        if (disk) disk.partscan = on;
      },
      add_disk: (h) => withDisk(h, (d) => (this.genhd.add(d), 0)),
      del_gendisk: (h) => void withDisk(h, (d) => (this.genhd.del(d), 0)),
      put_disk: (h) => {
        const disk = own(h);
        if (!disk) return;
        this.genhd.put(disk);
        this.disks.remove(disk);
      },
      bdev_disk_changed: (h, invalidate) => withDisk(h, (d) => (this.genhd.rescan(d, invalidate), 0)),
      disk_openers: (h) => withDisk(h, (d) => d.openers),
    };
  }
}
