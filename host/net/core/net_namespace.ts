// The network stack of one kernel (struct net, net/core/net_namespace.c): its devices, lo, the IPv4
// protocols wired to each other, the sockets, and their files under /proc/net and /sys/class/net.
//
// Packets move between the pieces in the order Linux's do: a driver's netif_rx onto the backlog, drained
// in softirq context to ARP or IP; IP to ICMP, UDP and the ping sockets; out again through the routing
// table, ARP and the device's queue to its driver.

import { ETH_P_ARP, ETH_P_IP } from "../../../abi/netdevice.js";
import { loopbackDevice } from "../../drivers/net/loopback.js";
import type { Kernfs } from "../../fs/kernfs.js";
import type { Timespec } from "../../fs/fs.js";
import type { Vfs } from "../../fs/vfs.js";
import { KernelError } from "../../kernel/error.js";
import type { Clock } from "../../kernel/time/timer.js";
import type { Guard } from "../../module/fnptr.js";
import type { Module } from "../../module/internal.js";
import { ethFrame, isValidEtherAddr } from "../ethernet/eth.js";
import { Arp } from "../ipv4/arp.js";
import { Devinet } from "../ipv4/devinet.js";
import { ICMP_HOST_UNREACH, Icmp } from "../ipv4/icmp.js";
import { IP_MIB, IPPROTO_ICMP, IPPROTO_UDP, Ip } from "../ipv4/ip.js";
import { get32, parseIp } from "../ipv4/inet.js";
import { Ping } from "../ipv4/ping.js";
import { Fib } from "../ipv4/route.js";
import { Udp } from "../ipv4/udp.js";
import { Sockets } from "../socket.js";
import { NetDevices, type NetDevice } from "./dev.js";
import { ModuleNetdevs } from "./module_ops.js";
import { addSysfs, procNetDev } from "./net-procfs.js";
import { hostSkb } from "./skbuff.js";

export interface NetContext {
  readonly kernfs: Kernfs;
  readonly clock: Clock;
  readonly vfs: Vfs;
  raiseSoftirq(fn: () => void): void;
  log(level: number, message: string): void;
  getOwner(owner: Module): boolean;
  putOwner(owner: Module): void;
  readonly guard: Guard;
  now(): Timespec;
}

/** The largest MTU ip link set accepts for an Ethernet device (ETH_MAX_MTU is 65535; ether_setup's max_mtu 1500). */
const MIN_MTU = 68;

export class Net {
  readonly core: NetDevices;
  readonly modules: ModuleNetdevs;
  readonly lo: NetDevice;
  readonly devinet = new Devinet();
  readonly fib: Fib;
  readonly arp: Arp;
  readonly ip: Ip;
  readonly icmp: Icmp;
  readonly ping: Ping;
  readonly udp: Udp;
  readonly sockets: Sockets;
  private readonly sysfs = new Map<NetDevice, string>();

  constructor(private readonly ctx: NetContext) {
    this.core = new NetDevices(ctx);
    this.fib = new Fib(this.devinet, () => this.lo);
    this.arp = new Arp({
      clock: ctx.clock, devinet: this.devinet, xmit: (dev, dst, proto, payload) => this.xmit(dev, dst, proto, payload),
      // Our own packet: the error comes back to us through lo, from the address routing picks.
      errorReport: (packet) => this.icmp.unreachable({ src: get32(packet, 12), dst: get32(packet, 16), raw: packet, dev: this.lo }, ICMP_HOST_UNREACH, null),
    });
    this.ip = new Ip({ devinet: this.devinet, fib: this.fib, arp: this.arp });
    this.icmp = new Icmp(this.ip, (hdr, msg) => this.ping.rcv(hdr, msg), ctx.clock);
    this.ping = new Ping(this.icmp, this.devinet, this.ip);
    this.udp = new Udp(this.ip, this.devinet, this.icmp);
    this.ip.addProtocol(IPPROTO_ICMP, (hdr, msg) => this.icmp.rcv(hdr, msg));
    this.ip.addProtocol(IPPROTO_UDP, (hdr, seg) => this.udp.rcv(hdr, seg));
    this.icmp.errHandlers.set(IPPROTO_UDP, (err) => this.udp.err(err));
    this.icmp.errHandlers.set(IPPROTO_ICMP, (err) => this.ping.err(err));
    this.core.addPack(ETH_P_IP, (pkt) => this.ip.rcv(pkt));
    this.core.addPack(ETH_P_ARP, (pkt) => this.arp.rcv(pkt));
    this.core.onDown((dev) => {
      this.fib.flush(dev);
      this.arp.flush(dev);
    });
    this.sockets = new Sockets({ vfs: ctx.vfs, core: this.core, udp: this.udp, ping: this.ping, now: ctx.now });
    this.modules = new ModuleNetdevs({
      core: this.core, guard: ctx.guard, log: ctx.log,
      registered: (dev) => this.registered(dev),
      unregistered: (dev) => this.unregistered(dev),
    });
    ctx.kernfs.addDir("/sys/class/net");
    ctx.kernfs.add("/proc/net/dev", { mode: 0o444, show: () => procNetDev(this.core.list()) });
    ctx.kernfs.add("/proc/net/arp", { mode: 0o444, show: () => this.arp.show() });
    ctx.kernfs.add("/proc/net/snmp", { mode: 0o444, show: () => this.snmp() });
    this.lo = loopbackDevice(this.core);
    this.registered(this.lo);
    this.core.open(this.lo);
    this.devinet.add(this.lo, parseIp("127.0.0.1")!, 8);
  }

