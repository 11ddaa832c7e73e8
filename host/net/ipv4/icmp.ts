// ICMP (net/ipv4/icmp.c): echo requests answered, echo replies handed to the ping socket whose
// identifier they carry, port-unreachable sent for a UDP datagram nobody listens for (rate-limited per
// destination as icmp_ratelimit has it), the errors that come back handed to the protocol of the packet
// they quote, and bad messages dropped and counted as /proc/net/snmp's Icmp line counts them.

import type { ErrnoName } from "../../../abi/errno.js";
import { IFF_LOOPBACK } from "../../../abi/netdevice.js";
import { HZ } from "../../../abi/poll.js";
import type { Clock } from "../../kernel/time/timer.js";
import { get16, get32, ipChecksum, put16 } from "./inet.js";
import { IPPROTO_ICMP, type Ip, type IpHeader } from "./ip.js";

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PORT_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
const ICMP_HDR = 8;
/** What an ICMP error may take up (576 bytes, the minimum every host must accept) less its two headers. */
const ICMP_QUOTE_MAX = 576 - 20 - ICMP_HDR;
/** sysctl net.ipv4.icmp_ratelimit: 1000 ms between errors to one destination, after a burst (XRLIM_BURST_FACTOR) of 6. */
const ICMP_RATELIMIT = HZ;
const XRLIM_BURST_FACTOR = 6;
/** How many destinations the limiter remembers (the inet_peer cache); the oldest is forgotten first. */
const MAX_PEERS = 1024;

/** icmp_err_convert[]: the errno a DEST_UNREACH code means, and whether it is fatal (a "hard" error). */
const UNREACH_ERRORS: readonly (readonly [ErrnoName, boolean])[] = [
  ["ENETUNREACH", false], ["EHOSTUNREACH", false], ["ENOPROTOOPT", true], ["ECONNREFUSED", true], ["EMSGSIZE", false],
  ["EOPNOTSUPP", false], ["ENETUNREACH", true], ["EHOSTDOWN", true], ["ENONET", true], ["ENETUNREACH", true], ["EHOSTUNREACH", true],
  ["ENETUNREACH", false], ["EHOSTUNREACH", false], ["EHOSTUNREACH", true], ["EHOSTUNREACH", true], ["EHOSTUNREACH", true],
];

/** An ICMP error as the protocol of the packet it quotes gets it (icmp_socket_deliver's skb and info). */
export interface IcmpError {
  readonly type: number;
  readonly code: number;
  /** The MTU for "fragmentation needed", the pointer for a parameter problem, else 0 (icmp_unreach). */
  readonly info: number;
  /** The source of the ICMP message and the TTL it came with. */
  readonly offender: number;
  readonly ttl: number;
  /** The quoted packet's source (this host's address) and destination, and its first 4 bytes' ports. */
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
  /** The quoted packet from its transport header on, as far as it was quoted. */
  readonly quoted: Uint8Array;
}

/** A protocol's err_handler: false when no socket of its sent the packet quoted. */
export type IcmpErrHandler = (err: IcmpError) => boolean;

/**
 * icmp_err_convert[] as __udp4_lib_err() reads an error's type and code: the errno, and whether it is
 * fatal (a "hard" error, told to a connected socket); null for what is ignored (source quench).
 */
export function icmpErrno(type: number, code: number): { errno: ErrnoName; fatal: boolean } | null {
  if (type === ICMP_SOURCE_QUENCH) return null;
  if (type === ICMP_PARAMETERPROB) return { errno: "EPROTO", fatal: true };
  if (type !== ICMP_DEST_UNREACH) return { errno: "EHOSTUNREACH", fatal: false };
  // Path MTU discovery is on (IP_PMTUDISC_WANT): a datagram too large for the path is a hard error.
  if (code === ICMP_FRAG_NEEDED) return { errno: "EMSGSIZE", fatal: true };
  const [errno, fatal] = UNREACH_ERRORS[code] ?? ["EHOSTUNREACH", false];
  return { errno, fatal };
}

/** The error messages icmp_rcv hands to the protocol of the packet they quote (icmp_pointers[].error). */
function isError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB || type === ICMP_SOURCE_QUENCH;
}

/** icmpmibmap: the message types /proc/net/snmp counts In and Out, in its order. */
const MIB_TYPES: readonly (readonly [string, number])[] = [
  ["DestUnreachs", 3], ["TimeExcds", 11], ["ParmProbs", 12], ["SrcQuenchs", 4], ["Redirects", 5], ["Echos", 8], ["EchoReps", 0],
  ["Timestamps", 13], ["TimestampReps", 14], ["AddrMasks", 17], ["AddrMaskReps", 18],
];

export class Icmp {
  inMsgs = 0;
  inErrors = 0;
  inCsumErrors = 0;
  outMsgs = 0;
  outErrors = 0;
  private readonly inTypes = new Map<number, number>();
  private readonly outTypes = new Map<number, number>();
  /** inet_peer's rate_tokens and rate_last, by destination. */
  private readonly peers = new Map<number, { tokens: number; last: number }>();
  /** inet_protos[]'s err_handler, by IP protocol. */
  readonly errHandlers = new Map<number, IcmpErrHandler>();

  constructor(
    private readonly ip: Ip,
    /** An echo reply for the ping socket of that identifier (ping_rcv); false if there is none. */
    private readonly pingRcv: (hdr: IpHeader, msg: Uint8Array) => boolean,
    private readonly clock: Clock,
  ) {}

