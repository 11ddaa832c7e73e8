// ARP entries ageing as Linux's do on each kernel's simulated clock: REACHABLE after a reply, STALE once
// reachable_time (15 to 45 s) has passed, DELAY and a unicast probe when used again, FAILED when nobody
// answers (with an ICMP host unreachable for each packet that waited), and the collector's removals.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { netHost, ok, sendto, snmp, udpSocket, unplug, wireName, type Run } from "../net_helpers.js";

let a: { k: Kernel; run: Run };
let b: { k: Kernel; run: Run };
let libcA: Libc;
beforeEach(async () => {
  const wire = wireName("arp");
  a = await netHost(wire, "52:54:00:00:05:01", "10.5.0.1");
  b = await netHost(wire, "52:54:00:00:05:02", "10.5.0.2");
  libcA = a.k.spawn("sender");
});
afterEach(() => unplug(a.k, b.k));

const B_ENTRY = "10.5.0.2 dev eth0 lladdr 52:54:00:00:05:02";
const neigh = (h: { run: Run }) => ok(h.run, "ip neigh");
const tick = (h: { run: Run }, time: string) => ok(h.run, `hw tick ${time}`);
const send = (to: string) => expect(sendto(libcA, udpSocket(libcA), "x", to, 9)).toBe(1);

describe("a resolved entry", () => {
  it("is REACHABLE after a reply, and the answering side's, learnt from the request and used, is DELAY", async () => {
    await ok(a.run, "ping -c 1 10.5.0.2");
    expect(await neigh(a)).toBe(`${B_ENTRY} REACHABLE \n`);
    expect(await neigh(b)).toBe("10.5.0.1 dev eth0 lladdr 52:54:00:00:05:01 DELAY \n");
    // Five seconds on, with no reply of its own, b probes a by unicast; a's reply makes it REACHABLE.
    await tick(b, "5s");
    expect(await neigh(b)).toBe("10.5.0.1 dev eth0 lladdr 52:54:00:00:05:01 REACHABLE \n");
  });

  it("stays REACHABLE for at least half base_reachable_time, and is STALE by one and a half, still complete in /proc/net/arp", async () => {
    await ok(a.run, "ping -c 1 10.5.0.2");
    await tick(a, "14s");
    expect(await neigh(a)).toBe(`${B_ENTRY} REACHABLE \n`);
    await tick(a, "32s");
    expect(await neigh(a)).toBe(`${B_ENTRY} STALE \n`);
    expect(a.k.read("/proc/net/arp")).toContain("10.5.0.2         0x1         0x2         52:54:00:00:05:02     *        eth0\n");
  });

  it("used while STALE goes DELAY, then probes, and a reply makes it REACHABLE again", async () => {
    await ok(a.run, "ping -c 1 10.5.0.2");
    await tick(a, "46s");
    const before = Number(b.k.read("/sys/class/net/eth0/statistics/rx_packets"));
    send("10.5.0.2");
    expect(await neigh(a)).toBe(`${B_ENTRY} DELAY \n`);
    await tick(a, "5s");
    expect(await neigh(a)).toBe(`${B_ENTRY} REACHABLE \n`);
    // The datagram, then the unicast request.
    expect(Number(b.k.read("/sys/class/net/eth0/statistics/rx_packets"))).toBe(before + 2);
  });

  it("of a neighbour gone quiet fails after 3 unicast probes a second apart", async () => {
    await ok(a.run, "ping -c 1 10.5.0.2");
    await tick(a, "46s");
    unplug(b.k);
    send("10.5.0.2");
    await tick(a, "5s");
    expect(await neigh(a)).toBe(`${B_ENTRY} PROBE \n`);
    await tick(a, "2s");
    expect(await neigh(a)).toBe(`${B_ENTRY} PROBE \n`);
    await tick(a, "1s");
    expect(await neigh(a)).toBe("10.5.0.2 dev eth0 FAILED \n");
    expect(a.k.read("/proc/net/arp")).toContain("10.5.0.2         0x1         0x0         52:54:00:00:05:02     *        eth0\n");
  });
});

describe("an address nobody has", () => {
  it("is INCOMPLETE for 3 broadcast requests a second apart, then FAILED, each waiting packet answered with a host unreachable", async () => {
    const before = Number(b.k.read("/sys/class/net/eth0/statistics/rx_packets"));
    send("10.5.0.9");
    send("10.5.0.9");
    expect(await neigh(a)).toBe("10.5.0.9 dev eth0 INCOMPLETE \n");
    expect(a.k.read("/proc/net/arp")).toContain("10.5.0.9         0x1         0x0         00:00:00:00:00:00     *        eth0\n");
    await tick(a, "2s");
    expect(await neigh(a)).toBe("10.5.0.9 dev eth0 INCOMPLETE \n");
    expect(snmp(a.k, "Icmp").OutDestUnreachs).toBe(0);
    await tick(a, "1s");
    expect(await neigh(a)).toBe("10.5.0.9 dev eth0 FAILED \n");
    expect(Number(b.k.read("/sys/class/net/eth0/statistics/rx_packets"))).toBe(before + 3);
    expect(snmp(a.k, "Icmp")).toMatchObject({ OutDestUnreachs: 2, InDestUnreachs: 2 });
    // The next packet starts over.
    send("10.5.0.9");
    expect(await neigh(a)).toBe("10.5.0.9 dev eth0 INCOMPLETE \n");
  });
});

describe("the collector", () => {
  it("leaves FAILED entries alone while the table holds fewer than gc_thresh1 (128)", async () => {
    for (const host of ["10.5.0.7", "10.5.0.8"]) send(host);
    await tick(a, "64s");
    expect(await neigh(a)).toBe("10.5.0.7 dev eth0 FAILED \n10.5.0.8 dev eth0 FAILED \n");
  });

  it("removes FAILED entries and STALE ones unused for gc_stale_time once there are 128", async () => {
    await ok(a.run, "ping -c 1 10.5.0.2");
    await tick(a, "61s");
    expect(await neigh(a)).toBe(`${B_ENTRY} STALE \n`);
    for (let i = 100; i < 230; i++) send(`10.5.0.${i}`);
    await tick(a, "4s");
    expect((await neigh(a)).split("\n").filter((l) => l.endsWith("FAILED "))).toHaveLength(130);
    await tick(a, "15s");
    expect(await neigh(a)).toBe("");
    expect(a.k.read("/proc/net/arp")).toBe("IP address       HW type     Flags       HW address            Mask     Device\n");
  });
});