  /** The stack's own frames out of dev: the link header for its type, then its queue. */
  private xmit(dev: NetDevice, dst: Uint8Array, protocol: number, payload: Uint8Array): void {
    const frame = dev.ethernet ? ethFrame(dst, dev.addr, protocol, payload) : payload;
    const skb = hostSkb(frame.length);
    skb.space.bytes(skb.put(frame.length)!, frame.length).set(frame);
    skb.protocol = protocol;
    this.core.queueXmit(dev, skb);
  }

  private registered(dev: NetDevice): void {
    this.sysfs.set(dev, addSysfs(this.ctx.kernfs, dev, (d, mtu) => this.setMtu(d, mtu)));
  }

  private unregistered(dev: NetDevice): void {
    this.devinet.forget(dev);
    this.fib.flush(dev);
    this.arp.flush(dev);
    const dir = this.sysfs.get(dev);
    if (dir) this.ctx.kernfs.removeTree(dir);
    this.sysfs.delete(dev);
  }

  /** dev_set_mtu(): EINVAL outside [68, the type's maximum], as ip's extack words it. */
  setMtu(dev: NetDevice, mtu: number): void {
    const max = dev.ethernet && dev.name !== "lo" ? 1500 : 65535;
    if (mtu < MIN_MTU) throw new KernelError("EINVAL", "Error: mtu less than device minimum.");
    if (mtu > max) throw new KernelError("EINVAL", "Error: mtu greater than device maximum.");
    dev.mtu = mtu;
  }

  /** dev_set_mac_address(): the driver's ndo_set_mac_address, or, without one, only while the device is down. */
  setMac(dev: NetDevice, mac: Uint8Array): void {
    if (!dev.ethernet || dev.name === "lo") throw new KernelError("EOPNOTSUPP", "RTNETLINK answers: Operation not supported");
    if (!isValidEtherAddr(mac)) throw new KernelError("EADDRNOTAVAIL", "RTNETLINK answers: Cannot assign requested address");
    if (dev.ops?.setMacAddress) return dev.ops.setMacAddress(dev, mac);
    if (dev.up) throw new KernelError("EBUSY", "RTNETLINK answers: Device or resource busy");
    dev.addr.set(mac);
  }

  /** A module's devices as it goes (rmmod reclaims them), with their sysfs and addresses. */
  reclaim(mod: Module): string[] {
    const gone = this.core.list().filter((d) => d.owner === mod);
    const lines = this.core.reclaim(mod);
    for (const dev of gone) this.unregistered(dev);
    this.modules.forget(mod);
    return lines;
  }

  /** /proc/net/snmp: the Ip, Icmp and Udp lines. */
  private snmp(): string {
    const ip = `Ip: ${IP_MIB.join(" ")}\nIp: ${IP_MIB.map((n) => this.ip.mib[n]).join(" ")}\n`;
    return ip + this.icmp.snmp() + this.udp.snmp();
  }
}

