// ARP (net/ipv4/arp.c, net/core/neighbour.c): the neighbour table of IPv4 address to hardware address,
// requests for the unknown with packets waiting on them, replies to requests for our addresses, and
// /proc/net/arp.
//
// Bounded as Linux bounds it: at most NEIGH_TABLE_MAX entries (the oldest goes first), at most
// UNRES_QLEN packets waiting on an unresolved entry (older ones dropped), three requests a second apart
// before an entry fails. Malformed ARP frames are dropped and counted.

import { ARPHRD_ETHER, ETH_ALEN, ETH_P_ARP, ETH_P_IP, IFF_LOOPBACK, IFF_NOARP } from "../../../abi/netdevice.js";
import { HZ } from "../../../abi/poll.js";
import type { Clock, KernelTimer } from "../../kernel/time/timer.js";
import type { NetDevice, RxPacket } from "../core/dev.js";
import { formatMac } from "../core/net-procfs.js";
import { ETH_BROADCAST } from "../ethernet/eth.js";
import type { Devinet } from "./devinet.js";
import { formatIp, get16, get32, put16, put32 } from "./inet.js";

const ARPOP_REQUEST = 1;
const ARPOP_REPLY = 2;
/** An ARP packet for Ethernet and IPv4: 8 bytes of header, two hardware and two protocol addresses. */
const ARP_LEN = 28;
/** gc_thresh3: the table's hard limit. */
export const NEIGH_TABLE_MAX = 1024;
/** unres_qlen: packets kept waiting for one resolution. */
export const UNRES_QLEN = 3;
/** mcast_solicit: requests sent before the entry fails. */
const MCAST_SOLICIT = 3;
/** retrans_time: 1 s between requests. */
const RETRANS_JIFFIES = HZ;
/** ATF_COM: the entry is complete (/proc/net/arp's Flags). */
const ATF_COM = 0x2;

interface Neighbour {
  readonly dev: NetDevice;
  readonly ip: number;
  mac: Uint8Array | null;
  failed: boolean;
  probes: number;
  readonly queue: Uint8Array[];
  timer: KernelTimer | null;
}

export interface ArpContext {
  readonly clock: Clock;
  readonly devinet: Devinet;
  /** dev_queue_xmit of a whole frame: the header built for the device from its destination and protocol. */
  xmit(dev: NetDevice, dst: Uint8Array, protocol: number, payload: Uint8Array): void;
}

export class Arp {
  private readonly table: Neighbour[] = [];
  /** Frames dropped as malformed or not for IPv4 over Ethernet. */
  dropped = 0;

  constructor(private readonly ctx: ArpContext) {}

  private find(dev: NetDevice, ip: number): Neighbour | undefined {
    return this.table.find((n) => n.dev === dev && n.ip === ip);
  }

  private create(dev: NetDevice, ip: number): Neighbour {
    if (this.table.length >= NEIGH_TABLE_MAX) this.drop(this.table[0]!);
    const n: Neighbour = { dev, ip, mac: null, failed: false, probes: 0, queue: [], timer: null };
    this.table.push(n);
    return n;
  }

  private drop(n: Neighbour): void {
    if (n.timer) this.ctx.clock.cancel(n.timer);
    this.table.splice(this.table.indexOf(n), 1);
  }

  /**
   * neigh_resolve_output(): an IPv4 packet to nexthop on dev, sent at once when its address is known (or
   * the device needs none), else queued on the entry while requests go out.
   */
  output(dev: NetDevice, nexthop: number, packet: Uint8Array): void {
    if (!dev.ethernet) return this.ctx.xmit(dev, dev.broadcast, ETH_P_IP, packet);
    if (dev.flags & (IFF_NOARP | IFF_LOOPBACK)) return this.ctx.xmit(dev, dev.addr, ETH_P_IP, packet);
    const n = this.find(dev, nexthop) ?? this.create(dev, nexthop);
    if (n.mac) return this.ctx.xmit(dev, n.mac, ETH_P_IP, packet);
    if (n.queue.length >= UNRES_QLEN) n.queue.shift();
    n.queue.push(packet);
    if (n.failed || n.timer === null) {
      n.failed = false;
      n.probes = 0;
      this.solicit(n);
    }
  }

