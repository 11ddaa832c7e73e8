// Network devices (net/core/dev.c): their names and indexes, up and down, the transmit queue in front of
// each driver, the receive backlog the stack drains in softirq context, and the transmit watchdog.
//
// A device's driver is either the kernel's own (lo) or a module, reached through NetDeviceOps; a module
// holding a device that is up is pinned, so rmmod refuses it until the device is down. Every queue is
// bounded: a device's transmit queue by its txqueuelen, the backlog by netdev_max_backlog; what does not
// fit is dropped and counted.

import { HZ } from "../../../abi/poll.js";
import {
  ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE, ARPHRD_SLIP, ETH_ALEN, ETH_DATA_LEN, ETH_HLEN, IFF_BROADCAST, IFF_LOOPBACK,
  IFF_LOWER_UP, IFF_MULTICAST, IFF_NOARP, IFF_POINTOPOINT, IFF_RUNNING, IFF_UP, IFNAMSIZ, NETDEV_TX_BUSY,
} from "../../../abi/netdevice.js";
import { KernelError } from "../../kernel/error.js";
import type { Clock, KernelTimer } from "../../kernel/time/timer.js";
import type { Module } from "../../module/internal.js";
import type { SkBuff } from "./skbuff.js";

/** netdev_max_backlog: frames netif_rx queues before the stack drains them. */
export const NETDEV_MAX_BACKLOG = 1000;
/** The transmit watchdog's default timeout (dev->watchdog_timeo when the driver leaves it 0): 5 s. */
export const WATCHDOG_TIMEO = 5 * HZ;

/** struct rtnl_link_stats64's counters, as /proc/net/dev and statistics/ show them. */
export const STAT_NAMES = [
  "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "multicast", "collisions",
  "rx_length_errors", "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors", "rx_missed_errors", "tx_aborted_errors",
  "tx_carrier_errors", "tx_fifo_errors", "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler",
] as const;
export type StatName = (typeof STAT_NAMES)[number];
export type NetStats = Record<StatName, number>;
/** The drops the core counts itself whoever keeps the driver's counters (dev->core_stats). */
export type CoreStats = Record<"rx_dropped" | "tx_dropped" | "rx_nohandler", number>;

/** A driver's operations: a module's net_device_ops, or the kernel's own for lo. Refusals are KernelErrors. */
export interface NetDeviceOps {
  open?(dev: NetDevice): void;
  stop?(dev: NetDevice): void;
  /** NETDEV_TX_OK (the driver owns skb now) or NETDEV_TX_BUSY (the core keeps it). */
  startXmit(skb: SkBuff, dev: NetDevice): number;
  txTimeout?(dev: NetDevice, txqueue: number): void;
  setMacAddress?(dev: NetDevice, addr: Uint8Array): void;
  /** ndo_get_stats: the driver's own counters, or null when it has none to give. */
  getStats?(dev: NetDevice): NetStats | null;
  /** ndo_do_ioctl: cmd on the kernel's copy of the caller's struct ifreq, which the driver may change; its result. */
  doIoctl?(dev: NetDevice, ifr: Uint8Array, cmd: number): number;
}

/** A received frame as the protocols see it: its bytes from the link header on, and where the network header starts. */
export interface RxPacket {
  readonly dev: NetDevice;
  readonly protocol: number;
  readonly frame: Uint8Array;
  readonly nh: number;
}

/** What ether_setup and its kin give each hardware type. */
const SETUPS: Readonly<Record<number, { mtu: number; flags: number; hardHeaderLen: number; addrLen: number; txqueuelen: number }>> = {
  [ARPHRD_ETHER]: { mtu: ETH_DATA_LEN, flags: IFF_BROADCAST | IFF_MULTICAST, hardHeaderLen: ETH_HLEN, addrLen: ETH_ALEN, txqueuelen: 1000 },
  [ARPHRD_LOOPBACK]: { mtu: 65536, flags: IFF_LOOPBACK, hardHeaderLen: ETH_HLEN, addrLen: ETH_ALEN, txqueuelen: 1000 },
  [ARPHRD_SLIP]: { mtu: 296, flags: IFF_POINTOPOINT | IFF_NOARP, hardHeaderLen: 0, addrLen: 0, txqueuelen: 10 },
  [ARPHRD_NONE]: { mtu: ETH_DATA_LEN, flags: IFF_NOARP, hardHeaderLen: 0, addrLen: 0, txqueuelen: 1000 },
};

export function validType(type: number): boolean {
  return SETUPS[type] !== undefined;
}

