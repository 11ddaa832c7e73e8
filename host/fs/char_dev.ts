// Character device numbers (fs/char_dev.c): register_chrdev with Linux's dynamic major search,
// /proc/devices, and chrdev_open, which hands an opened node to its driver and pins the driver's module.

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

export interface CharDevice {
  readonly major: number;
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
  private readonly majors = new Map<number, CharDevice>();

  constructor(private readonly ctx: CharDevContext) {}

  /** __register_chrdev_region(): a fixed major, or with 0 the first free dynamic one; returns the major. */
  register(requested: number, name: string, fops: FileOperations, owner: Module | null): number {
    if (requested >= CHRDEV_MAJOR_MAX) {
      this.ctx.err(`CHRDEV "${name}" major requested (${requested}) is greater than the maximum (${CHRDEV_MAJOR_MAX - 1})`);
      throw new KernelError("EINVAL", `${name}: major ${requested} is too large`);
    }
    const majorNr = requested === 0 ? this.dynamicMajor(name) : requested;
    if (this.majors.has(majorNr)) throw new KernelError("EBUSY", `${name}: major ${majorNr} is taken by ${this.majors.get(majorNr)!.name}`);
    this.majors.set(majorNr, { major: majorNr, name, fops, owner });
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
    const dev = this.majors.get(majorNr);
    if (!dev || dev.owner !== owner) {
      const message = `${owner?.name ?? "kernel"}: unregister_chrdev of major ${majorNr}, which it did not register`;
      this.ctx.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.majors.delete(majorNr);
  }

  /** The majors a module registered and did not release, released now: a line for each. */
  reclaim(owner: Module): string[] {
    const kept = [...this.majors.values()].filter((d) => d.owner === owner);
    for (const d of kept) this.majors.delete(d.major);
    return kept.map((d) => `character major ${d.major} (${d.name}) still registered at unload; unregistered`);
  }

  find(majorNr: number): CharDevice | undefined {
    return this.majors.get(majorNr);
  }

  /** /proc/devices: "%3d %s" per character major, ascending, then the block section. */
  show(): string {
    const chars = [...this.majors.values()].sort((a, b) => a.major - b.major);
    return `Character devices:\n${chars.map((d) => `${String(d.major).padStart(3)} ${d.name}\n`).join("")}\nBlock devices:\n`;
  }

  /**
   * kobj_lookup() with base_probe(): the driver of a major, asking for "char-major-M-m" when there is
   * none, and for the 2.4-style "char-major-M" if modprobe failed on that.
   */
  private lookup(rdev: number): CharDevice | undefined {
    const [maj, min] = [major(rdev), minor(rdev)];
    const dev = this.find(maj);
    if (dev) return dev;
    if (this.ctx.requestModule(`char-major-${maj}-${min}`) > 0) this.ctx.requestModule(`char-major-${maj}`);
    return this.find(maj);
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
