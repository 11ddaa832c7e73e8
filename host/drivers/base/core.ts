// Device nodes a driver asks for (drivers/base/core.c's device_create, as devtmpfs and udev carry it out):
// /dev/NAME made for a major:minor, removed by device_destroy or, if the driver forgets, at rmmod.

import { major, makedev, minor, S_IFCHR } from "../../../abi/stat.js";
import { KernelError, refusal } from "../../kernel/error.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";

/** What making nodes needs: mknod and unlink under /dev, as the kernel's own task. */
export interface DevNodes {
  mknod(path: string, mode: number, dev: number): void;
  unlink(path: string): void;
}

interface Created {
  readonly owner: Module;
  readonly path: string;
}

export class Devices {
  private readonly created = new Map<number, Created>();

  constructor(private readonly nodes: DevNodes) {}

  create(owner: Module, majorNr: number, minorNr: number, name: string): void {
    if (name === "" || name.includes("/") || name === "." || name === "..") throw new KernelError("EINVAL", `device_create: bad name '${name}'`);
    const dev = makedev(majorNr, minorNr);
    const path = `/dev/${name}`;
    this.nodes.mknod(path, S_IFCHR | 0o600, dev);
    this.created.set(dev, { owner, path });
  }

  destroy(majorNr: number, minorNr: number): void {
    const dev = makedev(majorNr, minorNr);
    const node = this.created.get(dev);
    if (!node) return;
    this.created.delete(dev);
    try {
      this.nodes.unlink(node.path);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }

  /** The nodes a module made and did not destroy, removed now. */
  reclaim(owner: Module): string[] {
    const left = [...this.created].filter(([, c]) => c.owner === owner);
    for (const [dev] of left) this.destroy(major(dev), minor(dev));
    return left.map(([, c]) => `device node ${c.path} still present at unload; removed`);
  }

  symbols(mod: Module): Pick<KernelFunctions, "device_create" | "device_destroy"> {
    return {
      device_create: (majorNr, minorNr, name) => {
        try {
          this.create(mod, majorNr >>> 0, minorNr >>> 0, mod.memory.readString(name));
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      device_destroy: (majorNr, minorNr) => this.destroy(majorNr >>> 0, minorNr >>> 0),
    };
  }
}
