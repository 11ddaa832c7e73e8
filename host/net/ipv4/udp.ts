// UDP (net/ipv4/udp.c): datagram sockets bound to ports, checksums over the pseudo-header, and the
// datagrams for no socket answered with ICMP port unreachable; what is malformed is dropped and counted
// as /proc/net/snmp's Udp line counts it.

import { KernelError } from "../../kernel/error.js";
import { inetBind, Sock, type SockAddr } from "../core/sock.js";
import type { Devinet } from "./devinet.js";
import { ICMP_PORT_UNREACH, icmpErrno, type Icmp, type IcmpError } from "./icmp.js";
import { get16, ipChecksum, put16, put32 } from "./inet.js";
import { IPPROTO_UDP, type Ip, type IpHeader } from "./ip.js";
import { ipIcmpError, ipLocalError } from "./ip_sockglue.js";

const UDP_HDR = 8;
/** The largest UDP payload IPv4 can carry: 65535 - 20 - 8. */
export const UDP_MAX_PAYLOAD = 65507;
/** net.ipv4.ip_local_port_range. */
export const EPHEMERAL_LOW = 32768;
export const EPHEMERAL_HIGH = 60999;

/** /proc/net/snmp's Udp counters, in its column order. */
const UDP_MIB = ["InDatagrams", "NoPorts", "InErrors", "OutDatagrams", "RcvbufErrors", "SndbufErrors", "InCsumErrors", "IgnoredMulti", "MemErrors"] as const;

/** The UDP checksum: the pseudo-header (addresses, protocol, length) and the segment; 0 is sent as 0xffff. */
function udpChecksum(src: number, dst: number, seg: Uint8Array): number {
  const pseudo = new Uint8Array(12);
  put32(pseudo, 0, src);
  put32(pseudo, 4, dst);
  pseudo[9] = IPPROTO_UDP;
  put16(pseudo, 10, seg.length);
  const partial = ~ipChecksum(pseudo) & 0xffff;
  return ipChecksum(seg, 0, seg.length, partial);
}

export class Udp {
  readonly mib = Object.fromEntries(UDP_MIB.map((n) => [n, 0])) as Record<(typeof UDP_MIB)[number], number>;
  readonly ports = new Map<number, UdpSock>();
  private rover = EPHEMERAL_LOW;

  constructor(
    readonly ip: Ip,
    readonly devinet: Devinet,
    private readonly icmp: Icmp,
  ) {}

  /** udp_lib_get_port(): EADDRINUSE for a taken port; 0 takes a free ephemeral one (EAGAIN when none is). */
  takePort(sock: UdpSock, port: number): number {
    if (port !== 0) {
      if (this.ports.has(port)) throw new KernelError("EADDRINUSE", `port ${port}: Address already in use`);
      this.ports.set(port, sock);
      return port;
    }
    for (let i = 0; i <= EPHEMERAL_HIGH - EPHEMERAL_LOW; i++) {
      const p = this.rover;
      this.rover = p === EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
      if (!this.ports.has(p)) {
        this.ports.set(p, sock);
        return p;
      }
    }
    throw new KernelError("EAGAIN", "no free local port");
  }

  /** udp_rcv(): to the socket on the destination port, or a port unreachable back. */
  rcv(hdr: IpHeader, seg: Uint8Array): void {
    const ulen = seg.length >= UDP_HDR ? get16(seg, 4) : 0;
    if (ulen < UDP_HDR || ulen > seg.length) {
      this.mib.InErrors++;
      return;
    }
    const dgram = seg.subarray(0, ulen);
    if (get16(dgram, 6) !== 0 && udpChecksum(hdr.src, hdr.dst, dgram) !== 0) {
      this.mib.InCsumErrors++;
      this.mib.InErrors++;
      return;
    }
    const sock = this.ports.get(get16(dgram, 2));
    if (!sock || (sock.bound!.addr !== 0 && sock.bound!.addr !== hdr.dst)) {
      this.mib.NoPorts++;
      if (hdr.dst !== 0xffffffff) this.icmp.unreachable(hdr, ICMP_PORT_UNREACH);
      return;
    }
    if (sock.peer && (sock.peer.addr !== hdr.src || sock.peer.port !== get16(dgram, 0))) return;
    if (sock.deliver(dgram.slice(UDP_HDR), { addr: hdr.src, port: get16(dgram, 0) }, hdr.ttl)) this.mib.InDatagrams++;
    else this.mib.RcvbufErrors++;
  }

