// init_special_inode() (fs/inode.c): what opening a device node, FIFO or socket does.

import { S_IFMT, S_IFCHR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { CharDevices } from "./char_dev.js";
import type { FileOperations, Inode } from "./fs.js";

/** Block devices, FIFOs and sockets have no driver behind them yet: opening one is ENXIO. */
const noDevice: FileOperations = {
  open: () => {
    throw new KernelError("ENXIO", "No such device or address");
  },
};

export function initSpecialInode(chrdevs: CharDevices): (inode: Inode) => FileOperations {
  const chr = chrdevs.fileOperations();
  return (inode) => ((inode.mode & S_IFMT) === S_IFCHR ? chr : noDevice);
}
