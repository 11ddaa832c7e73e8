// ARP (net/ipv4/arp.c, net/core/neighbour.c): the neighbour table of IPv4 address to hardware address,
// each entry in Linux's NUD states, requests for the unknown with packets waiting on them, replies to
// requests for our addresses, and /proc/net/arp.
//
// An entry ages as Linux's do, on the simulated clock: REACHABLE for reachable_time after a reply (a
// random 15 to 45 s: base_reachable_time 30 s), then STALE; used while STALE, DELAY for 5 s, then PROBE
// (up to 3 unicast requests a second apart) and REACHABLE again on a reply, or FAILED. An unresolved
// entry is INCOMPLETE for 3 broadcast requests a second apart (mcast_solicit), then FAILED: each packet
// that waited on it gets an ICMP host unreachable back (arp_error_report), and the next packet to it
// starts over. The periodic collector (every 15 s) removes FAILED entries and ones unused for
// gc_stale_time (60 s) once the table holds gc_thresh1 (128) entries, as Linux's does.
//
// Bounded as Linux bounds it: at most NEIGH_TABLE_MAX entries (the oldest goes first), at most
// UNRES_QLEN packets waiting on an unresolved entry (older ones dropped). Malformed ARP frames are
// dropped and counted.

import { ARPHRD_ETHER, ETH_ALEN, ETH_P_ARP, ETH_P_IP, IFF_LOOPBACK, IFF_NOARP } from "../../../abi/netdevice.js";
import { HZ } from "../../../abi/poll.js";
import { timeAfter, type Clock, type KernelTimer } from "../../kernel/time/timer.js";
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
/** gc_thresh1: below this many entries the collector leaves the table alone. */
export const GC_THRESH1 = 128;
/** unres_qlen: packets kept waiting for one resolution. */
export const UNRES_QLEN = 3;
/** arp_tbl's neigh_parms: mcast_solicit, ucast_solicit, and the times in jiffies. */
const MCAST_PROBES = 3;
const UCAST_PROBES = 3;
const RETRANS_TIME = HZ;
export const BASE_REACHABLE_TIME = 30 * HZ;
const DELAY_PROBE_TIME = 5 * HZ;
export const GC_STALETIME = 60 * HZ;
/** ATF_COM: the entry is complete (/proc/net/arp's Flags). */
const ATF_COM = 0x2;

/** The NUD states an ARP entry goes through (NUD_NOARP and NUD_PERMANENT entries are not made here). */
export type NudState = "INCOMPLETE" | "REACHABLE" | "STALE" | "DELAY" | "PROBE" | "FAILED";
/** NUD_VALID: the address is known (ATF_COM). */
const VALID: ReadonlySet<NudState> = new Set(["REACHABLE", "STALE", "DELAY", "PROBE"]);

export interface Neighbour {
  readonly dev: NetDevice;
  readonly ip: number;
  mac: Uint8Array | null;
  state: NudState;
  probes: number;
  /** Jiffies of the last reply (confirmed), the last packet out through it (used), the last change (updated). */
  confirmed: number;
  used: number;
  updated: number;
  readonly queue: Uint8Array[];
  readonly timer: KernelTimer;
}

/** neigh_rand_reach_time(): reachable_time, a random time between half and one and a half base_reachable_time. */
function randReachTime(): number {
  return Math.floor(Math.random() * BASE_REACHABLE_TIME) + (BASE_REACHABLE_TIME >> 1);
}

export interface ArpContext {
  readonly clock: Clock;
  readonly devinet: Devinet;
  /** dev_queue_xmit of a whole frame: the header built for the device from its destination and protocol. */
  xmit(dev: NetDevice, dst: Uint8Array, protocol: number, payload: Uint8Array): void;
  /** arp_error_report(): an IPv4 packet that waited on an entry that failed, for an ICMP host unreachable. */
  errorReport(packet: Uint8Array): void;
}

export class Arp {
  private readonly table: Neighbour[] = [];
  /** Frames dropped as malformed or not for IPv4 over Ethernet. */
  dropped = 0;
  /** The table's reachable_time, chosen afresh every 300 s as Linux does. */
  private reachableTime = randReachTime();
  private lastRand: number;

