// Network drivers written as modules: their net devices and socket buffers (by handle), and the
// net_device_ops struct in their memory, each function pointer called through the Oops gate.
//
// A module reaches only the devices it allocated and the buffers in its own memory; another's handle is
// to it what a bad handle is (EINVAL, or 0 where the symbol returns an address).

import { randomBytes } from "node:crypto";
import { ARPHRD_ETHER, ETH_ALEN, ETH_HLEN, IFREQ_SIZE, NETDEV_TX_BUSY, NET_RX_DROP, NET_RX_SUCCESS } from "../../../abi/netdevice.js";
import { STRUCTS } from "../../../abi/kernel.js";
import { layoutStruct } from "../../../abi/types.js";
import { GFP } from "../../../abi/gfp.js";
import { strerror } from "../../../abi/errno.js";
import { discardRefusal, KernelError, refusal } from "../../kernel/error.js";
import { Idr } from "../../lib/idr.js";
import { moduleFunction, type Guard, type ModuleFn } from "../../module/fnptr.js";
import type { Module } from "../../module/internal.js";
import type { KernelFunctions } from "../../module/ksyms.js";
import { NetDevice, validType, STAT_NAMES, type NetDeviceOps, type NetDevices, type NetStats, type StatName } from "./dev.js";
import { moduleSkb, NET_SKB_PAD, type SkBuff } from "./skbuff.js";

const NDO = layoutStruct("net_device_ops", STRUCTS.net_device_ops);
const NET_DEVICE_STATS = layoutStruct("net_device_stats", STRUCTS.net_device_stats);

/** NETDEV_STAT_* (abi/netdevice.ts) in order: the counters netdev_stats_add reaches. */
const DRIVER_STATS: readonly StatName[] = [
  "rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
  "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors", "collisions", "multicast", "rx_missed_errors",
];

type NetSymbols = Pick<
  KernelFunctions,
  | "alloc_netdev" | "alloc_etherdev" | "free_netdev" | "netdev_priv" | "netdev_set_ops" | "eth_hw_addr_set" | "eth_hw_addr_random" | "register_netdev"
  | "unregister_netdev" | "netif_start_queue" | "netif_stop_queue" | "netif_wake_queue" | "netif_queue_stopped" | "netif_carrier_on"
  | "netif_carrier_off" | "netif_carrier_ok" | "netdev_stats_add" | "alloc_skb" | "dev_alloc_skb" | "skb_put" | "skb_push" | "skb_pull"
  | "skb_reserve" | "skb_data" | "skb_len" | "skb_set_protocol" | "eth_type_trans" | "kfree_skb" | "dev_kfree_skb" | "netif_rx"
>;

/** -errno from module code becomes a KernelError; anything else is the result. */
function check(ret: number, what: string): number {
  if (ret < 0) throw new KernelError(-ret, `${what}: ${strerror(-ret)}`);
  return ret;
}

export interface ModuleNetContext {
  readonly core: NetDevices;
  readonly guard: Guard;
  /** register_netdev's and unregister_netdev's other half: sysfs, and the stack's notifiers. */
  registered(dev: NetDevice): void;
  unregistered(dev: NetDevice): void;
  log(level: number, message: string): void;
}

export class ModuleNetdevs {
  readonly devs = new Idr<NetDevice>();
  readonly skbs = new Idr<SkBuff>();

  constructor(private readonly ctx: ModuleNetContext) {}

  /** The net_device_ops in the module's memory as the core calls them; EINVAL without ndo_start_xmit. */
  private ops(mod: Module, ptr: number): NetDeviceOps {
    const o = mod.memory.readStruct(ptr, NDO);
    const fn = (field: string): ModuleFn | undefined =>
      o[field] === 0 ? undefined : this.ctx.guard(mod, moduleFunction<ModuleFn>(mod, o[field]!, `net_device_ops.${field}`));
    const [open, stop, xmit, timeout, setMac, getStats, doIoctl] = [
      "ndo_open", "ndo_stop", "ndo_start_xmit", "ndo_tx_timeout", "ndo_set_mac_address", "ndo_get_stats", "ndo_do_ioctl",
    ].map(fn);
    if (!xmit) throw new KernelError("EINVAL", `${mod.name}: net_device_ops without ndo_start_xmit`);
    const h = (dev: NetDevice) => this.devs.handle(dev);
    return {
      startXmit: (skb, dev) => {
        const copy = this.intoModule(mod, skb);
        const ret = xmit(this.skbs.handle(copy), h(dev));
        // Busy: the core keeps its own buffer to offer again; the driver's copy goes.
        if (ret === NETDEV_TX_BUSY) {
          copy.free();
          this.skbs.remove(copy);
        }
        return ret;
      },
      ...(open && { open: (dev: NetDevice) => void check(open(h(dev)), `${dev.name}: ndo_open`) }),
      ...(stop && { stop: (dev: NetDevice) => void stop(h(dev)) }),
      ...(timeout && { txTimeout: (dev: NetDevice, q: number) => void timeout(h(dev), q) }),
      ...(setMac && {
        setMacAddress: (dev: NetDevice, addr: Uint8Array) => {
          const buf = mod.slab.kmalloc(ETH_ALEN, GFP.GFP_KERNEL);
          if (buf === 0) throw new KernelError("ENOMEM", `${dev.name}: no memory for the address`);
          try {
            mod.memory.bytes(buf, ETH_ALEN).set(addr);
            check(setMac(h(dev), buf), `${dev.name}: ndo_set_mac_address`);
          } finally {
            mod.slab.kfree(buf);
          }
        },
      }),
      ...(getStats && { getStats: (dev: NetDevice) => this.driverStats(mod, () => getStats(h(dev))) }),
      ...(doIoctl && {
        doIoctl: (dev: NetDevice, ifr: Uint8Array, cmd: number) => {
          const buf = mod.slab.kmalloc(IFREQ_SIZE, GFP.GFP_KERNEL);
          if (buf === 0) throw new KernelError("ENOMEM", `${dev.name}: no memory for the ifreq`);
          try {
            mod.memory.bytes(buf, IFREQ_SIZE).set(ifr);
            const ret = check(doIoctl(h(dev), buf, cmd), `${dev.name}: ndo_do_ioctl`);
            ifr.set(mod.memory.bytes(buf, IFREQ_SIZE));
            return ret;
          } finally {
            mod.slab.kfree(buf);
          }
        },
      }),
    };
  }

