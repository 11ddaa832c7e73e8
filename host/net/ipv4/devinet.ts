// IPv4 addresses of devices (net/ipv4/devinet.c): what `ip addr add/del` changes, each address with its
// prefix; an address on 127/8 has host scope, any other global.

import { KernelError } from "../../kernel/error.js";
import type { NetDevice } from "../core/dev.js";
import { inPrefix } from "./inet.js";

export interface InAddr {
  readonly dev: NetDevice;
  readonly local: number;
  readonly prefixlen: number;
  readonly scope: "host" | "global";
}

/** Devices hold at most this many addresses each: `ip addr add` past it is refused with ENOSPC. */
export const MAX_ADDRS_PER_DEV = 256;

export class Devinet {
  private readonly addrs: InAddr[] = [];

  list(): readonly InAddr[] {
    return this.addrs;
  }

  forDev(dev: NetDevice): InAddr[] {
    return this.addrs.filter((a) => a.dev === dev);
  }

  /** inet_rtm_newaddr(): EEXIST for an address the device has already, as RTNETLINK answers. */
  add(dev: NetDevice, local: number, prefixlen: number): InAddr {
    if (this.addrs.some((a) => a.dev === dev && a.local === local)) throw new KernelError("EEXIST", "RTNETLINK answers: File exists");
    if (this.forDev(dev).length >= MAX_ADDRS_PER_DEV) throw new KernelError("ENOSPC", "RTNETLINK answers: No space left on device");
    const addr: InAddr = { dev, local, prefixlen, scope: local >>> 24 === 127 ? "host" : "global" };
    this.addrs.push(addr);
    return addr;
  }

  /** inet_rtm_deladdr(): EADDRNOTAVAIL for an address the device does not have. */
  del(dev: NetDevice, local: number, prefixlen: number): void {
    const at = this.addrs.findIndex((a) => a.dev === dev && a.local === local && a.prefixlen === prefixlen);
    if (at < 0) throw new KernelError("EADDRNOTAVAIL", "RTNETLINK answers: Cannot assign requested address");
    this.addrs.splice(at, 1);
  }

  /** A device gone: its addresses with it. */
  forget(dev: NetDevice): void {
    for (const a of this.forDev(dev)) this.addrs.splice(this.addrs.indexOf(a), 1);
  }

  /** The address of an up device that is addr (an address of this host), if any. */
  local(addr: number): InAddr | undefined {
    return this.addrs.find((a) => a.local === addr && a.dev.up) ?? (addr >>> 24 === 127 ? this.addrs.find((a) => a.scope === "host" && a.dev.up && inPrefix(addr, a.local, a.prefixlen)) : undefined);
  }

  /** inet_select_addr(): the source for a packet out of dev towards dst: one on dst's subnet, else the first. */
  select(dev: NetDevice, dst: number): number | undefined {
    const mine = this.forDev(dev);
    return (mine.find((a) => inPrefix(dst, a.local, a.prefixlen)) ?? mine[0])?.local;
  }
}
