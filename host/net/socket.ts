// The socket system calls (net/socket.c) with Linux's x86_64 numbers: socket, bind, connect, sendto,
// recvfrom, recvmsg (MSG_ERRQUEUE too), setsockopt and getsockopt (IP_RECVTTL, IP_RECVERR, SO_ERROR) and
// getsockname, and sockets as files (sockfs) that read, write, poll, close and take the ioctls a device's
// driver answers (dev_ioctl.ts).
//
// Families: AF_INET with SOCK_DGRAM (UDP, or ICMP datagram sockets with IPPROTO_ICMP, as
// net.ipv4.ping_group_range "0 2147483647" allows everyone) and AF_PACKET with SOCK_RAW. Addresses
// cross as Linux lays them out: sockaddr_in (16 bytes) and sockaddr_ll (20).

import { ERESTARTSYS, errno } from "../../abi/errno.js";
import { O_NONBLOCK, O_RDWR } from "../../abi/fcntl.js";
import { POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../abi/poll.js";
import { S_IFDIR, S_IFSOCK } from "../../abi/stat.js";
import type { SyscallName } from "../../abi/syscalls.js";
import { Dentry } from "../fs/dcache.js";
import { SuperBlock, type File, type FileOperations, type FileSystemType, type Timespec } from "../fs/fs.js";
import { Mount } from "../fs/namespace.js";
import type { Vfs } from "../fs/vfs.js";
import { KernelError } from "../kernel/error.js";
import { current, type Task } from "../kernel/sched.js";
import type { SyscallFn } from "../kernel/syscalls.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import type { NetDevices } from "./core/dev.js";
import { devIoctl } from "./core/dev_ioctl.js";
import { Sock, SO_EE_ORIGIN_ICMP, type Datagram, type SockAddr } from "./core/sock.js";
import { IPPROTO_ICMP, IPPROTO_UDP } from "./ipv4/ip.js";
import { extendedErrBytes, IP_RECVERR, IP_RECVTTL, IP_TTL, MSG_ERRQUEUE, SOL_IP } from "./ipv4/ip_sockglue.js";
import { PingSock, type Ping } from "./ipv4/ping.js";
import { UdpSock, type Udp } from "./ipv4/udp.js";
import { PacketSock } from "./packet/af_packet.js";

export const AF_INET = 2;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
const SOCK_TYPE_MASK = 0xf;
const SOCK_NONBLOCK = O_NONBLOCK;
const SOCK_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
const SOCKADDR_IN = 16;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
/** struct msghdr on wasm32 (pointers and size_t 32 bits): name, namelen, iov, iovlen, control, controllen, flags. */
const MSGHDR = 28;
/** struct cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type, then the data. */
const CMSGHDR = 12;
const MSG_CTRUNC = 0x8;
const MSG_TRUNC = 0x20;
const SOCKADDR_LL = 20;

/** The bytes of a struct sockaddr_in for an IPv4 address and port (host order), as a caller passes it. */
export function sockaddrIn(addr: number, port = 0): Uint8Array {
  const b = new Uint8Array(SOCKADDR_IN);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  v.setUint32(4, addr, false);
  return b;
}

const sockfs: FileSystemType = {
  name: "sockfs",
  requiresDev: false,
  owner: null,
  mount: () => {
    throw new KernelError("ENODEV", "sockfs: No such device");
  },
};

/** A 16-bit value in network order, as sin_port and sll_protocol hold it. */
const ntohs = (v: number) => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

/** A control message: its level, type and data. */
interface Cmsg {
  readonly level: number;
  readonly type: number;
  readonly data: Uint8Array;
}

/** What a receive hands over; done() takes it off its queue once it has been copied out. */
interface Message {
  readonly data: Uint8Array;
  readonly from: SockAddr;
  readonly cmsgs: readonly Cmsg[];
  readonly flags: number;
  done(): void;
}

/** IP_TTL with a packet's TTL, as ip_cmsg_recv_ttl puts it (an int). */
function ttlCmsg(ttl: number): Cmsg {
  return { level: SOL_IP, type: IP_TTL, data: new Uint8Array(new Int32Array([ttl]).buffer) };
}

/**
 * put_cmsg() for each: the header and data at the control buffer, each taking CMSG_SPACE (aligned to
 * 4 on wasm32); one that does not fit is cut to the room left, and one with no room for its header is
 * left out, either way with MSG_CTRUNC. The bytes used become msg_controllen.
 */
function putCmsgs(task: Task, control: number, controllen: number, cmsgs: readonly Cmsg[]): { used: number; truncated: boolean } {
  let used = 0;
  let truncated = false;
  for (const c of cmsgs) {
    const room = controllen - used;
    if (control === 0 || room < CMSGHDR) {
      truncated = true;
      continue;
    }
    const full = CMSGHDR + c.data.length;
    const len = Math.min(full, room);
    truncated ||= len < full;
    const b = new Uint8Array(len);
    b.set(new Uint8Array(new Uint32Array([len, c.level, c.type]).buffer).subarray(0, CMSGHDR));
    b.set(c.data.subarray(0, len - CMSGHDR), CMSGHDR);
    copyToUser(task.mm, control + used, b);
    used += Math.min((full + 3) & ~3, room);
  }
  return { used, truncated };
}

export interface SocketContext {
  readonly vfs: Vfs;
  readonly core: NetDevices;
  readonly udp: Udp;
  readonly ping: Ping;
  now(): Timespec;
}

export class Sockets {
  private readonly mnt: Mount;
  private readonly root: Dentry;
  private nextIno = 1;

  constructor(private readonly ctx: SocketContext) {
    const sb = new SuperBlock(sockfs, 0, ctx.now);
    this.root = new Dentry("/", null, sb.newInode(S_IFDIR | 0o755, {}, {}));
    this.mnt = new Mount(0, sb, this.root, null, null, "sockfs");
  }

  /** __sock_create(): EAFNOSUPPORT, ESOCKTNOSUPPORT or EPROTONOSUPPORT for what this kernel does not have. */
  create(family: number, type: number, protocol: number): Sock {
    if (family === AF_INET) {
      if (type !== SOCK_DGRAM) throw new KernelError("ESOCKTNOSUPPORT", "Socket type not supported");
      if (protocol === 0 || protocol === IPPROTO_UDP) return new UdpSock(this.ctx.udp, family, type);
      if (protocol === IPPROTO_ICMP) return new PingSock(this.ctx.ping, family, type);
      throw new KernelError("EPROTONOSUPPORT", "Protocol not supported");
    }
    if (family === AF_PACKET) {
      if (type !== SOCK_RAW) throw new KernelError("ESOCKTNOSUPPORT", "Socket type not supported");
      return new PacketSock(this.ctx.core, family, type, ntohs(protocol));
    }
    throw new KernelError("EAFNOSUPPORT", "Address family not supported by protocol");
  }

  /** sock_alloc_file(): the socket as an open file, socket:[INO] as /proc/PID/fd shows it. */
  private file(sock: Sock, nonblock: boolean): File {
    const name = `socket:[${this.nextIno++}]`;
    const inode = this.mnt.sb.newInode(S_IFSOCK | 0o777, {}, this.fileOps(sock, name));
    const file = this.ctx.vfs.openFile({ mnt: this.mnt, dentry: this.root.add(name, inode) }, O_RDWR | (nonblock ? O_NONBLOCK : 0));
    file.private = sock;
    return file;
  }

  private fileOps(sock: Sock, name: string): FileOperations {
    return {
      read: (file, ubuf, count) => this.recv(file, sock, ubuf, count, 0, null),
      write: (_file, ubuf, count) => this.send(sock, copyFromUser(current().mm, ubuf, count), null),
      ioctl: (_file, cmd, arg) => devIoctl(this.ctx.core, current().mm, cmd, arg),
      poll: (_file, pt) => {
        pt.wait(sock.wq);
        return (sock.readable ? POLLIN | POLLRDNORM : 0) | (sock.failed ? POLLERR : 0) | POLLOUT | POLLWRNORM;
      },
      release: () => {
        sock.release();
        this.root.drop(name);
      },
    };
  }

  /** The socket a descriptor refers to: EBADF, or ENOTSOCK for another kind of file. */
  private sockOf(task: Task, fd: number): { sock: Sock; file: File } {
    const file = task.files.get(fd);
    if (!(file.private instanceof Sock)) throw new KernelError("ENOTSOCK", "Socket operation on non-socket");
    return { sock: file.private, file };
  }

  /** A sockaddr from the caller: EINVAL when too short, EAFNOSUPPORT for another family. */
  private readAddr(task: Task, sock: Sock, ptr: number, len: number): SockAddr {
    const want = sock.family === AF_PACKET ? SOCKADDR_LL : SOCKADDR_IN;
    if (len < want) throw new KernelError("EINVAL", "Invalid argument");
    const b = copyFromUser(task.mm, ptr, want);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (v.getUint16(0, true) !== sock.family) throw new KernelError("EAFNOSUPPORT", "Address family not supported by protocol");
    if (sock.family === AF_PACKET) return { addr: 0, port: 0, protocol: ntohs(v.getUint16(2, true)), ifindex: v.getInt32(4, true) };
    return { addr: v.getUint32(4, false), port: v.getUint16(2, false) };
  }

  private writeAddr(task: Task, sock: Sock, addr: SockAddr, ptr: number, lenPtr: number): void {
    if (ptr === 0) return;
    const size = sock.family === AF_PACKET ? SOCKADDR_LL : SOCKADDR_IN;
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    v.setUint16(0, sock.family, true);
    if (sock.family === AF_PACKET) {
      v.setUint16(2, ntohs(addr.protocol ?? 0), true);
      v.setInt32(4, addr.ifindex ?? 0, true);
    } else {
      v.setUint16(2, addr.port, false);
      v.setUint32(4, addr.addr, false);
    }
    const room = lenPtr ? new DataView(copyFromUser(task.mm, lenPtr, 4).buffer).getUint32(0, true) : size;
    copyToUser(task.mm, ptr, b.subarray(0, Math.min(room, size)));
    if (lenPtr) copyToUser(task.mm, lenPtr, new Uint8Array(new Uint32Array([size]).buffer));
  }

  /** sendmsg(): a pending error (sock_error) first, then the protocol's send. */
  private send(sock: Sock, data: Uint8Array, to: SockAddr | null): number {
    sock.takeError();
    return sock.send(data, to);
  }

  /**
   * The next datagram; 0 (end of file) on a closed socket, EAGAIN or a wait (-ERESTARTSYS) when there is
   * none. A pending error comes before any datagram, as __skb_recv_udp() has it.
   */
  private next(file: File, sock: Sock, flags: number): Datagram | number {
    const task = current();
    sock.takeError();
    const d = sock.dequeue();
    if (d) {
      task.restart = null;
      return d;
    }
    if (sock.closed) return 0;
    if (file.flags & O_NONBLOCK || flags & MSG_DONTWAIT) throw new KernelError("EAGAIN", "Resource temporarily unavailable");
    sock.wq.add(task);
    return -ERESTARTSYS;
  }

  /**
   * What a receive gives: the next datagram with an IP_TTL control message when IP_RECVTTL is on, or with
   * MSG_ERRQUEUE the oldest queued error (ip_recv_error: EAGAIN when there is none, never a wait), which
   * leaves the queue only once it has been copied out.
   */
  private message(file: File, sock: Sock, flags: number): Message | number {
    if (flags & MSG_ERRQUEUE) {
      const e = sock.peekErr();
      if (!e) throw new KernelError("EAGAIN", "Resource temporarily unavailable");
      const cmsgs: Cmsg[] = [];
      if (e.origin === SO_EE_ORIGIN_ICMP && sock.recvTtl) cmsgs.push(ttlCmsg(e.ttl));
      // A local error names no offender: its sockaddr is all zeros (AF_UNSPEC).
      cmsgs.push({ level: SOL_IP, type: IP_RECVERR, data: extendedErrBytes(e, e.offender === null ? new Uint8Array(SOCKADDR_IN) : sockaddrIn(e.offender)) });
      return { data: e.payload, from: e.to, cmsgs, flags: MSG_ERRQUEUE, done: () => sock.dequeueErr() };
    }
    const d = this.next(file, sock, flags);
    if (typeof d === "number") return d;
    return { data: d.data, from: d.from, cmsgs: sock.recvTtl && d.ttl >= 0 ? [ttlCmsg(d.ttl)] : [], flags: 0, done: () => {} };
  }

  /** recvfrom(): the next message's data, cut to len, and its address. */
  private recv(file: File, sock: Sock, ubuf: number, len: number, flags: number, from: { ptr: number; lenPtr: number } | null): number {
    const msg = this.message(file, sock, flags);
    if (typeof msg === "number") return msg;
    const task = current();
    const n = Math.min(len, msg.data.length);
    copyToUser(task.mm, ubuf, msg.data.subarray(0, n));
    if (from) this.writeAddr(task, sock, msg.from, from.ptr, from.lenPtr);
    msg.done();
    return n;
  }

  /** recvmsg(): the message into the iovecs, its address, its control messages and flags. */
  private recvmsg(file: File, sock: Sock, msgPtr: number, flags: number): number {
    const task = current();
    const m = new DataView(copyFromUser(task.mm, msgPtr, MSGHDR).buffer);
    const [name, , iov, iovlen, control, controllen] = [0, 4, 8, 12, 16, 20].map((o) => m.getUint32(o, true)) as [number, number, number, number, number, number];
    const msg = this.message(file, sock, flags);
    if (typeof msg === "number") return msg;
    let copied = 0;
    const iovs = new DataView(copyFromUser(task.mm, iov, iovlen * 8).buffer);
    for (let i = 0; i < iovlen && copied < msg.data.length; i++) {
      const n = Math.min(iovs.getUint32(i * 8 + 4, true), msg.data.length - copied);
      copyToUser(task.mm, iovs.getUint32(i * 8, true), msg.data.subarray(copied, copied + n));
      copied += n;
    }
    this.writeAddr(task, sock, msg.from, name, name ? msgPtr + 4 : 0);
    const put = putCmsgs(task, control, controllen, msg.cmsgs);
    const msgFlags = msg.flags | (copied < msg.data.length ? MSG_TRUNC : 0) | (put.truncated ? MSG_CTRUNC : 0);
    copyToUser(task.mm, msgPtr + 20, new Uint8Array(new Uint32Array([put.used, msgFlags]).buffer));
    msg.done();
    return copied;
  }

  /** setsockopt(): SOL_IP IP_RECVTTL and IP_RECVERR (turning it off empties the error queue); anything else ENOPROTOOPT. */
  private setsockopt(task: Task, sock: Sock, level: number, name: number, val: number, len: number): number {
    if (level !== SOL_IP || (name !== IP_RECVTTL && name !== IP_RECVERR) || sock.family !== AF_INET) throw new KernelError("ENOPROTOOPT", "Protocol not available");
    if (len < 4) throw new KernelError("EINVAL", "Invalid argument");
    const on = new DataView(copyFromUser(task.mm, val, 4).buffer).getInt32(0, true) !== 0;
    if (name === IP_RECVTTL) sock.recvTtl = on;
    else {
      sock.recvErr = on;
      if (!on) sock.purgeErrQueue();
    }
    return 0;
  }

  /**
   * getsockopt(): SOL_SOCKET SO_ERROR (the pending error, which it clears) and SOL_IP IP_RECVTTL and
   * IP_RECVERR, as an int cut to *optlen; EINVAL for a negative optlen, ENOPROTOOPT for anything else.
   */
  private getsockopt(task: Task, sock: Sock, level: number, name: number, val: number, lenPtr: number): number {
    const known = (level === SOL_SOCKET && name === SO_ERROR) || (level === SOL_IP && sock.family === AF_INET && (name === IP_RECVTTL || name === IP_RECVERR));
    if (!known) throw new KernelError("ENOPROTOOPT", "Protocol not available");
    const len = new DataView(copyFromUser(task.mm, lenPtr, 4).buffer).getInt32(0, true);
    if (len < 0) throw new KernelError("EINVAL", "Invalid argument");
    const n = Math.min(len, 4);
    if (n > 0) task.mm.check(val, n);
    let value: number;
    if (level === SOL_SOCKET) {
      const code = sock.takeErrno();
      value = code === null ? 0 : errno(code);
    } else value = Number(name === IP_RECVTTL ? sock.recvTtl : sock.recvErr);
    copyToUser(task.mm, val, new Uint8Array(new Int32Array([value]).buffer).subarray(0, n));
    copyToUser(task.mm, lenPtr, new Uint8Array(new Int32Array([n]).buffer));
    return 0;
  }

  /** The system calls, by name, for the table. */
  syscalls(): Partial<Record<SyscallName, SyscallFn>> {
    const u = (n: number) => n >>> 0;
    return {
      socket: (t, a) => {
        const sock = this.create(a[0] | 0, a[1] & SOCK_TYPE_MASK, a[2] | 0);
        return t.files.install(this.file(sock, (a[1] & SOCK_NONBLOCK) !== 0), (a[1] & SOCK_CLOEXEC) !== 0);
      },
      bind: (t, a) => {
        const { sock } = this.sockOf(t, a[0] | 0);
        sock.bind(this.readAddr(t, sock, u(a[1]), u(a[2])));
        return 0;
      },
      connect: (t, a) => {
        const { sock } = this.sockOf(t, a[0] | 0);
        sock.connect(this.readAddr(t, sock, u(a[1]), u(a[2])));
        return 0;
      },
      sendto: (t, a) => {
        const { sock } = this.sockOf(t, a[0] | 0);
        const to = u(a[4]) === 0 ? null : this.readAddr(t, sock, u(a[4]), u(a[5]));
        return this.send(sock, copyFromUser(t.mm, u(a[1]), u(a[2])), to);
      },
      recvfrom: (t, a) => {
        const { sock, file } = this.sockOf(t, a[0] | 0);
        return this.recv(file, sock, u(a[1]), u(a[2]), a[3] | 0, { ptr: u(a[4]), lenPtr: u(a[5]) });
      },
      recvmsg: (t, a) => {
        const { sock, file } = this.sockOf(t, a[0] | 0);
        return this.recvmsg(file, sock, u(a[1]), a[2] | 0);
      },
      setsockopt: (t, a) => this.setsockopt(t, this.sockOf(t, a[0] | 0).sock, a[1] | 0, a[2] | 0, u(a[3]), u(a[4])),
      getsockopt: (t, a) => this.getsockopt(t, this.sockOf(t, a[0] | 0).sock, a[1] | 0, a[2] | 0, u(a[3]), u(a[4])),
      getsockname: (t, a) => {
        const { sock } = this.sockOf(t, a[0] | 0);
        this.writeAddr(t, sock, sock.bound ?? { addr: 0, port: 0 }, u(a[1]), u(a[2]));
        return 0;
      },
    };
  }
}
