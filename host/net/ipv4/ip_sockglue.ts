// The IP socket options' error queue (net/ipv4/ip_sockglue.c): with IP_RECVERR, ICMP errors
// (ip_icmp_error) and errors this host finds on the way out (ip_local_error) are queued on the socket,
// and recvmsg(MSG_ERRQUEUE) gives each back with a struct sock_extended_err (ip_recv_error).
//
//   IP_RECVERR control message (32 bytes):
//   ┌──────────┬────────┬──────┬──────┬─────┬─────────┬─────────┬──────────────────────────────┐
//   │ ee_errno │ origin │ type │ code │ pad │ ee_info │ ee_data │ SO_EE_OFFENDER: sockaddr_in  │
//   │ u32      │ u8     │ u8   │ u8   │ u8  │ u32     │ u32     │ (16, AF_UNSPEC when local)   │
//   └──────────┴────────┴──────┴──────┴─────┴─────────┴─────────┴──────────────────────────────┘

import { errno, type ErrnoName } from "../../../abi/errno.js";
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL, type ExtendedErr, type Sock } from "../core/sock.js";
import type { IcmpError } from "./icmp.js";

export const SOL_IP = 0;
export const IP_TTL = 2;
export const IP_RECVERR = 11;
export const IP_RECVTTL = 12;
export const MSG_ERRQUEUE = 0x2000;
/** struct sock_extended_err. */
const SOCK_EXTENDED_ERR = 16;

/** ip_icmp_error(): an ICMP error queued for a socket with IP_RECVERR; payload is what follows its transport header. */
export function ipIcmpError(sock: Sock, e: IcmpError, code: ErrnoName, port: number, payload: Uint8Array): void {
  if (!sock.recvErr) return;
  sock.queueErr({
    errno: code, origin: SO_EE_ORIGIN_ICMP, type: e.type, code: e.code, info: e.info, offender: e.offender, ttl: e.ttl,
    to: { addr: e.dst, port }, payload: payload.slice(),
  });
}

/** ip_local_error(): an error this host found sending to dst, queued for a socket with IP_RECVERR, with no data. */
export function ipLocalError(sock: Sock, code: ErrnoName, dst: number, port: number, info: number): void {
  if (!sock.recvErr) return;
  sock.queueErr({ errno: code, origin: SO_EE_ORIGIN_LOCAL, type: 0, code: 0, info, offender: null, ttl: -1, to: { addr: dst, port }, payload: new Uint8Array(0) });
}

/** The IP_RECVERR control message's data: the sock_extended_err, then offender (the sockaddr_in SO_EE_OFFENDER points at). */
export function extendedErrBytes(e: ExtendedErr, offender: Uint8Array): Uint8Array {
  const b = new Uint8Array(SOCK_EXTENDED_ERR + offender.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, errno(e.errno), true);
  b.set([e.origin, e.type, e.code, 0], 4);
  v.setUint32(8, e.info, true);
  b.set(offender, SOCK_EXTENDED_ERR);
  return b;
}

