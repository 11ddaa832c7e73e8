// The socket ioctls that reach a device's driver (net/core/dev_ioctl.c): SIOCDEVPRIVATE to
// SIOCDEVPRIVATE + 15 and the MII commands, on the caller's struct ifreq, through ndo_do_ioctl.
//
// As Linux: the ifreq is copied in (its name NUL-terminated), the device found by name (ENODEV), the
// driver asked (EOPNOTSUPP without ndo_do_ioctl), and the ifreq copied back when it answered 0.

import { IFNAMSIZ, IFREQ_SIZE, SIOCDEVPRIVATE, SIOCGMIIPHY, SIOCGMIIREG, SIOCSMIIREG } from "../../../abi/netdevice.js";
import { KernelError } from "../../kernel/error.js";
import { copyFromUser, copyToUser, type MmStruct } from "../../mm/uaccess.js";
import type { NetDevices } from "./dev.js";

/** The commands dev_ifsioc() hands to the driver. */
export function isDriverIoctl(cmd: number): boolean {
  return (cmd >= SIOCDEVPRIVATE && cmd <= SIOCDEVPRIVATE + 15) || cmd === SIOCGMIIPHY || cmd === SIOCGMIIREG || cmd === SIOCSMIIREG;
}

/** The interface name at the start of an ifreq, up to its NUL. */
function ifrName(ifr: Uint8Array): string {
  const end = ifr.indexOf(0);
  return new TextDecoder().decode(ifr.subarray(0, end < 0 ? IFNAMSIZ : end));
}

/**
 * dev_ioctl() for the driver's commands: ENOTTY for any other command, EFAULT for a bad ifreq, ENODEV
 * for no device of that name, EOPNOTSUPP when its driver has no ndo_do_ioctl; else what the driver answers.
 */
export function devIoctl(core: NetDevices, mm: MmStruct, cmd: number, arg: number): number {
  if (!isDriverIoctl(cmd)) throw new KernelError("ENOTTY", "Inappropriate ioctl for device");
  const ifr = copyFromUser(mm, arg, IFREQ_SIZE);
  ifr[IFNAMSIZ - 1] = 0;
  const name = ifrName(ifr);
  const dev = core.byName(name);
  if (!dev) throw new KernelError("ENODEV", `${name}: No such device`);
  if (!dev.ops?.doIoctl) throw new KernelError("EOPNOTSUPP", `${name}: Operation not supported`);
  const ret = dev.ops.doIoctl(dev, ifr, cmd);
  if (ret === 0) copyToUser(mm, arg, ifr);
  return ret;
}