  /**
   * The struct net_device_stats ndo_get_stats points at, read as dev_get_stats reads it; null (the core's
   * counters then) for a NULL answer, an address outside the module's memory, or a driver that faulted.
   */
  private driverStats(mod: Module, call: () => number): NetStats | null {
    try {
      const ptr = call() >>> 0;
      if (ptr === 0) return null;
      const s = mod.memory.readStruct(ptr, NET_DEVICE_STATS);
      return Object.fromEntries(STAT_NAMES.map((n) => [n, s[n] ?? 0])) as NetStats;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return null;
    }
  }

  /** The frame to send, copied into the driver's memory (the driver frees it with dev_kfree_skb). */
  private intoModule(mod: Module, skb: SkBuff): SkBuff {
    const data = skb.copy();
    const copy = moduleSkb(mod, data.length, GFP.GFP_ATOMIC);
    if (!copy) throw new KernelError("ENOMEM", `${mod.name}: no memory for a frame of ${data.length} bytes`);
    copy.space.bytes(copy.put(data.length)!, data.length).set(data);
    copy.protocol = skb.protocol;
    return copy;
  }

  /** The name netdev_printk puts in front: the device's, "(unnamed net_device)" before it is registered. */
  deviceName(mod: Module, handle: number): string {
    const dev = this.devs.find(handle);
    if (!dev || dev.owner !== mod) return "(NULL net_device)";
    return dev.registered ? dev.name : "(unnamed net_device)";
  }

  /** The devices a module left, gone with their handles, and its buffers' handles. */
  forget(mod: Module): void {
    for (const dev of [...this.devs.values()]) if (dev.owner === mod) this.devs.remove(dev);
    for (const skb of [...this.skbs.values()]) if (skb.space.owner === mod) this.skbs.remove(skb);
  }

