// What every socket has (net/core/sock.c): a receive queue and an error queue (IP_RECVERR) bounded together
// by its receive buffer, the pending error (sk_err), the wait queue its readers and pollers sleep on, and
// the address it is bound to and the peer it is connected to.

import { errno, strerror, type ErrnoName } from "../../../abi/errno.js";
import { KernelError } from "../../kernel/error.js";
import { WaitQueue } from "../../kernel/wait.js";

/** net.core.rmem_default: a socket's receive buffer, in bytes. */
export const SK_RCVBUF = 212992;
/** What each queued datagram costs against the buffer besides its bytes (its sk_buff's truesize). */
const SKB_TRUESIZE = 768;

/** An address a datagram came from or goes to: an IPv4 address and port, or a link-layer one for AF_PACKET. */
export interface SockAddr {
  readonly addr: number;
  readonly port: number;
  /** AF_PACKET: the interface and protocol. */
  readonly ifindex?: number;
  readonly protocol?: number;
}

export interface Datagram {
  readonly data: Uint8Array;
  readonly from: SockAddr;
  /** The TTL of the IPv4 packet it came in (IP_RECVTTL), -1 for a frame. */
  readonly ttl: number;
}

/** sock_extended_err's ee_origin (include/uapi/linux/errqueue.h): this host, or an ICMP message. */
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;

/** An error on the error queue: struct sock_extended_err and what ip_recv_error gives with it. */
export interface ExtendedErr {
  readonly errno: ErrnoName;
  readonly origin: typeof SO_EE_ORIGIN_LOCAL | typeof SO_EE_ORIGIN_ICMP;
  readonly type: number;
  readonly code: number;
  readonly info: number;
  /** SO_EE_OFFENDER: the address of who sent the ICMP message; null for a local error. */
  readonly offender: number | null;
  /** The TTL of the ICMP message (IP_RECVTTL), -1 for a local error. */
  readonly ttl: number;
  /** Where the offending packet was going (recvmsg's msg_name). */
  readonly to: SockAddr;
  /** The offending packet's data, as far as the ICMP message quoted it. */
  readonly payload: Uint8Array;
}

export abstract class Sock {
  readonly wq = new WaitQueue();
  private readonly queue: Datagram[] = [];
  /** sk_error_queue. */
  private readonly errQueue: ExtendedErr[] = [];
  /** sk_rmem_alloc: what both queues hold, against SK_RCVBUF. */
  private queued = 0;
  /** Datagrams dropped for want of room (RcvbufErrors). */
  drops = 0;
  bound: SockAddr | null = null;
  peer: SockAddr | null = null;
  closed = false;
  /** IP_RECVTTL: recvmsg gives each datagram's TTL as an IP_TTL control message. */
  recvTtl = false;
  /** IP_RECVERR: ICMP and local errors are queued on the error queue, and every error sets sk_err. */
  recvErr = false;
  /** sk_err: what an ICMP error reported, for the next send or receive to return. */
  private err: ErrnoName | null = null;

  constructor(
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
  ) {}

  /** sock_queue_rcv_skb(): onto the queue and the readers woken; false (dropped, counted) past the buffer. */
  deliver(data: Uint8Array, from: SockAddr, ttl = -1): boolean {
    const cost = data.length + SKB_TRUESIZE;
    if (this.closed || this.queued + cost > SK_RCVBUF) {
      this.drops++;
      return false;
    }
    this.queue.push({ data, from, ttl });
    this.queued += cost;
    this.wq.wakeUp();
    return true;
  }

  /** The next datagram, or null when the queue is empty. */
  dequeue(): Datagram | null {
    const d = this.queue.shift();
    if (!d) return null;
    this.queued -= d.data.length + SKB_TRUESIZE;
    return d;
  }

  get readable(): boolean {
    return this.queue.length > 0;
  }

  /** A pending error or a queued one (poll's POLLERR). */
  get failed(): boolean {
    return this.err !== null || this.errQueue.length > 0;
  }

  /** sock_queue_err_skb(): onto the error queue and whoever waits woken; false (dropped) past the buffer. */
  queueErr(e: ExtendedErr): boolean {
    const cost = e.payload.length + SKB_TRUESIZE;
    if (this.closed || this.queued + cost >= SK_RCVBUF) return false;
    this.errQueue.push(e);
    this.queued += cost;
    this.wq.wakeUp();
    return true;
  }

  /** The oldest queued error, left on the queue; null when there is none. */
  peekErr(): ExtendedErr | null {
    return this.errQueue[0] ?? null;
  }

  /**
   * sock_dequeue_err_skb(): the oldest queued error off the queue. sk_err becomes the next ICMP error's
   * errno, or nothing once the ICMP errors are read, so that a reader learns there is more.
   */
  dequeueErr(): void {
    const e = this.errQueue.shift();
    if (!e) return;
    this.queued -= e.payload.length + SKB_TRUESIZE;
    const next = this.errQueue[0];
    if (next?.origin === SO_EE_ORIGIN_ICMP) this.err = next.errno;
    else if (e.origin === SO_EE_ORIGIN_ICMP) this.err = null;
    if (next) this.wq.wakeUp();
  }

  /** IP_RECVERR turned off: the queued errors go (skb_errqueue_purge); sk_err stays as it is. */
  purgeErrQueue(): void {
    for (const e of this.errQueue.splice(0)) this.queued -= e.payload.length + SKB_TRUESIZE;
  }

  /** getsockopt(SO_ERROR): the pending error, cleared; null for none. */
  takeErrno(): ErrnoName | null {
    const code = this.err;
    this.err = null;
    return code;
  }

  /** sk_error_report(): the error kept for the next send or receive, and whoever waits woken to see it. */
  reportError(code: ErrnoName): void {
    this.err = code;
    this.wq.wakeUp();
  }

  /** sock_error(): a pending error is thrown, and cleared, before a send or receive does anything else. */
  takeError(): void {
    const code = this.takeErrno();
    if (code === null) return;
    throw new KernelError(code, strerror(errno(code)));
  }

  /** bind(2) for this kind of socket. */
  abstract bind(addr: SockAddr): void;
  /** connect(2): the default destination. */
  abstract connect(addr: SockAddr): void;
  /** sendmsg(): to addr, or the connected peer; the bytes sent. */
  abstract send(data: Uint8Array, to: SockAddr | null): number;
  /** close(): let go of the port or identifier. */
  release(): void {
    this.closed = true;
    this.queue.length = 0;
    this.errQueue.length = 0;
    this.wq.wakeUp();
  }

  /** The destination of a send: the one given, else the peer (EDESTADDRREQ without either). */
  protected destination(to: SockAddr | null): SockAddr {
    const dst = to ?? this.peer;
    if (!dst) throw new KernelError("EDESTADDRREQ", "Destination address required");
    return dst;
  }
}

/**
 * inet_bind() for an AF_INET socket: EINVAL when bound already, EADDRNOTAVAIL for an address that is not
 * this host's, and whatever taking the port (or identifier) refuses: EADDRINUSE.
 */
export function inetBind(sock: Sock, addr: SockAddr, isLocal: (addr: number) => boolean, take: (port: number) => number): void {
  if (sock.bound) throw new KernelError("EINVAL", "socket is already bound");
  if (addr.addr !== 0 && !isLocal(addr.addr)) throw new KernelError("EADDRNOTAVAIL", "Cannot assign requested address");
  sock.bound = { addr: addr.addr, port: take(addr.port) };
}
