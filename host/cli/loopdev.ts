// Loop devices from user space (util-linux's lib/loopdev.c), shared by losetup and mount -o loop: find a
// free device, bind a file to one with LOOP_CONFIGURE, read a device's status, detach it.

import { O_RDONLY, O_RDWR } from "../../abi/fcntl.js";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";

export const LOOP_CLR_FD = 0x4c01;
export const LOOP_GET_STATUS64 = 0x4c05;
export const LOOP_CONFIGURE = 0x4c0a;
export const LO_FLAGS_READ_ONLY = 1;
export const LO_FLAGS_AUTOCLEAR = 4;
export const LO_FLAGS_PARTSCAN = 8;
/** The loop devices looked at for a free one (util-linux scans /dev/loop0 onwards). */
const MAX_LOOP_SCAN = 256;
const INFO_SIZE = 232;
const CONFIG_SIZE = 304;

export interface LoopInfo {
  readonly device: bigint;
  readonly inode: bigint;
  readonly offset: bigint;
  readonly sizelimit: bigint;
  readonly flags: number;
  readonly fileName: string;
}

export interface LoopSetup {
  readonly offset?: number;
  readonly readOnly?: boolean;
  readonly flags?: number;
}

/** A loop device's status; null when it is not bound to a file (ENXIO). */
export function loopStatus(libc: Libc, device: string): LoopInfo | null {
  const fd = libc.open(device, O_RDONLY);
  try {
    const { data } = libc.ioctl(fd, LOOP_GET_STATUS64, new Uint8Array(INFO_SIZE));
    const view = new DataView(data.buffer);
    const name = data.subarray(56, 56 + 64);
    return {
      device: view.getBigUint64(0, true), inode: view.getBigUint64(8, true), offset: view.getBigUint64(24, true),
      sizelimit: view.getBigUint64(32, true), flags: view.getUint32(52, true),
      fileName: new TextDecoder().decode(name.subarray(0, name.indexOf(0) < 0 ? 64 : name.indexOf(0))),
    };
  } catch (e) {
    if (e instanceof KernelError && e.code === "ENXIO") return null;
    throw e;
  } finally {
    libc.close(fd);
  }
}

/** The loop devices there are, /dev/loop0 onwards, up to the first missing. */
export function loopDevices(libc: Libc): string[] {
  const out: string[] = [];
  for (let n = 0; n < MAX_LOOP_SCAN; n++) {
    const path = `/dev/loop${n}`;
    try {
      libc.stat(path);
    } catch {
      break;
    }
    out.push(path);
  }
  return out;
}

/** With no loop device at all, load the driver (`load`), as opening /dev/loop-control would have the kernel do. */
export function ensureDriver(libc: Libc, load: () => void): void {
  if (loopDevices(libc).length === 0) load();
}

/**
 * loopcxt_find_unused(): the first loop device not bound (the driver loaded first if need be); ENOENT
 * when every one is.
 */
export function findFree(libc: Libc, load: () => void): string {
  ensureDriver(libc, load);
  const free = loopDevices(libc).find((d) => loopStatus(libc, d) === null);
  if (!free) throw new KernelError("ENOENT", "could not find any free loop device");
  return free;
}

/**
 * loopcxt_setup_device(): bind file to device. The file opens read-write unless asked read-only, and
 * read-only when writing is refused (EROFS, EACCES). Returns the device's descriptor, still open, for
 * a caller that must hold it (mount -o loop with autoclear); the caller closes it.
 */
export function setupLoop(libc: Libc, device: string, file: string, opts: LoopSetup = {}): number {
  let ro = opts.readOnly ?? false;
  let ffd: number;
  try {
    ffd = libc.open(file, ro ? O_RDONLY : O_RDWR);
  } catch (e) {
    if (ro || !(e instanceof KernelError) || (e.code !== "EROFS" && e.code !== "EACCES")) throw e;
    ro = true;
    ffd = libc.open(file, O_RDONLY);
  }
  try {
    const dfd = libc.open(device, ro ? O_RDONLY : O_RDWR);
    const config = new Uint8Array(CONFIG_SIZE);
    const view = new DataView(config.buffer);
    view.setUint32(0, ffd, true);
    view.setBigUint64(8 + 24, BigInt(opts.offset ?? 0), true);
    view.setUint32(8 + 52, (opts.flags ?? 0) | (ro ? LO_FLAGS_READ_ONLY : 0), true);
    try {
      libc.ioctl(dfd, LOOP_CONFIGURE, config);
    } catch (e) {
      libc.close(dfd);
      throw e;
    }
    return dfd;
  } finally {
    libc.close(ffd);
  }
}

/** loopcxt_delete_device(): LOOP_CLR_FD. */
export function detachLoop(libc: Libc, device: string): void {
  const fd = libc.open(device, O_RDONLY);
  try {
    libc.ioctl(fd, LOOP_CLR_FD);
  } finally {
    libc.close(fd);
  }
}
