// Device nodes a driver asks for (drivers/base/core.c's device_create, as devtmpfs and udev carry it out):
// /dev/NAME made for a major:minor, removed by device_destroy or, if the driver forgets, at rmmod.
//
// Each node records the module that made it: only that module's device_destroy removes it, and a node
// is unlinked only while its name still holds the inode made for it (devtmpfs's dev_mynode), so a name
// removed and made again by someone else is left alone.

import { makedev, S_IFBLK, S_IFCHR } from "../../../abi/stat.js";
import { discardRefusal, KernelError, refusal } from "../../kernel/error.js";
import { setattrCopy } from "../../fs/attr.js";
import type { Inode } from "../../fs/fs.js";
import { mknod, unlink, walk, type WalkContext } from "../../fs/namei.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";

interface Created {
  /** null for the kernel's own nodes (the tty core's), which no module removes. */
  readonly owner: Module | null;
  /** S_IFCHR or S_IFBLK: a character and a block device may have the same numbers. */
  readonly type: number;
  readonly dev: number;
  readonly inode: Inode;
}

export class Devices {
  /** The nodes device_create made, by path. */
  private readonly created = new Map<string, Created>();

  constructor(
    /** Paths as the kernel itself walks them, from init's root. */
    private readonly walkContext: () => WalkContext,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * device_create(): EINVAL for a bad name, EEXIST when /dev/NAME exists. type: a disk's nodes are S_IFBLK;
   * mode: 0600 as devtmpfs makes a node, unless the device's class says otherwise (tty_devnode()).
   */
  create(owner: Module | null, majorNr: number, minorNr: number, name: string, type: typeof S_IFCHR | typeof S_IFBLK = S_IFCHR, mode = 0o600): void {
    if (name === "" || name.includes("/") || name === "." || name === "..") throw new KernelError("EINVAL", `device_create: bad name '${name}'`);
    const dev = makedev(majorNr, minorNr);
    const path = `/dev/${name}`;
    const inode = mknod(this.walkContext(), path, type | mode, dev);
    // handle_create()'s "fixup possibly umasked mode": the node has the mode asked for.
    setattrCopy(inode, { mode });
    this.created.set(path, { owner, type, dev, inode });
  }

  /**
   * device_destroy(): the caller's node for major:minor goes. A caller with none there (the node is
   * another module's, or was never made) is refused with a warning naming it: EINVAL, nothing removed.
   */
  destroy(owner: Module, majorNr: number, minorNr: number, type: typeof S_IFCHR | typeof S_IFBLK = S_IFCHR): void {
    const dev = makedev(majorNr, minorNr);
    const path = [...this.created].find(([, c]) => c.owner === owner && c.type === type && c.dev === dev)?.[0];
    if (path === undefined) {
      const message = `${owner.name}: device_destroy of ${majorNr}:${minorNr}, which it did not create`;
      this.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.remove(path);
  }

  private remove(path: string): void {
    const node = this.created.get(path)!;
    this.created.delete(path);
    const ctx = this.walkContext();
    try {
      if (walk(ctx, path, false).dentry.inode === node.inode) unlink(ctx, path);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
    }
  }

  /** The nodes a module made and did not destroy, removed now. */
  reclaim(owner: Module): string[] {
    const left = [...this.created].filter(([, c]) => c.owner === owner).map(([path]) => path);
    for (const path of left) this.remove(path);
    return left.map((path) => `device node ${path} still present at unload; removed`);
  }

  symbols(mod: Module): Pick<KernelFunctions, "device_create" | "device_destroy"> {
    return {
      device_create: (majorNr, minorNr, name) => {
        try {
          this.create(mod, majorNr >>> 0, minorNr >>> 0, mod.memory.readName(name, "device name"));
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      device_destroy: (majorNr, minorNr) => discardRefusal(() => this.destroy(mod, majorNr >>> 0, minorNr >>> 0)),
    };
  }
}
