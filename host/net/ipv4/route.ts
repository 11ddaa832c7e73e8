// The IPv4 routing table (net/ipv4/fib_frontend.c, route.c): the connected route of each address on an
// up device, the routes `ip route add` adds (a default gateway), and the lookup every packet out makes.
// Local addresses route through lo, as the local table does.

import { KernelError } from "../../kernel/error.js";
import type { NetDevice } from "../core/dev.js";
import type { Devinet } from "./devinet.js";
import { formatIp, inPrefix, prefixMask } from "./inet.js";

export interface Route {
  readonly dst: number;
  readonly prefixlen: number;
  readonly gateway: number | null;
  readonly dev: NetDevice;
  readonly proto: "kernel" | "boot";
  readonly src?: number;
}

/** Where a packet goes: out of dev, to nexthop on its link, from src. */
export interface RouteResult {
  readonly dev: NetDevice;
  readonly nexthop: number;
  readonly src: number;
  /** The destination is this host. */
  readonly local: boolean;
}

/** The routes `ip route add` may add in all. */
export const MAX_ROUTES = 1024;

export class Fib {
  private readonly added: Route[] = [];

  constructor(
    private readonly devinet: Devinet,
    private readonly loopback: () => NetDevice,
  ) {}

  /** Every route, as `ip route` lists them: the added ones, then each up device's connected ones. */
  routes(): Route[] {
    const connected = this.devinet.list()
      .filter((a) => a.dev.up && a.scope === "global")
      .map((a): Route => ({ dst: (a.local & prefixMask(a.prefixlen)) >>> 0, prefixlen: a.prefixlen, gateway: null, dev: a.dev, proto: "kernel", src: a.local }));
    const unique = connected.filter((r, i) => connected.findIndex((o) => o.dev === r.dev && o.dst === r.dst && o.prefixlen === r.prefixlen) === i);
    return [...this.added.filter((r) => r.dev.up), ...unique];
  }

  /**
   * ip route add: the gateway must be on a connected network (ENETUNREACH, as "Nexthop has invalid
   * gateway"), the route new (EEXIST).
   */
  add(dst: number, prefixlen: number, gateway: number | null, devName: NetDevice | null): Route {
    const via = gateway === null ? null : this.routes().find((r) => r.gateway === null && inPrefix(gateway, r.dst, r.prefixlen) && (!devName || r.dev === devName));
    if (gateway !== null && !via) throw new KernelError("ENETUNREACH", "Error: Nexthop has invalid gateway.");
    const dev = via?.dev ?? devName;
    if (!dev) throw new KernelError("ENODEV", "Error: Device for nexthop is not up.");
    if (!dev.up) throw new KernelError("ENETDOWN", "Error: Nexthop device is not up.");
    if (this.added.some((r) => r.dst === dst && r.prefixlen === prefixlen)) throw new KernelError("EEXIST", "RTNETLINK answers: File exists");
    if (this.added.length >= MAX_ROUTES) throw new KernelError("ENOBUFS", "RTNETLINK answers: No buffer space available");
    const route: Route = { dst: (dst & prefixMask(prefixlen)) >>> 0, prefixlen, gateway, dev, proto: "boot" };
    this.added.push(route);
    return route;
  }

  /** ip route del: ESRCH for a route that is not there. */
  del(dst: number, prefixlen: number): void {
    const at = this.added.findIndex((r) => r.dst === dst && r.prefixlen === prefixlen);
    if (at < 0) throw new KernelError("ESRCH", "RTNETLINK answers: No such process");
    this.added.splice(at, 1);
  }

  /** A device down or gone takes the routes through it (fib_disable_ip). */
  flush(dev: NetDevice): void {
    for (const r of this.added.filter((r) => r.dev === dev)) this.added.splice(this.added.indexOf(r), 1);
  }

  /** ip_route_output(): the longest matching prefix; ENETUNREACH when none matches. */
  lookup(dst: number): RouteResult {
    const local = this.devinet.local(dst);
    if (local) return { dev: this.loopback(), nexthop: dst, src: dst, local: true };
    let best: Route | undefined;
    for (const r of this.routes()) if (inPrefix(dst, r.dst, r.prefixlen) && (!best || r.prefixlen > best.prefixlen)) best = r;
    if (!best) throw new KernelError("ENETUNREACH", `${formatIp(dst)}: Network is unreachable`);
    const nexthop = best.gateway ?? dst;
    const src = this.devinet.select(best.dev, nexthop);
    if (src === undefined) throw new KernelError("EADDRNOTAVAIL", `${best.dev.name}: no IPv4 address to send from`);
    return { dev: best.dev, nexthop, src, local: false };
  }
}
