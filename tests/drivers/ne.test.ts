// The ne driver on emulated NE2000 cards: the probe as ne.c prints it, two kernels pinging each other
// over an in-process wire with ARP on both sides, and what the driver holds while loaded and up.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { cliRunner, dmesg, snapshot, type CliResult } from "../helpers.js";

type Run = (line: string) => Promise<CliResult>;

let wireNo = 0;
let wire: string;
let a: Kernel;
let b: Kernel;
let runA: Run;
let runB: Run;
beforeEach(() => {
  wire = `ne-test-${process.pid}-${wireNo++}`;
  a = new Kernel();
  b = new Kernel();
  runA = cliRunner(a);
  runB = cliRunner(b);
});
afterEach(() => {
  for (const k of [a, b]) for (const d of [...k.machine.list()]) k.machine.detach(d.name);
});

const ok = async (run: Run, line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

/** A card with mac, the driver, eth0 up with addr/24. */
async function host(run: Run, mac: string, addr: string): Promise<void> {
  await ok(run, `hw attach ne2000 io=0x300 irq=9 mac=${mac} net=${wire}`);
  await ok(run, "modprobe ne");
  await ok(run, "ip link set eth0 up");
  await ok(run, `ip addr add ${addr}/24 dev eth0`);
}

describe("the probe", () => {
  it("finds the card, reads its address from the PROM and registers eth0, as ne.c prints it", async () => {
    expect(await ok(runA, `hw attach ne2000 mac=52:54:00:aa:bb:cc net=${wire}`)).toBe("ne0: ne2000 at 0x300 irq 9\n");
    await ok(runA, "modprobe ne");
    expect(dmesg(a)).toEqual(expect.arrayContaining([
      "NE*000 ethercard probe at 0x300: 52:54:00:aa:bb:cc", "eth0: NE2000 found at 0x300, using IRQ 9.",
    ]));
    expect(a.read("/sys/class/net/eth0/address")).toBe("52:54:00:aa:bb:cc\n");
    expect(a.read("/proc/ioports")).toBe("0300-031f : ne\n");
    expect(a.read("/proc/interrupts")).toMatch(/  9: +\d+ +XT-PIC +9-edge +NE2000\n/);
  });

  it("refuses to load without a card, leaving nothing behind", async () => {
    const before = snapshot(a);
    expect(await runA("modprobe ne")).toMatchObject({ status: 1, err: "modprobe: ERROR: could not insert 'ne': No such device\n" });
    expect(snapshot(a)).toEqual(before);
  });

  it("takes io= and irq= as ne.ko does", async () => {
    await ok(runA, `hw attach ne2000 io=0x280 irq=10 net=${wire}`);
    await ok(runA, "modprobe ne io=0x280 irq=10");
    expect(dmesg(a)).toContain("eth0: NE2000 found at 0x280, using IRQ 10.");
  });
});

describe("two kernels on one wire", () => {
  beforeEach(async () => {
    await host(runA, "52:54:00:00:00:01", "10.0.0.1");
    await host(runB, "52:54:00:00:00:02", "10.0.0.2");
  });

  it("ping each other, with iputils' output and summary", async () => {
    const r = await runA("ping -c 3 10.0.0.2");
    expect(r.status).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.");
    for (const seq of [1, 2, 3]) expect(lines[seq]).toMatch(new RegExp(`^64 bytes from 10\\.0\\.0\\.2: icmp_seq=${seq} ttl=64 time=\\d+(\\.\\d+)? ms$`));
    expect(lines.slice(4, 7)).toEqual(["", "--- 10.0.0.2 ping statistics ---", "3 packets transmitted, 3 received, 0% packet loss, time 2000ms"]);
    expect(lines[7]).toMatch(/^rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
    expect((await runB("ping -c 1 -s 1000 10.0.0.1")).out).toContain("1008 bytes from 10.0.0.1: icmp_seq=1 ttl=64");
  });

  it("learn each other's addresses by ARP, in /proc/net/arp's layout", async () => {
    await ok(runA, "ping -c 1 10.0.0.2");
    const header = "IP address       HW type     Flags       HW address            Mask     Device\n";
    expect(a.read("/proc/net/arp")).toBe(`${header}10.0.0.2         0x1         0x2         52:54:00:00:00:02     *        eth0\n`);
    expect(b.read("/proc/net/arp")).toBe(`${header}10.0.0.1         0x1         0x2         52:54:00:00:00:01     *        eth0\n`);
  });

  it("count frames and bytes on both sides: the ARP pair (padded to 60) and the echoes", async () => {
    await ok(runA, "ping -c 2 10.0.0.2");
    // A sends the request (42 bytes, padded to 60 by the driver, which counts what it sends as 8390.c
    // does, read through its ndo_get_stats) and two echoes of 98 bytes.
    expect(a.read("/sys/class/net/eth0/statistics/tx_packets")).toBe("3\n");
    expect(a.read("/sys/class/net/eth0/statistics/tx_bytes")).toBe(`${60 + 2 * 98}\n`);
    expect(b.read("/sys/class/net/eth0/statistics/rx_packets")).toBe("3\n");
    expect(b.read("/sys/class/net/eth0/statistics/rx_bytes")).toBe(`${60 + 2 * 98}\n`);
  });

  it("routes through a default gateway on the wire", async () => {
    await ok(runB, "ip addr add 192.168.7.1/24 dev eth0");
    await ok(runA, "ip route add default via 10.0.0.2");
    expect(await ok(runA, "ip route")).toBe("default via 10.0.0.2 dev eth0\n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1\n");
    expect((await runA("ping -c 1 192.168.7.1")).out).toContain("64 bytes from 192.168.7.1: icmp_seq=1 ttl=64");
  });

  it("lose the answers while the other side is down, and count them", async () => {
    await ok(runB, "ip link set eth0 down");
    const r = await runA("ping -c 2 -W 2 10.0.0.2");
    expect(r.status).toBe(1);
    // Nobody answers ARP: each request comes back as a host unreachable from A itself, as on Linux.
    expect(r.out).toContain("From 10.0.0.1 icmp_seq=2 Destination Host Unreachable\n");
    expect(r.out).toContain("2 packets transmitted, 0 received, +2 errors, 100% packet loss");
  });

  it("keep the driver while eth0 is up: rmmod refused, then allowed once it is down", async () => {
    expect(await runA("rmmod ne")).toMatchObject({ status: 1, err: "rmmod: ERROR: Module ne is in use\n" });
    await ok(runA, "ip link set eth0 down");
    await ok(runA, "rmmod ne");
    expect(a.read("/proc/ioports")).toBe("");
    expect(a.read("/proc/net/dev")).not.toContain("eth0");
  });
});

describe("halt", () => {
  it("brings eth0 down before unloading ne, so nothing is left loaded", async () => {
    await host(runA, "52:54:00:00:00:03", "10.0.0.3");
    a.halt();
    expect(a.modules.list().map((m) => m.name)).toEqual([]);
    expect(dmesg(a)).toContain("reboot: System halted");
  });
});