  /** arp_solicit(): a request, then another each second until the third goes unanswered. */
  private solicit(n: Neighbour): void {
    if (n.probes >= MCAST_SOLICIT) {
      n.failed = true;
      n.timer = null;
      n.queue.length = 0;
      return;
    }
    n.probes++;
    this.send(ARPOP_REQUEST, n.dev, n.ip, ETH_BROADCAST, new Uint8Array(ETH_ALEN));
    n.timer = this.ctx.clock.once(null, this.ctx.clock.jiffies + RETRANS_JIFFIES, () => {
      if (this.table.includes(n) && !n.mac) this.solicit(n);
    });
  }

  /** arp_send(): an ARP packet from dev's address and IPv4 address towards tip. */
  private send(op: number, dev: NetDevice, tip: number, ethDst: Uint8Array, tha: Uint8Array): void {
    const sip = this.ctx.devinet.select(dev, tip);
    if (sip === undefined) return;
    const p = new Uint8Array(ARP_LEN);
    put16(p, 0, ARPHRD_ETHER);
    put16(p, 2, ETH_P_IP);
    p[4] = ETH_ALEN;
    p[5] = 4;
    put16(p, 6, op);
    p.set(dev.addr, 8);
    put32(p, 14, sip);
    p.set(tha, 18);
    put32(p, 24, tip);
    this.ctx.xmit(dev, ethDst, ETH_P_ARP, p);
  }

  /** arp_rcv() and arp_process(): learn the sender, answer a request for one of our addresses. */
  rcv(pkt: RxPacket): void {
    const p = pkt.frame.subarray(pkt.nh);
    if (p.length < ARP_LEN || get16(p, 0) !== ARPHRD_ETHER || get16(p, 2) !== ETH_P_IP || p[4] !== ETH_ALEN || p[5] !== 4 || pkt.dev.flags & IFF_NOARP) {
      this.dropped++;
      return;
    }
    const op = get16(p, 6);
    const sha = p.slice(8, 14);
    const sip = get32(p, 14);
    const tip = get32(p, 24);
    if ((op !== ARPOP_REQUEST && op !== ARPOP_REPLY) || sha[0]! & 1) {
      this.dropped++;
      return;
    }
    const forUs = this.ctx.devinet.forDev(pkt.dev).some((a) => a.local === tip);
    const known = this.find(pkt.dev, sip);
    if (known || forUs) this.learn(known ?? this.create(pkt.dev, sip), sha);
    if (op === ARPOP_REQUEST && forUs) this.send(ARPOP_REPLY, pkt.dev, sip, sha, sha);
  }

  /** neigh_update(): the address known; what waited on it goes now. */
  private learn(n: Neighbour, mac: Uint8Array): void {
    n.mac = mac;
    n.failed = false;
    if (n.timer) this.ctx.clock.cancel(n.timer);
    n.timer = null;
    for (const packet of n.queue.splice(0)) this.ctx.xmit(n.dev, mac, ETH_P_IP, packet);
  }

  /** A device down or gone: its entries go (neigh_ifdown). */
  flush(dev: NetDevice): void {
    for (const n of this.table.filter((n) => n.dev === dev)) this.drop(n);
  }

  /** /proc/net/arp: arp_seq_show()'s header and a line per entry. */
  show(): string {
    const lines = this.table.map((n) => {
      const hw = formatMac(n.mac ?? new Uint8Array(ETH_ALEN));
      const flags = n.mac ? ATF_COM : 0;
      return `${formatIp(n.ip).padEnd(16)} 0x${n.dev.type.toString(16).padEnd(10)}0x${flags.toString(16).padEnd(10)}${hw.padEnd(17)}     ${"*".padEnd(8)} ${n.dev.name}\n`;
    });
    return "IP address       HW type     Flags       HW address            Mask     Device\n" + lines.join("");
  }
}
