// Character device numbers (fs/char_dev.c): register_chrdev with Linux's dynamic major search, regions
// of a major's minors (register_chrdev_region: the tty core's /dev/tty, /dev/console and /dev/ptmx share
// major 5), /proc/devices, and chrdev_open, which hands an opened node to the driver of its region and
// pins the driver's module.

import { major, minor } from "../../abi/stat.js";
import { discardRefusal, KernelError, refusal } from "../kernel/error.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";
import type { FileOperations } from "./fs.js";

/** CHRDEV_MAJOR_MAX, and the two ranges dynamic majors come from (searched downwards). */
export const CHRDEV_MAJOR_MAX = 512;
const DYN_START = 254;
const DYN_END = 234;
const DYN_EXT_START = 511;
const DYN_EXT_END = 384;
/** The chrdevs[] hash has 255 slots: a dynamic major is taken only where its slot is empty. */
const CHRDEV_HASH = 255;
/** MINORBITS is 20: a region of every minor, what register_chrdev takes here. */
const ALL_MINORS = 1 << 20;

export interface CharDevice {
  readonly major: number;
  /** The region's first minor and how many it covers. */
  readonly baseminor: number;
  readonly count: number;
  readonly name: string;
  readonly fops: FileOperations;
  /** fops.owner: the module pinned while a device node is open. */
  readonly owner: Module | null;
}

/** What char_dev needs from the kernel: printk, and references on driver modules. */
export interface CharDevContext {
  err(message: string): void;
  warn(message: string): void;
  getOwner(owner: Module | null): boolean;
  putOwner(owner: Module | null): void;
  /** request_module(): modprobe's exit status, or -errno (host/kernel/kmod.ts). */
  requestModule(name: string): number;
}

export class CharDevices {
  /** Each major's regions, by first minor. */
  private readonly majors = new Map<number, CharDevice[]>();

  constructor(private readonly ctx: CharDevContext) {}

  /**
   * __register_chrdev_region(): a fixed major, or with 0 the first free dynamic one; returns the major.
   * The region is every minor unless baseminor and count say which; EBUSY where it overlaps another.
   */
  register(requested: number, name: string, fops: FileOperations, owner: Module | null, baseminor = 0, count = ALL_MINORS): number {
    if (requested >= CHRDEV_MAJOR_MAX) {
      this.ctx.err(`CHRDEV "${name}" major requested (${requested}) is greater than the maximum (${CHRDEV_MAJOR_MAX - 1})`);
      throw new KernelError("EINVAL", `${name}: major ${requested} is too large`);
    }
    const majorNr = requested === 0 ? this.dynamicMajor(name) : requested;
    const regions = this.majors.get(majorNr) ?? [];
    const taken = regions.find((r) => r.baseminor < baseminor + count && baseminor < r.baseminor + r.count);
    if (taken) throw new KernelError("EBUSY", `${name}: major ${majorNr} is taken by ${taken.name}`);
    regions.push({ major: majorNr, baseminor, count, name, fops, owner });
    regions.sort((a, b) => a.baseminor - b.baseminor);
    this.majors.set(majorNr, regions);
    return majorNr;
  }

  /** find_dynamic_major(): in the first range a major whose hash slot is empty, in the second any free one. */
  private dynamicMajor(name: string): number {
    const slotTaken = (m: number) => [...this.majors.keys()].some((k) => k % CHRDEV_HASH === m % CHRDEV_HASH);
    for (let m = DYN_START; m >= DYN_END; m--) if (!slotTaken(m)) return m;
    for (let m = DYN_EXT_START; m >= DYN_EXT_END; m--) if (!this.majors.has(m)) return m;
    this.ctx.err(`CHRDEV "${name}" dynamic allocation region is full`);
    throw new KernelError("EBUSY", `${name}: no dynamic major left`);
  }