  symbols(mod: Module): NetSymbols {
    const core = this.ctx.core;
    const own = (handle: number): NetDevice | undefined => {
      const dev = this.devs.find(handle);
      return dev?.owner === mod ? dev : undefined;
    };
    const withDev = (handle: number, fn: (dev: NetDevice) => void): void => {
      const dev = own(handle);
      if (dev) fn(dev);
    };
    const skbOf = (handle: number): SkBuff | undefined => {
      const skb = this.skbs.find(handle);
      return skb && skb.space.owner === mod && !skb.freed ? skb : undefined;
    };
    const addr = (handle: number, op: (skb: SkBuff) => number | null, what: string): number => {
      const skb = skbOf(handle);
      if (!skb) return 0;
      const at = op(skb);
      if (at !== null) return at;
      this.ctx.log(0, `skbuff: ${what}: text:${mod.name} len:${skb.len} put:0 head:${skb.head} data:${skb.data - skb.head} tail:${skb.tail - skb.head} end:${skb.end - skb.head} dev:${(skb.dev as NetDevice | null)?.name ?? "<NULL>"}`);
      return 0;
    };
    const allocSkb = (size: number, flags: number, headroom: number): number => {
      const skb = moduleSkb(mod, size + headroom, flags);
      if (!skb) return 0;
      skb.reserve(headroom);
      return this.skbs.handle(skb);
    };
    const freeSkb = (handle: number): void => {
      const skb = skbOf(handle);
      if (!skb) return;
      skb.free();
      this.skbs.remove(skb);
    };
    const allocNetdev = (priv: number, name: string, type: number): number => {
      if (!validType(type)) return 0;
      const dev = new NetDevice(name, type, mod);
      if (priv > 0) {
        dev.priv = mod.slab.kmalloc(priv, GFP.GFP_KERNEL | GFP.__GFP_ZERO);
        if (dev.priv === 0) return 0;
      }
      return this.devs.handle(dev);
    };
    return {
      alloc_netdev: (priv, name, type) => {
        try {
          return allocNetdev(priv >>> 0, mod.memory.readString(name, 64), type >>> 0);
        } catch (e) {
          refusal(e);
          return 0;
        }
      },
      alloc_etherdev: (priv) => allocNetdev(priv >>> 0, "eth%d", ARPHRD_ETHER),
      free_netdev: (h) =>
        withDev(h, (dev) => {
          if (dev.registered) return this.ctx.log(4, `${dev.name}: free_netdev of a registered device refused`);
          if (dev.priv) mod.slab.kfree(dev.priv);
          this.devs.remove(dev);
        }),
      netdev_priv: (h) => own(h)?.priv ?? 0,
      netdev_set_ops: (h, ops) => {
        const dev = own(h);
        if (!dev) return -22;
        try {
          dev.ops = this.ops(mod, ops);
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      eth_hw_addr_set: (h, p) =>
        withDev(h, (dev) => discardRefusal(() => dev.addr.set(mod.memory.bytes(p, dev.addrLen)))),
      eth_hw_addr_random: (h) =>
        withDev(h, (dev) => {
          const mac = randomBytes(ETH_ALEN);
          mac[0] = (mac[0]! & 0xfe) | 0x02;
          dev.addr.set(mac.subarray(0, dev.addrLen));
        }),
      register_netdev: (h) => {
        const dev = own(h);
        if (!dev) return -22;
        try {
          core.register(dev);
          this.ctx.registered(dev);
          return 0;
        } catch (e) {
          return refusal(e);
        }
      },
      unregister_netdev: (h) =>
        withDev(h, (dev) => {
          if (!dev.registered) return;
          core.unregister(dev);
          this.ctx.unregistered(dev);
        }),
      netif_start_queue: (h) => withDev(h, (dev) => void (dev.queueStopped = false)),
      netif_stop_queue: (h) => withDev(h, (dev) => core.stopQueue(dev)),
      netif_wake_queue: (h) => withDev(h, (dev) => core.wakeQueue(dev)),
      netif_queue_stopped: (h) => own(h)?.queueStopped ?? true,
      netif_carrier_on: (h) => withDev(h, (dev) => core.setCarrier(dev, true)),
      netif_carrier_off: (h) => withDev(h, (dev) => core.setCarrier(dev, false)),
      netif_carrier_ok: (h) => own(h)?.carrier ?? false,
      netdev_stats_add: (h, stat, n) =>
        withDev(h, (dev) => {
          const name = DRIVER_STATS[stat >>> 0];
          if (name && STAT_NAMES.includes(name)) dev.stats[name] += n >>> 0;
        }),
      alloc_skb: (size, flags) => allocSkb(size >>> 0, flags >>> 0, 0),
      dev_alloc_skb: (len) => allocSkb(len >>> 0, GFP.GFP_ATOMIC, NET_SKB_PAD),
      skb_put: (h, len) => addr(h, (skb) => skb.put(len >>> 0), "skb_over_panic"),
      skb_push: (h, len) => addr(h, (skb) => skb.push(len >>> 0), "skb_under_panic"),
      skb_pull: (h, len) => skbOf(h)?.pull(len >>> 0) ?? 0,
      skb_reserve: (h, len) => void skbOf(h)?.reserve(len >>> 0),
      skb_data: (h) => skbOf(h)?.data ?? 0,
      skb_len: (h) => skbOf(h)?.len ?? 0,
      skb_set_protocol: (h, d, protocol) => {
        const skb = skbOf(h);
        if (!skb) return;
        skb.dev = own(d) ?? null;
        skb.protocol = protocol & 0xffff;
      },
      eth_type_trans: (h, d) => {
        const skb = skbOf(h);
        if (!skb) return 0;
        skb.dev = own(d) ?? null;
        skb.mac = skb.data;
        if (skb.len < ETH_HLEN) return 0;
        const hdr = skb.space.bytes(skb.data, ETH_HLEN);
        skb.protocol = (hdr[12]! << 8) | hdr[13]!;
        skb.pull(ETH_HLEN);
        return skb.protocol;
      },
      kfree_skb: freeSkb,
      dev_kfree_skb: freeSkb,
      netif_rx: (h) => {
        const skb = skbOf(h);
        if (!skb) return NET_RX_DROP;
        this.skbs.remove(skb);
        const dev = skb.dev as NetDevice | null;
        if (!dev || !dev.registered) {
          skb.free();
          return NET_RX_DROP;
        }
        return core.rx(skb, dev) ? NET_RX_SUCCESS : NET_RX_DROP;
      },
    };
  }
}