  /** icmp_rcv(). */
  rcv(hdr: IpHeader, msg: Uint8Array): void {
    this.inMsgs++;
    if (msg.length < ICMP_HDR) {
      this.inErrors++;
      return;
    }
    if (ipChecksum(msg) !== 0) {
      this.inCsumErrors++;
      this.inErrors++;
      return;
    }
    const type = msg[0]!;
    this.inTypes.set(type, (this.inTypes.get(type) ?? 0) + 1);
    if (type === ICMP_ECHO && msg[1] === 0) this.echoReply(hdr, msg);
    else if (type === ICMP_ECHOREPLY) this.pingRcv(hdr, msg);
    else if (isError(type)) {
      if (!this.unreach(hdr, msg)) this.inErrors++;
    }
  }

  /**
   * icmp_unreach(): the error to the protocol of the packet it quotes (its IP header and at least 8
   * bytes); false when the quote is too short or nobody here sent that packet.
   */
  private unreach(hdr: IpHeader, msg: Uint8Array): boolean {
    const type = msg[0]!;
    const code = msg[1]!;
    const quoted = msg.subarray(ICMP_HDR);
    const ihl = ((quoted[0] ?? 0) & 0x0f) * 4;
    if (ihl < 20 || quoted.length < ihl + 8) return false;
    const handler = this.errHandlers.get(quoted[9]!);
    if (!handler) return true;
    const info = type === ICMP_PARAMETERPROB ? msg[4]! : type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED ? get16(msg, 6) : 0;
    return handler({
      type, code, info, offender: hdr.src, ttl: hdr.ttl, src: get32(quoted, 12), dst: get32(quoted, 16), sport: get16(quoted, ihl),
      dport: get16(quoted, ihl + 2), quoted: quoted.subarray(ihl),
    });
  }

  /** icmp_echo(): the request back to its sender, type 0, from the address it was sent to. */
  private echoReply(hdr: IpHeader, msg: Uint8Array): void {
    const reply = msg.slice();
    reply[0] = ICMP_ECHOREPLY;
    this.reply(hdr.src, reply, hdr.dst === 0xffffffff ? undefined : hdr.dst);
  }

  /**
   * icmp_send(ICMP_DEST_UNREACH, code): the offending packet quoted from its header, as much as fits in
   * 576 bytes, from src (by default the address it was sent to; null: the one routing picks). Not sent
   * about an ICMP error, nor when its destination had its share (icmpv4_xrlim_allow) unless it came
   * through lo.
   */
  unreachable(hdr: Pick<IpHeader, "src" | "dst" | "raw" | "dev">, code: number, src: number | null = hdr.dst): void {
    const ihl = (hdr.raw[0]! & 0x0f) * 4;
    if (hdr.raw[9] === IPPROTO_ICMP && isError(hdr.raw[ihl] ?? 0)) return;
    if (!(hdr.dev.flags & IFF_LOOPBACK) && !this.xrlimAllow(hdr.src)) return;
    const quoted = hdr.raw.subarray(0, ICMP_QUOTE_MAX);
    const msg = new Uint8Array(ICMP_HDR + quoted.length);
    msg[0] = ICMP_DEST_UNREACH;
    msg[1] = code;
    msg.set(quoted, ICMP_HDR);
    this.reply(hdr.src, msg, src ?? undefined);
  }

  /** inet_peer_xrlim_allow(): a token bucket per destination, a token a second, at most 6 saved up. */
  private xrlimAllow(dst: number): boolean {
    const now = this.clock.jiffies;
    let peer = this.peers.get(dst);
    if (!peer) {
      if (this.peers.size >= MAX_PEERS) this.peers.delete(this.peers.keys().next().value!);
      // A new peer's rate_last is a minute back: it starts with a full burst.
      peer = { tokens: 0, last: now - 60 * HZ };
      this.peers.set(dst, peer);
    }
    let tokens = Math.min(peer.tokens + ((now - peer.last) | 0), XRLIM_BURST_FACTOR * ICMP_RATELIMIT);
    peer.last = now;
    const allowed = tokens >= ICMP_RATELIMIT;
    if (allowed) tokens -= ICMP_RATELIMIT;
    peer.tokens = tokens;
    return allowed;
  }

  /** A message the kernel sends of itself: one that cannot go (no route) is an OutErrors, nobody's error. */
  private reply(dst: number, msg: Uint8Array, src?: number): void {
    try {
      this.send(dst, msg, src);
    } catch {
      this.outErrors++;
    }
  }

  /** A message with its checksum filled in, counted; the routing errors of Ip.send. */
  send(dst: number, msg: Uint8Array, src?: number): void {
    put16(msg, 2, 0);
    put16(msg, 2, ipChecksum(msg));
    this.outMsgs++;
    this.outTypes.set(msg[0]!, (this.outTypes.get(msg[0]!) ?? 0) + 1);
    this.ip.send(dst, IPPROTO_ICMP, msg, src === undefined ? {} : { src });
  }

  /** /proc/net/snmp's Icmp lines (icmp_put). */
  snmp(): string {
    const names = ["InMsgs", "InErrors", "InCsumErrors", ...MIB_TYPES.map(([n]) => `In${n}`), "OutMsgs", "OutErrors", ...MIB_TYPES.map(([n]) => `Out${n}`)];
    const values = [this.inMsgs, this.inErrors, this.inCsumErrors, ...MIB_TYPES.map(([, t]) => this.inTypes.get(t) ?? 0), this.outMsgs, this.outErrors,
      ...MIB_TYPES.map(([, t]) => this.outTypes.get(t) ?? 0)];
    return `Icmp: ${names.join(" ")}\nIcmp: ${values.join(" ")}\n`;
  }
}