export class NetDevice {
  ifindex = 0;
  mtu: number;
  /** IFF_* as the user sets them (UP) and the setup gave them; RUNNING and LOWER_UP are derived. */
  flags: number;
  readonly hardHeaderLen: number;
  readonly addrLen: number;
  txqueuelen: number;
  readonly addr: Uint8Array;
  readonly broadcast: Uint8Array;
  ops: NetDeviceOps | undefined;
  /** netdev_priv(): the module's private area (0 for the kernel's devices). */
  priv = 0;
  registered = false;
  queueStopped = true;
  carrier = true;
  /** The driver has said something of its link (netif_carrier_on/off): operstate is up or down, not unknown. */
  carrierSignalled = false;
  /** dev->stats: what the core counted for a driver without ndo_get_stats, and what netdev_stats_add added. */
  readonly stats = Object.fromEntries(STAT_NAMES.map((n) => [n, 0])) as NetStats;
  readonly coreStats: CoreStats = { rx_dropped: 0, tx_dropped: 0, rx_nohandler: 0 };
  /** The qdisc: frames waiting for the driver while its queue is stopped, at most txqueuelen. */
  readonly txq: SkBuff[] = [];
  /** Jiffies when the queue was last stopped or a frame handed over (trans_start). */
  transStart = 0;
  watchdog: KernelTimer | null = null;

  constructor(
    public name: string,
    readonly type: number,
    readonly owner: Module | null,
  ) {
    const setup = SETUPS[type]!;
    this.mtu = setup.mtu;
    this.flags = setup.flags;
    this.hardHeaderLen = setup.hardHeaderLen;
    this.addrLen = setup.addrLen;
    this.txqueuelen = setup.txqueuelen;
    this.addr = new Uint8Array(setup.addrLen);
    this.broadcast = new Uint8Array(setup.addrLen).fill(type === ARPHRD_ETHER ? 0xff : 0);
  }

  get up(): boolean {
    return (this.flags & IFF_UP) !== 0;
  }

  /** The flags as SIOCGIFFLAGS reports them: RUNNING and LOWER_UP while up with a carrier. */
  get reportedFlags(): number {
    return this.up && this.carrier ? this.flags | IFF_RUNNING | IFF_LOWER_UP : this.flags;
  }

  /** RFC 2863 operstate as /sys/class/net/NAME/operstate says it. */
  get operstate(): "up" | "down" | "unknown" {
    if (!this.up || !this.carrier) return "down";
    return this.carrierSignalled ? "up" : "unknown";
  }

  /** Frames travel with an Ethernet header (ether and loopback devices). */
  get ethernet(): boolean {
    return this.type === ARPHRD_ETHER || this.type === ARPHRD_LOOPBACK;
  }
}

/**
 * dev_get_stats(): the driver's counters when it has ndo_get_stats (else dev->stats), plus the drops the core
 * counted itself, as /proc/net/dev, statistics/ and ip -s link show them.
 */
export function devGetStats(dev: NetDevice): NetStats {
  const stats = { ...(dev.ops?.getStats?.(dev) ?? dev.stats) };
  for (const [name, n] of Object.entries(dev.coreStats) as [keyof CoreStats, number][]) stats[name] += n;
  return stats;
}

export interface NetCoreContext {
  readonly clock: Clock;
  /** raise_softirq(NET_RX_SOFTIRQ): run fn once the kernel code running now returns. */
  raiseSoftirq(fn: () => void): void;
  log(level: number, message: string): void;
  /** Pin and unpin a device's module while the device is up. */
  getOwner(owner: Module): boolean;
  putOwner(owner: Module): void;
}

/** A protocol's receive function (dev_add_pack), and what goes when a device does (netdevice notifiers). */
export type PacketHandler = (pkt: RxPacket) => void;

export class NetDevices {
  private readonly devices: NetDevice[] = [];
  private nextIfindex = 1;
  private readonly backlog: RxPacket[] = [];
  private readonly handlers = new Map<number, PacketHandler>();
  /** AF_PACKET taps: see every frame in and out (ptype_all). */
  readonly taps = new Set<(pkt: RxPacket, outgoing: boolean) => void>();
  private readonly downHooks: ((dev: NetDevice) => void)[] = [];
  private readonly drain = () => this.netRxAction();

  constructor(private readonly ctx: NetCoreContext) {}

  list(): readonly NetDevice[] {
    return this.devices;
  }

  /** dev_get_by_name(). */
  byName(name: string): NetDevice | undefined {
    return this.devices.find((d) => d.name === name);
  }

