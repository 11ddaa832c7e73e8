// ip: iproute2's ip for links, IPv4 addresses, routes and neighbours, printing as iproute2 prints.
// `ip [-s] link [show [DEV]]` (-s: each device's counters, as dev_get_stats gives them), `ip link set DEV
// up|down|address MAC|mtu N`, `ip addr [show [dev DEV]]`, `ip addr add|del A/N dev DEV`, `ip route [show]`,
// `ip route add|del default|NET/N [via GW] [dev DEV]`, `ip neigh [show]`.

import { ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_SLIP, IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_NOARP, IFF_POINTOPOINT, IFF_UP } from "../../abi/netdevice.js";
import type { Kernel } from "../init/main.js";
import { KernelError } from "../kernel/error.js";
import { devGetStats, type NetDevice, type NetStats } from "../net/core/dev.js";
import { formatMac } from "../net/core/net-procfs.js";
import { parseMac } from "../net/ethernet/eth.js";
import { formatIp, parseIp, parsePrefix } from "../net/ipv4/inet.js";
import type { CliCommand, CommandContext } from "./command.js";

/** iproute2's print_link_flags() order. */
const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [IFF_LOOPBACK, "LOOPBACK"], [IFF_BROADCAST, "BROADCAST"], [IFF_POINTOPOINT, "POINTOPOINT"], [IFF_MULTICAST, "MULTICAST"], [IFF_NOARP, "NOARP"],
  [IFF_UP, "UP"], [IFF_LOWER_UP, "LOWER_UP"],
];

function flags(dev: NetDevice): string {
  const f = dev.reportedFlags;
  const names = FLAG_NAMES.filter(([bit]) => f & bit).map(([, n]) => n);
  return (dev.up && !dev.carrier ? ["NO-CARRIER", ...names] : names).join(",");
}

function linkType(dev: NetDevice): string {
  if (dev.type === ARPHRD_LOOPBACK) return `link/loopback ${formatMac(dev.addr)} brd ${formatMac(dev.broadcast)}`;
  if (dev.type === ARPHRD_ETHER) return `link/ether ${formatMac(dev.addr)} brd ${formatMac(dev.broadcast)}`;
  return dev.type === ARPHRD_SLIP ? "link/slip" : "link/none";
}

/** The first two lines of `ip link` and `ip addr` for a device (`mode DEFAULT` only in ip link's). */
function header(dev: NetDevice, link: boolean): string {
  const qdisc = !dev.up ? "noop" : dev.type === ARPHRD_LOOPBACK ? "noqueue" : "pfifo_fast";
  const mode = link ? " mode DEFAULT" : "";
  return `${dev.ifindex}: ${dev.name}: <${flags(dev)}> mtu ${dev.mtu} qdisc ${qdisc} state ${dev.operstate.toUpperCase()}${mode} group default qlen ${dev.txqueuelen}\n    ${linkType(dev)}\n`;
}

/** print_link_stats64()'s narrowest columns: bytes (after "RX: "), packets, errors, dropped, missed/carrier, mcast/collsns, compressed. */
const STAT_COLUMNS = [10, 7, 6, 7, 7, 7, 10] as const;

/** The RX and TX rows of ip -s, each column as wide as its longest number; compressed only when not 0. */
function statsLines(s: NetStats): string {
  const rx = [s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_missed_errors, s.multicast, s.rx_compressed];
  const tx = [s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions, s.tx_compressed];
  const cols = STAT_COLUMNS.map((w, i) => Math.max(w, String(rx[i]).length, String(tx[i]).length));
  const block = (dir: string, names: readonly string[], values: readonly number[]): string => {
    const compressed = values[6] !== 0;
    const head = names.map((n, i) => n.padStart(i === 0 ? cols[0]! - 4 : cols[i]!)).join(" ");
    const shown = compressed ? values : values.slice(0, 6);
    return `    ${dir}: ${head} ${(compressed ? "compressed" : "").padStart(cols[6]!)}
    ${shown.map((v, i) => `${String(v).padStart(cols[i]!)} `).join("")}
`;
  };
  return block("RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"], rx) +
    block("TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"], tx);
}

