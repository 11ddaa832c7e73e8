// Character device numbers (fs/char_dev.c): which driver owns a major, /proc/devices, and chrdev_open.

import { major } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { FileOperations } from "./fs.js";

export interface CharDevice {
  readonly major: number;
  readonly name: string;
  readonly fops: FileOperations;
}

export class CharDevices {
  private readonly majors = new Map<number, CharDevice>();

  register(dev: CharDevice): void {
    if (this.majors.has(dev.major)) throw new KernelError("EBUSY", `${dev.name}: major ${dev.major} is taken`);
    this.majors.set(dev.major, dev);
  }

  unregister(majorNr: number): void {
    this.majors.delete(majorNr);
  }

  find(majorNr: number): CharDevice | undefined {
    return this.majors.get(majorNr);
  }

  /** /proc/devices: "%3d %s" per character major, ascending, then the block section. */
  show(): string {
    const chars = [...this.majors.values()].sort((a, b) => a.major - b.major);
    return `Character devices:\n${chars.map((d) => `${String(d.major).padStart(3)} ${d.name}\n`).join("")}\nBlock devices:\n`;
  }

  /** def_chr_fops: open finds the driver by major and hands the file to its operations; ENXIO when none. */
  fileOperations(): FileOperations {
    return {
      open: (inode, file) => {
        const dev = this.find(major(inode.rdev));
        if (!dev) throw new KernelError("ENXIO", `char-major-${major(inode.rdev)}: No such device or address`);
        file.fop = dev.fops;
        dev.fops.open?.(inode, file);
      },
    };
  }
}
