// AF_PACKET sockets (net/packet/af_packet.c), SOCK_RAW: whole frames, link header included, as they
// arrive at or leave a device, for testing a driver below IP; a frame sent goes straight to the device's
// queue. Bound to an interface index and a protocol (ETH_P_ALL for every frame).

import { ETH_P_ALL } from "../../../abi/netdevice.js";
import { KernelError } from "../../kernel/error.js";
import type { NetDevices, RxPacket } from "../core/dev.js";
import { hostSkb } from "../core/skbuff.js";
import { Sock, type SockAddr } from "../core/sock.js";

export class PacketSock extends Sock {
  private readonly tap = (pkt: RxPacket, outgoing: boolean) => this.rcv(pkt, outgoing);

  constructor(
    private readonly core: NetDevices,
    family: number,
    type: number,
    protocol: number,
  ) {
    super(family, type, protocol);
    this.bound = { addr: 0, port: 0, ifindex: 0, protocol };
    if (protocol !== 0) core.taps.add(this.tap);
  }

  /** packet_rcv(): a frame of the bound protocol on the bound interface; the sender's own frames too (PACKET_OUTGOING). */
  private rcv(pkt: RxPacket, _outgoing: boolean): void {
    const b = this.bound!;
    if (b.ifindex && b.ifindex !== pkt.dev.ifindex) return;
    if (b.protocol !== ETH_P_ALL && b.protocol !== pkt.protocol) return;
    this.deliver(pkt.frame.slice(), { addr: 0, port: 0, ifindex: pkt.dev.ifindex, protocol: pkt.protocol });
  }

  /** packet_bind(): ENODEV for an interface index that is not there. */
  bind(addr: SockAddr): void {
    if (addr.ifindex && !this.core.list().some((d) => d.ifindex === addr.ifindex)) throw new KernelError("ENODEV", "No such device");
    this.bound = { addr: 0, port: 0, ifindex: addr.ifindex ?? 0, protocol: addr.protocol || this.protocol };
    this.core.taps.delete(this.tap);
    if (this.bound.protocol !== 0) this.core.taps.add(this.tap);
  }

  connect(): void {
    throw new KernelError("EOPNOTSUPP", "Operation not supported");
  }

  /** packet_sendmsg(): the frame out of the interface given or bound; ENXIO without one, EMSGSIZE past its MTU. */
  send(data: Uint8Array, to: SockAddr | null): number {
    const ifindex = to?.ifindex || this.bound!.ifindex;
    const dev = this.core.list().find((d) => d.ifindex === ifindex);
    if (!ifindex) throw new KernelError("ENXIO", "No such device or address");
    if (!dev) throw new KernelError("ENODEV", "No such device");
    if (data.length > dev.mtu + dev.hardHeaderLen) throw new KernelError("EMSGSIZE", "Message too long");
    const skb = hostSkb(data.length);
    skb.space.bytes(skb.put(data.length)!, data.length).set(data);
    skb.protocol = to?.protocol || this.bound!.protocol || 0;
    this.core.queueXmit(dev, skb);
    return data.length;
  }

  override release(): void {
    this.core.taps.delete(this.tap);
    super.release();
  }
}