/** A usage error: ip's own wording, exit status 1 (255 for an unknown command). */
class IpUsage extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

function need(word: string | undefined, what: string): string {
  if (word === undefined) throw new IpUsage(`Error: argument "${what}" is required.`);
  return word;
}

/** Words as `key value` pairs after the object: dev eth0 via 10.0.0.1... */
function pairs(words: readonly string[], known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const key = words[i]!;
    if (!known.includes(key)) throw new IpUsage(`Error: either "local" is duplicate, or "${key}" is a garbage.`);
    out.set(key, need(words[++i], key));
  }
  return out;
}

function link(k: Kernel, ctx: CommandContext, args: readonly string[], stats: boolean): void {
  const net = k.net;
  const [sub = "show", ...rest] = args;
  if (sub === "show" || sub === "list" || sub === "ls") {
    const devs = rest.length ? [net.core.get(rest[0] === "dev" ? need(rest[1], "dev") : rest[0]!)] : net.core.list();
    for (const dev of devs) ctx.out(header(dev, true) + (stats ? statsLines(devGetStats(dev)) : ""));
    return;
  }
  if (sub !== "set") throw new IpUsage(`Command "${sub}" is unknown, try "ip link help".`, 255);
  const dev = net.core.get(rest[0] === "dev" ? need(rest[1], "dev") : need(rest[0], "dev"));
  const words = rest.slice(rest[0] === "dev" ? 2 : 1);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "up") net.core.open(dev);
    else if (w === "down") net.core.close(dev);
    else if (w === "mtu") {
      const v = need(words[++i], "mtu");
      if (!/^\d+$/.test(v)) throw new IpUsage(`Error: argument "${v}" is wrong: Invalid "mtu" value`);
      net.setMtu(dev, Number(v));
    } else if (w === "address") {
      const v = need(words[++i], "address");
      const mac = parseMac(v);
      if (!mac) throw new IpUsage(`"${v}" is invalid lladdr.`);
      net.setMac(dev, mac);
    } else throw new IpUsage(`Error: either "dev" is duplicate, or "${w}" is a garbage.`);
  }
}

function addr(k: Kernel, ctx: CommandContext, args: readonly string[], stats: boolean): void {
  const net = k.net;
  const [sub = "show", ...rest] = args;
  if (sub === "show" || sub === "list" || sub === "ls") {
    const devs = rest.length ? [net.core.get(rest[0] === "dev" ? need(rest[1], "dev") : rest[0]!)] : net.core.list();
    for (const dev of devs) {
      ctx.out(header(dev, false));
      for (const a of net.devinet.forDev(dev)) {
        ctx.out(`    inet ${formatIp(a.local)}/${a.prefixlen} scope ${a.scope} ${dev.name}\n       valid_lft forever preferred_lft forever\n`);
      }
      if (stats) ctx.out(statsLines(devGetStats(dev)));
    }
    return;
  }
  if (sub !== "add" && sub !== "del") throw new IpUsage(`Command "${sub}" is unknown, try "ip address help".`, 255);
  const prefix = parsePrefix(need(rest[0], "local"));
  if (!prefix) throw new IpUsage(`Error: any valid prefix is expected rather than "${rest[0]}".`);
  const opts = pairs(rest.slice(1), ["dev"]);
  const dev = net.core.get(need(opts.get("dev"), "dev"));
  if (sub === "add") net.devinet.add(dev, prefix.addr, prefix.prefixlen);
  else net.devinet.del(dev, prefix.addr, prefix.prefixlen);
}