  /** The device a command names: ENODEV as ip words it otherwise. */
  get(name: string): NetDevice {
    const dev = this.byName(name);
    if (!dev) throw new KernelError("ENODEV", `Cannot find device "${name}"`);
    return dev;
  }

  /** dev_add_pack(): the protocol's receive function for frames of that ETH_P_* type. */
  addPack(protocol: number, handler: PacketHandler): void {
    this.handlers.set(protocol, handler);
  }

  /** A device goes down or away: the protocols forget what they knew through it (NETDEV_DOWN). */
  onDown(hook: (dev: NetDevice) => void): void {
    this.downHooks.push(hook);
  }

  /** register_netdev(): EINVAL without ops or for a bad name, EEXIST for a taken one, ENFILE with no %d free. */
  register(dev: NetDevice): void {
    if (dev.registered) throw new KernelError("EINVAL", `${dev.name}: already registered`);
    if (!dev.ops) throw new KernelError("EINVAL", `${dev.name}: register_netdev without net_device_ops`);
    const name = this.resolveName(dev.name);
    dev.name = name;
    dev.ifindex = this.nextIfindex++;
    dev.registered = true;
    this.devices.push(dev);
  }

  /** dev_alloc_name(): the lowest free number for a %d; a plain name must be free and valid. */
  private resolveName(pattern: string): string {
    if (pattern === "" || pattern.length >= IFNAMSIZ || pattern === "." || pattern === ".." || /[/:\s]/.test(pattern)) {
      throw new KernelError("EINVAL", `'${pattern}': not a valid interface name`);
    }
    const at = pattern.indexOf("%");
    if (at < 0) {
      if (this.byName(pattern)) throw new KernelError("EEXIST", `${pattern}: an interface of that name exists`);
      return pattern;
    }
    if (!/^[^%]*%d[^%]*$/.test(pattern)) throw new KernelError("EINVAL", `'${pattern}': one %d only`);
    for (let i = 0; i < 32768; i++) {
      const name = pattern.replace("%d", String(i));
      if (name.length < IFNAMSIZ && !this.byName(name)) return name;
    }
    throw new KernelError("ENFILE", `${pattern}: no free interface number`);
  }

  /** unregister_netdev(): down first (ndo_stop), then gone. */
  unregister(dev: NetDevice): void {
    if (!dev.registered) return;
    if (dev.up) this.close(dev);
    this.devices.splice(this.devices.indexOf(dev), 1);
    dev.registered = false;
  }

  /** dev_open() (ip link set DEV up): ndo_open, the queue started, the watchdog armed, the module pinned. */
  open(dev: NetDevice): void {
    if (dev.up) return;
    if (dev.owner && !this.ctx.getOwner(dev.owner)) throw new KernelError("ENODEV", `${dev.name}: its driver is going away`);
    try {
      if (dev.ops?.open) dev.ops.open(dev);
      else dev.queueStopped = false;
    } catch (e) {
      if (dev.owner) this.ctx.putOwner(dev.owner);
      throw e;
    }
    dev.flags |= IFF_UP;
    this.armWatchdog(dev);
  }

  /** dev_close() (ip link set DEV down): the protocols forget it, ndo_stop, the queue purged, the module unpinned. */
  close(dev: NetDevice): void {
    if (!dev.up) return;
    for (const hook of this.downHooks) hook(dev);
    try {
      dev.ops?.stop?.(dev);
    } catch (e) {
      // A driver that faulted in ndo_stop (or is dead) still has its device taken down.
      if (!(e instanceof KernelError)) throw e;
    } finally {
      dev.flags &= ~IFF_UP;
      dev.queueStopped = true;
      for (const skb of dev.txq.splice(0)) skb.free();
      if (dev.watchdog) this.ctx.clock.cancel(dev.watchdog);
      dev.watchdog = null;
      if (dev.owner) this.ctx.putOwner(dev.owner);
    }
  }

  /**
   * dev_queue_xmit(): onto the device's queue (dropped and counted when it is full or the device is down),
   * then as much of the queue as the driver takes. ENETDOWN for a device that is down.
   */
  queueXmit(dev: NetDevice, skb: SkBuff): void {
    if (!dev.up) {
      dev.coreStats.tx_dropped++;
      throw new KernelError("ENETDOWN", `${dev.name}: Network is down`);
    }
    for (const tap of this.taps) tap({ dev, protocol: skb.protocol, frame: skb.copy(), nh: dev.ethernet ? ETH_HLEN : 0 }, true);
    if (dev.txq.length >= Math.max(dev.txqueuelen, 1)) {
      dev.coreStats.tx_dropped++;
      return;
    }
    dev.txq.push(skb);
    this.runQueue(dev);
  }

