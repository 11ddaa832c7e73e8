// ICMP datagram sockets (net/ipv4/ping.c): socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), the unprivileged
// ping. The user writes an echo request (type 8, code 0, and its data); the kernel sets the identifier
// to the socket's own and fills in the checksum, and hands the socket the echo replies that carry it,
// and the ICMP errors that quote its requests (ping_err: on the error queue with IP_RECVERR).

import { KernelError } from "../../kernel/error.js";
import { inetBind, Sock, type SockAddr } from "../core/sock.js";
import { ICMP_ECHO, ICMP_SOURCE_QUENCH, icmpErrno, type Icmp, type IcmpError } from "./icmp.js";
import { get16, put16 } from "./inet.js";
import { IPPROTO_ICMP, type Ip, type IpHeader } from "./ip.js";
import { ipIcmpError, ipLocalError } from "./ip_sockglue.js";
import type { Devinet } from "./devinet.js";

const ICMP_HDR = 8;
/** The largest echo a ping socket sends: 65535 - 20 (IP) bytes of ICMP. */
const PING_MAX = 65515;

export class Ping {
  readonly idents = new Map<number, PingSock>();
  private rover = 0;

  constructor(
    readonly icmp: Icmp,
    readonly devinet: Devinet,
    readonly ip: Ip,
  ) {}

  /** ping_get_port(): the identifier asked for (EADDRINUSE when taken), or the next free one. */
  take(sock: PingSock, ident: number): number {
    if (ident !== 0) {
      if (this.idents.has(ident)) throw new KernelError("EADDRINUSE", `ident ${ident}: Address already in use`);
      this.idents.set(ident, sock);
      return ident;
    }
    for (let i = 0; i < 0xffff; i++) {
      this.rover = (this.rover % 0xffff) + 1;
      if (!this.idents.has(this.rover)) {
        this.idents.set(this.rover, sock);
        return this.rover;
      }
    }
    throw new KernelError("EAGAIN", "no free ICMP identifier");
  }

  /** ping_rcv(): an echo reply to the socket of its identifier; false when there is none. */
  rcv(hdr: IpHeader, msg: Uint8Array): boolean {
    const sock = this.idents.get(get16(msg, 4));
    return sock ? sock.deliver(msg, { addr: hdr.src, port: 0 }, hdr.ttl) : false;
  }

  /**
   * ping_err(): an ICMP error quoting an echo request of one of our sockets. As for UDP, without
   * IP_RECVERR only a connected socket learns of a hard error; with it the error is queued with the
   * request (from its ICMP header on) and sets sk_err. A source quench, which ping wants to see, is
   * EREMOTEIO. False when no socket sent the request.
   */
  err(e: IcmpError): boolean {
    if (e.quoted[0] !== ICMP_ECHO || e.quoted[1] !== 0) return false;
    const sock = this.idents.get(get16(e.quoted, 4));
    if (!sock || (sock.bound!.addr !== 0 && sock.bound!.addr !== e.src)) return false;
    const meaning = e.type === ICMP_SOURCE_QUENCH ? { errno: "EREMOTEIO" as const, fatal: false } : icmpErrno(e.type, e.code)!;
    if (!sock.recvErr && (!meaning.fatal || !sock.peer)) return true;
    ipIcmpError(sock, e, meaning.errno, 0, e.quoted);
    sock.reportError(meaning.errno);
    return true;
  }
}

export class PingSock extends Sock {
  constructor(
    private readonly ping: Ping,
    family: number,
    type: number,
  ) {
    super(family, type, IPPROTO_ICMP);
  }

  bind(addr: SockAddr): void {
    inetBind(this, addr, (a) => this.ping.devinet.local(a) !== undefined, (p) => this.ping.take(this, p));
  }

  connect(addr: SockAddr): void {
    if (!this.bound) this.bind({ addr: 0, port: 0 });
    this.peer = addr;
  }

  /**
   * ping_v4_sendmsg(): EMSGSIZE past 65535 bytes, EINVAL unless the data is an echo request; past what
   * one IPv4 packet carries EMSGSIZE, with IP_RECVERR a local error with the route's MTU too.
   */
  send(data: Uint8Array, to: SockAddr | null): number {
    const dst = this.destination(to);
    if (data.length > 0xffff) throw new KernelError("EMSGSIZE", "Message too long");
    if (data.length < ICMP_HDR || data[0] !== ICMP_ECHO || data[1] !== 0) throw new KernelError("EINVAL", "not an ICMP echo request");
    if (data.length > PING_MAX) {
      ipLocalError(this, "EMSGSIZE", dst.addr, 0, this.ping.ip.mtuFor(dst.addr));
      throw new KernelError("EMSGSIZE", "Message too long");
    }
    if (!this.bound) this.bind({ addr: 0, port: 0 });
    const msg = data.slice();
    put16(msg, 4, this.bound!.port);
    this.ping.icmp.send(dst.addr, msg, this.bound!.addr || undefined);
    return data.length;
  }

  override release(): void {
    if (this.bound && this.ping.idents.get(this.bound.port) === this) this.ping.idents.delete(this.bound.port);
    super.release();
  }
}