  constructor(private readonly ctx: ArpContext) {
    this.lastRand = ctx.clock.jiffies;
    // neigh_periodic_work is deferrable: housekeeping, no reason for an idle machine to wake.
    const gc = ctx.clock.setup(null, () => {
      this.periodicWork();
      ctx.clock.mod(gc, ctx.clock.jiffies + (BASE_REACHABLE_TIME >> 1));
    }, true);
    ctx.clock.mod(gc, ctx.clock.jiffies + (BASE_REACHABLE_TIME >> 1));
  }

  /** The entries, as ip neigh lists them. */
  entries(): readonly Neighbour[] {
    return this.table;
  }

  private find(dev: NetDevice, ip: number): Neighbour | undefined {
    return this.table.find((n) => n.dev === dev && n.ip === ip);
  }

  /** neigh_create(): a new entry, FAILED until something is sent to it or it is learnt. */
  private create(dev: NetDevice, ip: number): Neighbour {
    if (this.table.length >= NEIGH_TABLE_MAX) this.drop(this.table[0]!);
    const now = this.ctx.clock.jiffies;
    // neigh_alloc(): confirmed long ago, so that nothing counts as confirmed before a reply does.
    const n: Neighbour = {
      dev, ip, mac: null, state: "FAILED", probes: 0, confirmed: now - 2 * BASE_REACHABLE_TIME, used: now, updated: now, queue: [],
      timer: this.ctx.clock.setup(null, () => this.timerHandler(n)),
    };
    this.table.push(n);
    return n;
  }

  private drop(n: Neighbour): void {
    this.ctx.clock.cancel(n.timer);
    this.table.splice(this.table.indexOf(n), 1);
  }

  private enter(n: Neighbour, state: NudState, timerAt: number | null): void {
    n.state = state;
    n.updated = this.ctx.clock.jiffies;
    if (timerAt === null) this.ctx.clock.del(n.timer);
    else this.ctx.clock.mod(n.timer, timerAt);
  }

  /**
   * neigh_resolve_output() and __neigh_event_send(): an IPv4 packet to nexthop on dev, sent at once when
   * its address is known (or the device needs none), else queued on the entry while requests go out.
   */
  output(dev: NetDevice, nexthop: number, packet: Uint8Array): void {
    if (!dev.ethernet) return this.ctx.xmit(dev, dev.broadcast, ETH_P_IP, packet);
    if (dev.flags & (IFF_NOARP | IFF_LOOPBACK)) return this.ctx.xmit(dev, dev.addr, ETH_P_IP, packet);
    const n = this.find(dev, nexthop) ?? this.create(dev, nexthop);
    const now = this.ctx.clock.jiffies;
    n.used = now;
    if (n.state === "FAILED") {
      n.probes = UCAST_PROBES;
      this.enter(n, "INCOMPLETE", now + RETRANS_TIME);
      n.queue.push(packet);
      return this.probe(n);
    }
    if (n.state === "STALE") this.enter(n, "DELAY", now + DELAY_PROBE_TIME);
    if (n.state !== "INCOMPLETE") return this.ctx.xmit(dev, n.mac!, ETH_P_IP, packet);
    if (n.queue.length >= UNRES_QLEN) n.queue.shift();
    n.queue.push(packet);
  }

