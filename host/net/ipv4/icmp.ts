// ICMP (net/ipv4/icmp.c): echo requests answered, echo replies handed to the ping socket whose
// identifier they carry, port-unreachable sent for a UDP datagram nobody listens for, and bad messages
// dropped and counted as /proc/net/snmp's Icmp line counts them.

import { ipChecksum, put16 } from "./inet.js";
import { IPPROTO_ICMP, type Ip, type IpHeader } from "./ip.js";

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_PORT_UNREACH = 3;
const ICMP_HDR = 8;

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

  constructor(
    private readonly ip: Ip,
    /** An echo reply for the ping socket of that identifier (ping_rcv); false if there is none. */
    private readonly pingRcv: (hdr: IpHeader, msg: Uint8Array) => boolean,
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
  }

  /** icmp_echo(): the request back to its sender, type 0, from the address it was sent to. */
  private echoReply(hdr: IpHeader, msg: Uint8Array): void {
    const reply = msg.slice();
    reply[0] = ICMP_ECHOREPLY;
    this.reply(hdr.src, reply, hdr.dst === 0xffffffff ? undefined : hdr.dst);
  }

  /** icmp_send(ICMP_DEST_UNREACH, code): the offending packet's header and first 8 bytes of data quoted. */
  unreachable(hdr: IpHeader, code: number): void {
    const quoted = hdr.raw.subarray(0, ((hdr.raw[0]! & 0x0f) * 4) + 8);
    const msg = new Uint8Array(ICMP_HDR + quoted.length);
    msg[0] = ICMP_DEST_UNREACH;
    msg[1] = code;
    msg.set(quoted, ICMP_HDR);
    this.reply(hdr.src, msg, hdr.dst);
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