  /** qdisc_run(): hand waiting frames to the driver while its queue is started and it has a carrier. */
  runQueue(dev: NetDevice): void {
    while (dev.txq.length > 0 && dev.up && !dev.queueStopped && dev.carrier && dev.ops) {
      const skb = dev.txq[0]!;
      const len = skb.len;
      let ret: number;
      try {
        ret = dev.ops.startXmit(skb, dev);
      } catch (e) {
        // The driver faulted or had no memory for the frame: it is dropped, as a failed transmit is.
        if (!(e instanceof KernelError)) throw e;
        dev.txq.shift();
        dev.coreStats.tx_dropped++;
        continue;
      }
      if (ret === NETDEV_TX_BUSY) return;
      dev.txq.shift();
      dev.transStart = this.ctx.clock.jiffies;
      dev.stats.tx_packets++;
      dev.stats.tx_bytes += len;
    }
  }

  /** netif_stop_queue(). */
  stopQueue(dev: NetDevice): void {
    if (!dev.queueStopped) dev.transStart = this.ctx.clock.jiffies;
    dev.queueStopped = true;
  }

  /** netif_wake_queue(): started again, and what waited goes to the driver. */
  wakeQueue(dev: NetDevice): void {
    dev.queueStopped = false;
    this.ctx.raiseSoftirq(() => this.runQueue(dev));
  }

  /** netif_carrier_on/off(). */
  setCarrier(dev: NetDevice, on: boolean): void {
    dev.carrierSignalled = true;
    if (dev.carrier === on) return;
    dev.carrier = on;
    if (on) this.ctx.raiseSoftirq(() => this.runQueue(dev));
  }

  /**
   * netif_rx(): the frame copied out of the buffer (which is freed) onto the backlog, for the stack to
   * drain in softirq context. False (NET_RX_DROP, counted as the device's rx_dropped) when the backlog is
   * full or the device is down.
   */
  rx(skb: SkBuff, dev: NetDevice): boolean {
    const from = skb.mac >= 0 ? skb.mac : skb.data;
    const pkt: RxPacket = { dev, protocol: skb.protocol, frame: skb.copy(from), nh: skb.data - from };
    skb.free();
    if (!dev.up || this.backlog.length >= NETDEV_MAX_BACKLOG) {
      dev.coreStats.rx_dropped++;
      return false;
    }
    dev.stats.rx_packets++;
    dev.stats.rx_bytes += pkt.frame.length;
    this.backlog.push(pkt);
    this.ctx.raiseSoftirq(this.drain);
    return true;
  }

  /** net_rx_action(): every frame on the backlog to the taps and its protocol (__netif_receive_skb). */
  private netRxAction(): void {
    for (let pkt = this.backlog.shift(); pkt; pkt = this.backlog.shift()) {
      const dev = pkt.dev;
      for (const tap of this.taps) tap(pkt, false);
      const handler = this.handlers.get(pkt.protocol);
      if (handler && dev.up) handler(pkt);
      else dev.coreStats.rx_nohandler++;
    }
  }

  /** dev_watchdog(): a queue stopped past the timeout is reported and the driver's ndo_tx_timeout called. */
  private armWatchdog(dev: NetDevice): void {
    if (dev.type === ARPHRD_LOOPBACK) return;
    const timer = this.ctx.clock.setup(null, () => {
      if (dev.watchdog !== timer) return;
      const now = this.ctx.clock.jiffies;
      if (dev.queueStopped && dev.carrier && ((now - dev.transStart) | 0) >= WATCHDOG_TIMEO) {
        const driver = dev.owner?.name ?? "kernel";
        this.ctx.log(4, `NETDEV WATCHDOG: ${dev.name} (${driver}): transmit queue 0 timed out`);
        dev.transStart = now;
        dev.ops?.txTimeout?.(dev, 0);
      }
      this.ctx.clock.mod(timer, now + WATCHDOG_TIMEO);
    }, true);
    dev.watchdog = timer;
    this.ctx.clock.mod(timer, this.ctx.clock.jiffies + WATCHDOG_TIMEO);
  }

  /** A module's devices as it goes without unregistering them: unregistered now, a line each. */
  reclaim(owner: Module): string[] {
    const left = this.devices.filter((d) => d.owner === owner);
    for (const dev of left) this.unregister(dev);
    return left.map((d) => `net device ${d.name} still registered at unload; unregistered`);
  }
}