  /** neigh_timer_handler(): the state an entry's timer moves it to, as Linux's does. */
  private timerHandler(n: Neighbour): void {
    const now = this.ctx.clock.jiffies;
    if (n.state === "REACHABLE") {
      if (!timeAfter(now, n.confirmed + this.reachableTime)) return this.enter(n, "REACHABLE", n.confirmed + this.reachableTime);
      if (!timeAfter(now, n.used + DELAY_PROBE_TIME)) return this.enter(n, "DELAY", now + DELAY_PROBE_TIME);
      return this.enter(n, "STALE", null);
    }
    if (n.state === "DELAY") {
      if (!timeAfter(now, n.confirmed + DELAY_PROBE_TIME)) return this.enter(n, "REACHABLE", n.confirmed + this.reachableTime);
      n.probes = 0;
      this.enter(n, "PROBE", now + RETRANS_TIME);
      return this.probe(n);
    }
    if (n.state !== "INCOMPLETE" && n.state !== "PROBE") return;
    // neigh_max_probes(): ucast_solicit, plus mcast_solicit for an entry that never had an address.
    if (n.probes >= UCAST_PROBES + (n.state === "INCOMPLETE" ? MCAST_PROBES : 0)) return this.invalidate(n);
    this.ctx.clock.mod(n.timer, now + RETRANS_TIME);
    this.probe(n);
  }

  /** neigh_invalidate(): FAILED; each packet that waited gets its error report. */
  private invalidate(n: Neighbour): void {
    this.enter(n, "FAILED", null);
    for (const packet of n.queue.splice(0)) this.ctx.errorReport(packet);
  }

  /** neigh_probe() and arp_solicit(): a unicast request to the address we had, else a broadcast one. */
  private probe(n: Neighbour): void {
    const unicast = n.probes < UCAST_PROBES && n.mac !== null;
    n.probes++;
    this.send(ARPOP_REQUEST, n.dev, n.ip, unicast ? n.mac! : ETH_BROADCAST, unicast ? n.mac! : new Uint8Array(ETH_ALEN));
  }

  /**
   * neigh_periodic_work(): reachable_time chosen again every 300 s; with gc_thresh1 entries or more, the
   * FAILED and STALE ones unused for gc_stale_time removed.
   */
  private periodicWork(): void {
    const now = this.ctx.clock.jiffies;
    if (timeAfter(now, this.lastRand + 300 * HZ)) {
      this.lastRand = now;
      this.reachableTime = randReachTime();
    }
    if (this.table.length < GC_THRESH1) return;
    for (const n of [...this.table]) {
      if (n.state !== "FAILED" && n.state !== "STALE") continue;
      if (timeAfter(n.confirmed, n.used)) n.used = n.confirmed;
      if (n.state === "FAILED" || timeAfter(now, n.used + GC_STALETIME)) this.drop(n);
    }
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

  /**
   * arp_rcv() and arp_process(): learn the sender, answer a request for one of our addresses. A reply to
   * our own hardware address confirms the entry (REACHABLE); a request or a broadcast reply only says
   * where the sender is (STALE), as Linux has it.
   */
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
    const toHost = pkt.nh >= ETH_ALEN && pkt.frame.subarray(0, ETH_ALEN).every((b, i) => b === pkt.dev.addr[i]);
    if (known || forUs) this.update(known ?? this.create(pkt.dev, sip), sha, op === ARPOP_REPLY && toHost ? "REACHABLE" : "STALE");
    if (op === ARPOP_REQUEST && forUs) this.send(ARPOP_REPLY, pkt.dev, sip, sha, sha);
  }

  /**
   * neigh_update(): the address learnt, in the state the packet tells (a valid entry whose address did
   * not change stays as it is rather than go STALE); what waited on it goes now.
   */
  private update(n: Neighbour, mac: Uint8Array, state: "REACHABLE" | "STALE"): void {
    const now = this.ctx.clock.jiffies;
    const same = n.mac !== null && n.mac.every((b, i) => b === mac[i]);
    if (state === "REACHABLE") n.confirmed = now;
    if (state === "STALE" && same && VALID.has(n.state)) return;
    n.mac = mac;
    this.enter(n, state, state === "REACHABLE" ? now + this.reachableTime : null);
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
      const flags = VALID.has(n.state) ? ATF_COM : 0;
      return `${formatIp(n.ip).padEnd(16)} 0x${n.dev.type.toString(16).padEnd(10)}0x${flags.toString(16).padEnd(10)}${hw.padEnd(17)}     ${"*".padEnd(8)} ${n.dev.name}\n`;
    });
    return "IP address       HW type     Flags       HW address            Mask     Device\n" + lines.join("");
  }
}
