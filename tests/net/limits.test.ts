// Bad input and limits: malformed frames, bad checksums and truncated headers dropped and counted; an
// echo flood that the card's ring and the bounded queues absorb; a driver that stops its queue and never
// wakes it reported by the transmit watchdog; a driver that traps in ndo_start_xmit.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { ipChecksum, put16 } from "../../host/net/ipv4/inet.js";
import type { Libc } from "../../host/user/nolibc.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { cliRunner, dmesg, scratchDir, writeModuleSource } from "../helpers.js";
import { call, netHost, ok, unplug, wireName, type Run } from "./net_helpers.js";

/** Counters of a /proc/net/snmp section, by name. */
function snmp(k: Kernel, section: string): Record<string, number> {
  const lines = k.read("/proc/net/snmp").split("\n").filter((l) => l.startsWith(`${section}: `));
  const names = lines[0]!.split(" ").slice(1);
  return Object.fromEntries(lines[1]!.split(" ").slice(1).map((v, i) => [names[i]!, Number(v)]));
}

const MAC_A = [0x52, 0x54, 0, 0, 5, 1];
const MAC_B = [0x52, 0x54, 0, 0, 5, 2];

/** An IPv4 packet from 10.5.0.1 to 10.5.0.2 with a correct header checksum (unless spoiled afterwards). */
function ipPacket(protocol: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p.set([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, protocol, 0, 0, 10, 5, 0, 1, 10, 5, 0, 2]);
  put16(p, 2, p.length);
  put16(p, 10, ipChecksum(p, 0, 20));
  p.set(payload, 20);
  return p;
}

function ether(type: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...MAC_B, ...MAC_A, type >> 8, type & 0xff, ...payload]);
}

describe("malformed frames sent raw from the other kernel", () => {
  let a: { k: Kernel; run: Run };
  let b: { k: Kernel; run: Run };
  let libc: Libc;
  let fd: number;
  beforeEach(async () => {
    const wire = wireName("limits");
    a = await netHost(wire, "52:54:00:00:05:01", "10.5.0.1");
    b = await netHost(wire, "52:54:00:00:05:02", "10.5.0.2");
    await ok(a.run, "ping -c 1 10.5.0.2");
    libc = a.k.spawn("raw");
    // AF_PACKET, SOCK_RAW, htons(ETH_P_ALL), bound to eth0 (ifindex 2).
    fd = call(libc, "socket", 17, 3, 0x0300);
    expect(fd).toBeGreaterThanOrEqual(0);
    const ll = new Uint8Array(20);
    new DataView(ll.buffer).setUint16(0, 17, true);
    new DataView(ll.buffer).setInt32(4, 2, true);
    expect(call(libc, "bind", fd, ll, 20)).toBe(0);
  });
  afterEach(() => unplug(a.k, b.k));

  const send = (frame: Uint8Array) => expect(call(libc, "sendto", fd, frame, frame.length, 0, 0, 0)).toBe(frame.length);

  it("drops a bad IP header checksum, a truncated header and a bad version, counting InHdrErrors", () => {
    const before = snmp(b.k, "Ip");
    const bad = ipPacket(1, new Uint8Array(8));
    bad[10] = bad[10]! ^ 0xff;
    send(ether(0x0800, bad));
    send(ether(0x0800, ipPacket(1, new Uint8Array(8)).subarray(0, 12)));
    const v6 = ipPacket(1, new Uint8Array(8));
    v6[0] = 0x65;
    send(ether(0x0800, v6));
    const after = snmp(b.k, "Ip");
    expect(after.InHdrErrors! - before.InHdrErrors!).toBe(3);
    expect(after.InDelivers).toBe(before.InDelivers);
  });

  it("drops an ICMP message with a bad checksum (InCsumErrors) and a short ARP packet, and still answers pings", async () => {
    const echo = new Uint8Array(16);
    echo[0] = 8;
    put16(echo, 2, 0x1234);
    send(ether(0x0800, ipPacket(1, echo)));
    expect(snmp(b.k, "Icmp").InCsumErrors).toBe(1);
    expect(b.k.net.arp.dropped).toBe(0);
    send(ether(0x0806, new Uint8Array(10)));
    expect(b.k.net.arp.dropped).toBe(1);
    expect((await a.run("ping -c 1 10.5.0.2")).status).toBe(0);
  });

  it("absorbs an echo flood: bounded ring, backlog and queues; what does not fit is counted, nothing grows", async () => {
    const echo = new Uint8Array(64);
    echo[0] = 8;
    put16(echo, 2, ipChecksum(echo));
    const frame = ether(0x0800, ipPacket(1, echo));
    const flood = () => {
      for (let i = 0; i < 2000; i++) call(libc, "sendto", fd, frame, frame.length, 0, 0, 0);
    };
    // Sent while A's own kernel code runs, its card's transmit-done interrupts wait: A's queue fills to
    // txqueuelen (1000) and drops the rest.
    a.k.irqs.enter(flood);
    const dropped = Number(a.k.read("/sys/class/net/eth0/statistics/tx_dropped"));
    expect(dropped).toBeGreaterThanOrEqual(999);
    expect(a.k.net.core.byName("eth0")!.txq.length).toBe(0);
    // Sent while B is busy, the frames fill B's receive ring: the card counts what it missed, the driver
    // the overrun, and B drains the ring once it can.
    const card = b.k.machine.list()[0]!.device as unknown as { counts: { received: number; missed: number } };
    const seen = card.counts.received + card.counts.missed;
    b.k.irqs.enter(flood);
    expect(card.counts.received + card.counts.missed - seen).toBe(2000);
    expect(card.counts.missed).toBeGreaterThan(1900);
    expect(Number(b.k.read("/sys/class/net/eth0/statistics/rx_over_errors"))).toBeGreaterThan(0);
    // The card's missed-frame tally (CNTR2, at most 255 between reads) reaches the counters through
    // ei_get_stats and the counter interrupt; the device's own drop count stays the core's.
    expect(Number(b.k.read("/sys/class/net/eth0/statistics/rx_missed_errors"))).toBeGreaterThan(0);
    expect((await a.run("ping -c 1 10.5.0.2")).status).toBe(0);
  });
});

