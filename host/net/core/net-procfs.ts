// /proc/net/dev (net/core/net-procfs.c) and /sys/class/net/NAME (net/core/net-sysfs.c): each device's
// counters and attributes, in Linux's layouts.

import { KernelError } from "../../kernel/error.js";
import type { Kernfs } from "../../fs/kernfs.js";
import { devGetStats, STAT_NAMES, type NetDevice, type NetStats } from "./dev.js";

const HEADER =
  "Inter-|   Receive                            |  Transmit\n" +
  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

/** dev_seq_printf_stats(): one device's line, the columns summed as Linux sums them. */
function statsLine(name: string, s: NetStats): string {
  const col = (n: number, w: number) => String(n).padStart(w);
  return `${name.padStart(6)}: ${col(s.rx_bytes, 7)} ${col(s.rx_packets, 7)} ${col(s.rx_errors, 4)} ${col(s.rx_dropped + s.rx_missed_errors, 4)} ` +
    `${col(s.rx_fifo_errors, 4)} ${col(s.rx_length_errors + s.rx_over_errors + s.rx_crc_errors + s.rx_frame_errors, 5)} ` +
    `${col(s.rx_compressed, 10)} ${col(s.multicast, 9)} ${col(s.tx_bytes, 8)} ${col(s.tx_packets, 7)} ${col(s.tx_errors, 4)} ` +
    `${col(s.tx_dropped, 4)} ${col(s.tx_fifo_errors, 4)} ${col(s.collisions, 5)} ` +
    `${col(s.tx_carrier_errors + s.tx_aborted_errors + s.tx_window_errors + s.tx_heartbeat_errors, 7)} ${col(s.tx_compressed, 10)}\n`;
}

/** /proc/net/dev: the header, then a line per device in ifindex order. */
export function procNetDev(devices: readonly NetDevice[]): string {
  return HEADER + devices.map((d) => statsLine(d.name, devGetStats(d))).join("");
}

/** A hardware address as Linux prints it: lowercase hex pairs joined by colons. */
export function formatMac(addr: Uint8Array): string {
  return [...addr].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** /sys/class/net/NAME/...: the attributes ip and udev read, and statistics/. */
export function addSysfs(kernfs: Kernfs, dev: NetDevice, setMtu: (dev: NetDevice, mtu: number) => void): string {
  const dir = `/sys/class/net/${dev.name}`;
  const attr = (name: string, show: () => string | number) => kernfs.add(`${dir}/${name}`, { mode: 0o444, show: () => `${show()}\n` });
  attr("address", () => formatMac(dev.addr));
  attr("broadcast", () => formatMac(dev.broadcast));
  attr("addr_len", () => dev.addrLen);
  attr("ifindex", () => dev.ifindex);
  attr("type", () => dev.type);
  attr("flags", () => hex(dev.flags));
  attr("operstate", () => dev.operstate);
  attr("tx_queue_len", () => dev.txqueuelen);
  // Linux answers EINVAL for the carrier of a device that is down.
  attr("carrier", () => {
    if (!dev.up) throw new KernelError("EINVAL", `${dev.name}: carrier of a device that is down`);
    return dev.carrier ? 1 : 0;
  });
  kernfs.add(`${dir}/mtu`, {
    mode: 0o644,
    show: () => `${dev.mtu}\n`,
    store: (buf) => {
      const mtu = Number(buf.trim());
      if (!/^\d+$/.test(buf.trim())) throw new KernelError("EINVAL", `${dev.name}: bad mtu '${buf.trim()}'`);
      setMtu(dev, mtu);
    },
  });
  for (const stat of STAT_NAMES) attr(`statistics/${stat}`, () => devGetStats(dev)[stat]);
  return dir;
}
