// init_special_inode() (fs/inode.c): what opening a device node, FIFO or socket does.

import { S_IFBLK, S_IFCHR, S_IFMT } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { CharDevices } from "./char_dev.js";
import type { FileOperations, Inode } from "./fs.js";

/** FIFOs and sockets have nothing behind them yet: opening one is ENXIO. */
const noDevice: FileOperations = {
  open: () => {
    throw new KernelError("ENXIO", "No such device or address");
  },
};

/** init_special_inode(): character devices open through their driver's major, block devices through def_blk_fops. */
export function initSpecialInode(chrdevs: CharDevices, blk: FileOperations): (inode: Inode) => FileOperations {
  const chr = chrdevs.fileOperations();
  return (inode) => {
    const type = inode.mode & S_IFMT;
    return type === S_IFCHR ? chr : type === S_IFBLK ? blk : noDevice;
  };
}