  /**
   * __udp4_lib_err(): an ICMP error for a datagram one of our sockets sent. Without IP_RECVERR only a
   * connected socket is told, of a hard error (ECONNREFUSED for port unreachable), as sk_err for its next
   * send or receive; with it, every error is queued with the datagram's data, and sets sk_err. False
   * when no socket sent it.
   */
  err(e: IcmpError): boolean {
    const sock = this.ports.get(e.sport);
    if (!sock || (sock.bound!.addr !== 0 && sock.bound!.addr !== e.src)) return false;
    if (sock.peer && (sock.peer.addr !== e.dst || sock.peer.port !== e.dport)) return false;
    const meaning = icmpErrno(e.type, e.code);
    if (!meaning) return true;
    if (!sock.recvErr && (!meaning.fatal || !sock.peer)) return true;
    ipIcmpError(sock, e, meaning.errno, e.dport, e.quoted.subarray(UDP_HDR));
    sock.reportError(meaning.errno);
    return true;
  }

  snmp(): string {
    return `Udp: ${UDP_MIB.join(" ")}\nUdp: ${UDP_MIB.map((n) => this.mib[n]).join(" ")}\n`;
  }
}

export class UdpSock extends Sock {
  constructor(
    private readonly udp: Udp,
    family: number,
    type: number,
  ) {
    super(family, type, IPPROTO_UDP);
  }

  bind(addr: SockAddr): void {
    inetBind(this, addr, (a) => this.udp.devinet.local(a) !== undefined, (p) => this.udp.takePort(this, p));
  }

  connect(addr: SockAddr): void {
    this.udp.ip.sourceFor(addr.addr);
    if (!this.bound) this.bind({ addr: 0, port: 0 });
    this.peer = addr;
  }

  /**
   * udp_sendmsg(): EMSGSIZE past 65535 bytes; past what one IPv4 packet carries, EMSGSIZE too, and with
   * IP_RECVERR a local error with the route's MTU (ip_local_error from __ip_append_data).
   */
  send(data: Uint8Array, to: SockAddr | null): number {
    const dst = this.destination(to);
    if (data.length > 0xffff) throw new KernelError("EMSGSIZE", "Message too long");
    if (data.length > UDP_MAX_PAYLOAD) {
      ipLocalError(this, "EMSGSIZE", dst.addr, this.peer?.port ?? 0, this.udp.ip.mtuFor(dst.addr));
      throw new KernelError("EMSGSIZE", "Message too long");
    }
    if (!this.bound) this.bind({ addr: 0, port: 0 });
    const src = this.bound!.addr || this.udp.ip.sourceFor(dst.addr);
    const seg = new Uint8Array(UDP_HDR + data.length);
    put16(seg, 0, this.bound!.port);
    put16(seg, 2, dst.port);
    put16(seg, 4, seg.length);
    seg.set(data, UDP_HDR);
    put16(seg, 6, udpChecksum(src, dst.addr, seg) || 0xffff);
    this.udp.ip.send(dst.addr, IPPROTO_UDP, seg, { src });
    this.udp.mib.OutDatagrams++;
    return data.length;
  }

  override release(): void {
    if (this.bound && this.udp.ports.get(this.bound.port) === this) this.udp.ports.delete(this.bound.port);
    super.release();
  }
}
