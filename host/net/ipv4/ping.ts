// ICMP datagram sockets (net/ipv4/ping.c): socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), the unprivileged
// ping. The user writes an echo request (type 8, code 0, and its data); the kernel sets the identifier
// to the socket's own and fills in the checksum, and hands the socket the echo replies that carry it.

import { KernelError } from "../../kernel/error.js";
import { inetBind, Sock, type SockAddr } from "../core/sock.js";
import { ICMP_ECHO, type Icmp } from "./icmp.js";
import { get16, put16 } from "./inet.js";
import { IPPROTO_ICMP, type IpHeader } from "./ip.js";
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

  /** ping_v4_sendmsg(): EINVAL unless the data is an echo request; EMSGSIZE past what IP can carry. */
  send(data: Uint8Array, to: SockAddr | null): number {
    const dst = this.destination(to);
    if (data.length < ICMP_HDR || data[0] !== ICMP_ECHO || data[1] !== 0) throw new KernelError("EINVAL", "not an ICMP echo request");
    if (data.length > PING_MAX) throw new KernelError("EMSGSIZE", "Message too long");
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