  /**
   * unregister_chrdev(): only the module that registered the major may release it (Linux ignores the
   * name, and so does this). Another caller's attempt is refused with a warning naming it: EINVAL, the
   * owner's major untouched.
   */
  unregister(majorNr: number, owner: Module | null): void {
    const regions = this.majors.get(majorNr) ?? [];
    if (!regions.some((r) => r.owner === owner)) {
      const message = `${owner?.name ?? "kernel"}: unregister_chrdev of major ${majorNr}, which it did not register`;
      this.ctx.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.remove(regions.filter((r) => r.owner === owner));
  }

  /** The majors a module registered and did not release, released now: a line for each. */
  reclaim(owner: Module): string[] {
    const kept = this.regions().filter((d) => d.owner === owner);
    this.remove(kept);
    return kept.map((d) => `character major ${d.major} (${d.name}) still registered at unload; unregistered`);
  }

  private remove(gone: readonly CharDevice[]): void {
    for (const d of gone) {
      const left = this.majors.get(d.major)!.filter((r) => r !== d);
      if (left.length > 0) this.majors.set(d.major, left);
      else this.majors.delete(d.major);
    }
  }

  /** Every region, by major then first minor. */
  private regions(): CharDevice[] {
    return [...this.majors.keys()].sort((a, b) => a - b).flatMap((m) => this.majors.get(m)!);
  }

  /** The region a device number is in. */
  private find(rdev: number): CharDevice | undefined {
    const min = minor(rdev);
    return this.majors.get(major(rdev))?.find((r) => r.baseminor <= min && min < r.baseminor + r.count);
  }

  /** /proc/devices: "%3d %s" per region, ascending (major 5 three times: /dev/tty, /dev/console, /dev/ptmx), then the block section. */
  show(): string {
    return `Character devices:\n${this.regions().map((d) => `${String(d.major).padStart(3)} ${d.name}\n`).join("")}\nBlock devices:\n`;
  }

  /**
   * kobj_lookup() with base_probe(): the driver of a device number's region, asking for "char-major-M-m"
   * when there is none, and for the 2.4-style "char-major-M" if modprobe failed on that.
   */
  private lookup(rdev: number): CharDevice | undefined {
    const dev = this.find(rdev);
    if (dev) return dev;
    if (this.ctx.requestModule(`char-major-${major(rdev)}-${minor(rdev)}`) > 0) this.ctx.requestModule(`char-major-${major(rdev)}`);
    return this.find(rdev);
  }

  /**
   * def_chr_fops: open finds the driver by major (loading it on demand; ENXIO when there is none), pins
   * its module (ENXIO while it goes away), and hands the file to the driver's operations; the last close
   * lets the module go.
   */
  fileOperations(): FileOperations {
    return {
      open: (inode, file) => {
        const dev = this.lookup(inode.rdev);
        if (!dev || !this.ctx.getOwner(dev.owner)) throw new KernelError("ENXIO", `char-major-${major(inode.rdev)}: No such device or address`);
        file.fop = this.pinned(dev);
        try {
          dev.fops.open?.(inode, file);
        } catch (e) {
          this.ctx.putOwner(dev.owner);
          throw e;
        }
      },
    };
  }

  private pinned(dev: CharDevice): FileOperations {
    return {
      ...dev.fops,
      release: (inode, file) => {
        try {
          dev.fops.release?.(inode, file);
        } finally {
          this.ctx.putOwner(dev.owner);
        }
      },
    };
  }
}

/** struct char_device_struct's name[64]: a longer name is cut, as strscpy cuts it. */
const CHRDEV_NAME = { max: 63, truncate: true } as const;

/** register_chrdev and unregister_chrdev as module `mod` imports them. */
export function chrdevSymbols(
  chrdevs: CharDevices,
  fileOperations: (mod: Module, ptr: number) => FileOperations,
  mod: Module,
): Pick<KernelFunctions, "register_chrdev" | "unregister_chrdev"> {
  return {
    register_chrdev(majorNr, name, fops) {
      try {
        const got = chrdevs.register(majorNr >>> 0, mod.memory.readName(name, "character device name", CHRDEV_NAME), fileOperations(mod, fops), mod);
        return majorNr === 0 ? got : 0;
      } catch (e) {
        return refusal(e);
      }
    },
    unregister_chrdev: (majorNr) => discardRefusal(() => chrdevs.unregister(majorNr >>> 0, mod)),
  };
}