function route(k: Kernel, ctx: CommandContext, args: readonly string[]): void {
  const net = k.net;
  const [sub = "show", ...rest] = args;
  if (sub === "show" || sub === "list" || sub === "ls") {
    for (const r of net.fib.routes()) {
      const dst = r.prefixlen === 0 ? "default" : `${formatIp(r.dst)}/${r.prefixlen}`;
      const via = r.gateway === null ? "" : ` via ${formatIp(r.gateway)}`;
      const tail = r.proto === "kernel" ? ` proto kernel scope link src ${formatIp(r.src!)}` : "";
      ctx.out(`${dst}${via} dev ${r.dev.name}${tail}\n`);
    }
    return;
  }
  if (sub !== "add" && sub !== "del") throw new IpUsage(`Command "${sub}" is unknown, try "ip route help".`, 255);
  const target = need(rest[0], "to");
  const prefix = target === "default" ? { addr: 0, prefixlen: 0 } : parsePrefix(target);
  if (!prefix) throw new IpUsage(`Error: any valid prefix is expected rather than "${target}".`);
  const opts = pairs(rest.slice(1), ["via", "dev"]);
  if (sub === "del") return net.fib.del(prefix.addr, prefix.prefixlen);
  const via = opts.get("via");
  const gateway = via === undefined ? null : parseIp(via);
  if (via !== undefined && gateway === null) throw new IpUsage(`Error: inet address is expected rather than "${via}".`);
  const dev = opts.has("dev") ? net.core.get(opts.get("dev")!) : null;
  net.fib.add(prefix.addr, prefix.prefixlen, gateway, dev);
}

/** `ip neigh [show]`: the ARP table, an entry a line with its NUD state; the address only while it is valid. */
function neigh(k: Kernel, ctx: CommandContext, args: readonly string[]): void {
  const [sub = "show"] = args;
  if (sub !== "show" && sub !== "list" && sub !== "ls") throw new IpUsage(`Command "${sub}" is unknown, try "ip neigh help".`, 255);
  for (const n of k.net.arp.entries()) {
    const lladdr = n.mac && n.state !== "INCOMPLETE" && n.state !== "FAILED" ? ` lladdr ${formatMac(n.mac)}` : "";
    ctx.out(`${formatIp(n.ip)} dev ${n.dev.name}${lladdr} ${n.state} \n`);
  }
}

const OBJECTS: Readonly<Record<string, (k: Kernel, ctx: CommandContext, args: readonly string[], stats: boolean) => void>> = {
  link, l: link, address: addr, addr, a: addr, route, r: route, ro: route, neighbour: neigh, neighbor: neigh, neigh, n: neigh,
};

export const ip: CliCommand = {
  name: "ip",
  usage: "ip [-s] link [set DEV up|down|address MAC|mtu N] | addr [add|del A/N dev DEV] | route [add|del default|NET/N via GW [dev DEV]] | neigh",
  help: "show and change network devices, IPv4 addresses and routes (iproute2)",
  run: (words, ctx) => {
    const options = words.filter((w, i) => w.startsWith("-") && words.slice(0, i).every((p) => p.startsWith("-")));
    const unknown = options.find((o) => !["-s", "-stats", "-statistics"].includes(o));
    if (unknown) {
      ctx.err(`Option "${unknown}" is unknown, try "ip -help".\n`);
      return 255;
    }
    const [object, ...rest] = words.slice(options.length);
    const fn = object === undefined ? undefined : OBJECTS[object];
    if (!fn) {
      ctx.err(object === undefined ? "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n" : `Object "${object}" is unknown, try "ip help".\n`);
      return object === undefined ? 255 : 1;
    }
    try {
      ctx.kernel.irqs.enter(() => fn(ctx.kernel, ctx, rest, options.length > 0));
      return 0;
    } catch (e) {
      if (e instanceof IpUsage) {
        ctx.err(`${e.message}\n`);
        return e.status;
      }
      if (!(e instanceof KernelError)) throw e;
      const text = e.message.startsWith("RTNETLINK") || e.message.startsWith("Error:") || e.message.startsWith("Cannot find") ? e.message : `RTNETLINK answers: ${e.strerror}`;
      ctx.err(`${text}\n`);
      return e.message.startsWith("Cannot find") ? 1 : 2;
    }
  },
};
