// IPv4 in and out (net/ipv4/ip_input.c, ip_output.c): header checks on the way in, with every bad packet
// dropped and counted as /proc/net/snmp's Ip line counts it; headers, routing and the MTU on the way
// out. This host does not forward, and does not fragment: a packet larger than the device's MTU is
// refused with EMSGSIZE, and a fragment that arrives is dropped.

import { KernelError } from "../../kernel/error.js";
import type { NetDevice, RxPacket } from "../core/dev.js";
import type { Arp } from "./arp.js";
import type { Devinet } from "./devinet.js";
import { get16, get32, ipChecksum, put16, put32 } from "./inet.js";
import type { Fib } from "./route.js";

export const IPPROTO_ICMP = 1;
export const IPPROTO_UDP = 17;
/** sysctl net.ipv4.ip_default_ttl. */
export const IPDEFTTL = 64;
const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;
const IPHDR_LEN = 20;

/** The IPv4 header fields a protocol is given with its payload. */
export interface IpHeader {
  readonly src: number;
  readonly dst: number;
  readonly protocol: number;
  readonly ttl: number;
  readonly dev: NetDevice;
  /** The whole packet, header included (what an ICMP error quotes). */
  readonly raw: Uint8Array;
}

export type IpProtocol = (hdr: IpHeader, payload: Uint8Array) => void;

/** /proc/net/snmp's Ip counters (IPSTATS_MIB_*), in its column order. */
export const IP_MIB = [
  "Forwarding", "DefaultTTL", "InReceives", "InHdrErrors", "InAddrErrors", "ForwDatagrams", "InUnknownProtos", "InDiscards", "InDelivers",
  "OutRequests", "OutDiscards", "OutNoRoutes", "ReasmTimeout", "ReasmReqds", "ReasmOKs", "ReasmFails", "FragOKs", "FragFails", "FragCreates",
] as const;
export type IpMib = Record<(typeof IP_MIB)[number], number>;

export interface IpContext {
  readonly devinet: Devinet;
  readonly fib: Fib;
  readonly arp: Arp;
}

export class Ip {
  /** Forwarding 2: this host is not a router. */
  readonly mib = { ...(Object.fromEntries(IP_MIB.map((n) => [n, 0])) as IpMib), Forwarding: 2, DefaultTTL: IPDEFTTL };
  private readonly protocols = new Map<number, IpProtocol>();
  private nextId = 1;

  constructor(private readonly ctx: IpContext) {}

  /** inet_add_protocol(). */
  addProtocol(protocol: number, handler: IpProtocol): void {
    this.protocols.set(protocol, handler);
  }

  /** ip_rcv() and ip_local_deliver(): a packet for this host to its protocol; anything else dropped and counted. */
  rcv(pkt: RxPacket): void {
    const p = pkt.frame.subarray(pkt.nh);
    this.mib.InReceives++;
    const ihl = (p[0]! & 0x0f) * 4;
    if (p.length < IPHDR_LEN || p[0]! >> 4 !== 4 || ihl < IPHDR_LEN || p.length < ihl || ipChecksum(p, 0, ihl) !== 0) {
      this.mib.InHdrErrors++;
      return;
    }
    const total = get16(p, 2);
    if (total < ihl || total > p.length) {
      this.mib.InHdrErrors++;
      return;
    }
    const dst = get32(p, 16);
    const local = this.ctx.devinet.forDev(pkt.dev).some((a) => a.local === dst) || (pkt.dev.ethernet && this.ctx.devinet.local(dst) !== undefined)
      || dst === 0xffffffff;
    if (!local) {
      this.mib.InAddrErrors++;
      return;
    }
    if (get16(p, 6) & (IP_MF | IP_OFFSET)) {
      this.mib.ReasmFails++;
      return;
    }
    const handler = this.protocols.get(p[9]!);
    if (!handler) {
      this.mib.InUnknownProtos++;
      return;
    }
    this.mib.InDelivers++;
    handler({ src: get32(p, 12), dst, protocol: p[9]!, ttl: p[8]!, dev: pkt.dev, raw: p.subarray(0, total) }, p.slice(ihl, total));
  }

  /**
   * ip_queue_xmit(): a packet to dst with its header (DF set, TTL 64 unless given), out of the route's
   * device. ENETUNREACH with no route, EMSGSIZE past the device's MTU, ENETDOWN for a device that is down.
   */
  send(dst: number, protocol: number, payload: Uint8Array, opts: { src?: number; ttl?: number } = {}): void {
    this.mib.OutRequests++;
    let rt;
    try {
      rt = this.ctx.fib.lookup(dst);
    } catch (e) {
      this.mib.OutNoRoutes++;
      throw e;
    }
    const total = IPHDR_LEN + payload.length;
    if (total > rt.dev.mtu) {
      this.mib.FragFails++;
      throw new KernelError("EMSGSIZE", `${rt.dev.name}: ${total} bytes exceed the MTU of ${rt.dev.mtu}`);
    }
    const p = new Uint8Array(total);
    p[0] = 0x45;
    put16(p, 2, total);
    put16(p, 4, this.nextId);
    this.nextId = (this.nextId + 1) & 0xffff;
    put16(p, 6, IP_DF);
    p[8] = opts.ttl ?? IPDEFTTL;
    p[9] = protocol;
    put32(p, 12, opts.src ?? rt.src);
    put32(p, 16, dst);
    put16(p, 10, ipChecksum(p, 0, IPHDR_LEN));
    p.set(payload, IPHDR_LEN);
    this.ctx.arp.output(rt.dev, rt.nexthop, p);
  }

  /** The MTU of the route to dst (what ip_local_error reports); ENETUNREACH with no route. */
  mtuFor(dst: number): number {
    return this.ctx.fib.lookup(dst).dev.mtu;
  }

  /** The source address a packet to dst would carry (a socket's connect). */
  sourceFor(dst: number): number {
    return this.ctx.fib.lookup(dst).src;
  }
}