const STUCK = `
import { alloc_netdev, ARPHRD_ETHER, kfree_skb, net_device_ops, NETDEV_TX_OK, netdev_set_ops, netif_start_queue, netif_stop_queue,
  pr_info, register_netdev, unregister_netdev, free_netdev } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const ops = new net_device_ops();
let dev: u32 = 0;
function stuck_open(d: u32): i32 { netif_start_queue(d); return 0; }
function stuck_xmit(skb: u32, d: u32): i32 { kfree_skb(skb); netif_stop_queue(d); return NETDEV_TX_OK; }
function stuck_timeout(d: u32, q: u32): void { pr_info("stuck: tx timeout on queue %d\\n", q); }
export function init_module(): i32 {
  ops.ndo_open = stuck_open.index;
  ops.ndo_start_xmit = stuck_xmit.index;
  ops.ndo_tx_timeout = stuck_timeout.index;
  dev = alloc_netdev(0, "stuck%d", ARPHRD_ETHER);
  netdev_set_ops(dev, ops);
  return register_netdev(dev);
}
export function cleanup_module(): void { unregister_netdev(dev); free_netdev(dev); }
`;

const TRAPS = `
import { alloc_netdev, ARPHRD_ETHER, net_device_ops, netdev_set_ops, register_netdev, unregister_netdev, free_netdev } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const ops = new net_device_ops();
let dev: u32 = 0;
function trap_xmit(skb: u32, d: u32): i32 { return load<i32>(<usize>0xfffffff0); }
export function init_module(): i32 {
  ops.ndo_start_xmit = trap_xmit.index;
  dev = alloc_netdev(0, "trap%d", ARPHRD_ETHER);
  netdev_set_ops(dev, ops);
  return register_netdev(dev);
}
export function cleanup_module(): void { unregister_netdev(dev); free_netdev(dev); }
`;

describe("drivers that misbehave", () => {
  const fixtures = new Map<string, Uint8Array>();
  const scratch = scratchDir("net-limits");
  beforeAll(async () => {
    const objs = [];
    for (const [name, source] of [["stuck", STUCK], ["traps", TRAPS]] as const) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
    for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
  }, 120_000);
  afterAll(() => scratch.cleanup());

  it("a queue stopped and never woken is reported by the watchdog, which calls ndo_tx_timeout", async () => {
    const k = new Kernel();
    const run = cliRunner(k);
    k.insmod(fixtures.get("stuck")!);
    await ok(run, "ip link set stuck0 up");
    await ok(run, "ip addr add 10.6.0.1/24 dev stuck0");
    await run("ping -c 1 -W 1 10.6.0.2");
    expect(dmesg(k).filter((l) => l.startsWith("NETDEV WATCHDOG"))).toEqual([]);
    await ok(run, "hw tick 6s");
    expect(dmesg(k)).toEqual(expect.arrayContaining(["NETDEV WATCHDOG: stuck0 (stuck): transmit queue 0 timed out", "stuck: tx timeout on queue 0"]));
    // Frames wait in the queue meanwhile, at most txqueuelen of them.
    expect(k.net.core.byName("stuck0")!.txq.length).toBeLessThanOrEqual(1000);
  });

  it("a trap in ndo_start_xmit is an Oops: the frame is dropped and counted, the kernel goes on", async () => {
    const k = new Kernel();
    const run = cliRunner(k);
    k.insmod(fixtures.get("traps")!);
    await ok(run, "ip link set trap0 up");
    await ok(run, "ip addr add 10.7.0.1/24 dev trap0");
    await run("ping -c 1 -W 1 10.7.0.2");
    expect(dmesg(k).some((l) => l.includes("Oops"))).toBe(true);
    expect(Number(k.read("/sys/class/net/trap0/statistics/tx_dropped"))).toBeGreaterThan(0);
    expect((await run("ping -c 1 127.0.0.1")).status).toBe(0);
  });
});
