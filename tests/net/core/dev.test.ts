// Net devices: lo at boot, the dummy driver's devices, /proc/net/dev and /sys/class/net in Linux's
// layouts, a driver pinned while its device is up, and what is refused leaving the state as it was.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../../host/init/main.js";
import { ARPHRD_ETHER } from "../../../abi/netdevice.js";
import { NetDevice } from "../../../host/net/core/dev.js";
import { cliRunner, expectErrno, snapshot, type CliResult } from "../../helpers.js";

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
beforeEach(() => {
  k = new Kernel();
  run = cliRunner(k);
});

const ok = async (line: string) => {
  const r = await run(line);
  expect(r, line).toMatchObject({ status: 0, err: "" });
  return r.out;
};

const HEADER =
  "Inter-|   Receive                            |  Transmit\n" +
  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";
const ZEROS = "       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n";

describe("lo", () => {
  it("is up at boot with 127.0.0.1/8, the only line of /proc/net/dev", async () => {
    expect(k.read("/proc/net/dev")).toBe(`${HEADER}    lo:${ZEROS}`);
    expect(await ok("ip addr")).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "    inet 127.0.0.1/8 scope host lo\n" +
        "       valid_lft forever preferred_lft forever\n",
    );
    expect(k.read("/sys/class/net/lo/ifindex")).toBe("1\n");
    expect(k.read("/sys/class/net/lo/type")).toBe("772\n");
    expect(k.read("/sys/class/net/lo/flags")).toBe("0x9\n");
  });

  it("counts what it loops back as sent and received, in bytes of whole frames", async () => {
    await ok("ping -c 1 127.0.0.1");
    // A request and its reply: two frames of 14 + 20 + 8 + 56 bytes each way.
    expect(k.read("/proc/net/dev")).toBe(
      `${HEADER}    lo:     196       2    0    0    0     0          0         0      196       2    0    0    0     0       0          0\n`,
    );
    expect(k.read("/sys/class/net/lo/statistics/rx_packets")).toBe("2\n");
  });
});

describe("the dummy driver", () => {
  it("registers dummy0 and dummy1, down, with random locally administered addresses", async () => {
    await ok("modprobe dummy numdummies=2");
    const mac = k.read("/sys/class/net/dummy0/address").trim();
    expect(mac).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
    expect(await ok("ip link show dummy0")).toBe(
      "2: dummy0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n" +
        `    link/ether ${mac} brd ff:ff:ff:ff:ff:ff\n`,
    );
    expect(k.read("/sys/class/net/dummy1/ifindex")).toBe("3\n");
    expect(k.read("/proc/net/dev")).toBe(`${HEADER}    lo:${ZEROS}dummy0:${ZEROS}dummy1:${ZEROS}`);
  });

  it("comes up with operstate unknown and a carrier, and counts what it throws away as sent", async () => {
    await ok("modprobe dummy");
    expect(k.read("/sys/class/net/dummy0/operstate")).toBe("down\n");
    await ok("ip link set dummy0 up");
    await ok("ip addr add 10.9.0.1/24 dev dummy0");
    expect(k.read("/sys/class/net/dummy0/operstate")).toBe("unknown\n");
    expect(k.read("/sys/class/net/dummy0/carrier")).toBe("1\n");
    expect(await ok("ip route")).toBe("10.9.0.0/24 dev dummy0 proto kernel scope link src 10.9.0.1\n");
    // Nobody answers the ARP requests for 10.9.0.2: each goes out (42 bytes) and is counted.
    const r = await run("ping -c 1 -W 3 10.9.0.2");
    expect(r.status).toBe(1);
    expect(r.out).toContain("1 packets transmitted, 0 received, +1 errors, 100% packet loss");
    expect(k.read("/sys/class/net/dummy0/statistics/tx_packets")).toBe("3\n");
    expect(k.read("/sys/class/net/dummy0/statistics/tx_bytes")).toBe("126\n");
  });

  it("is pinned while a device is up: rmmod is refused, and succeeds once it is down", async () => {
    await ok("modprobe dummy");
    await ok("ip link set dummy0 up");
    const before = snapshot(k);
    expect(await run("rmmod dummy")).toEqual({ status: 1, out: "", err: "rmmod: ERROR: Module dummy is in use\n" });
    expect(snapshot(k)).toEqual(before);
    await ok("ip link set dummy0 down");
    await ok("rmmod dummy");
    expect(k.read("/proc/net/dev")).toBe(`${HEADER}    lo:${ZEROS}`);
    expect(k.kernfs.isDir("/sys/class/net/dummy0")).toBe(false);
  });

  it("unregisters every device it keeps on its list at rmmod, with nothing left behind", async () => {
    await ok("modprobe dummy numdummies=3");
    k.log.clear();
    await ok("rmmod dummy");
    expect(k.read("/proc/net/dev")).toBe(`${HEADER}    lo:${ZEROS}`);
    expect(k.log.read().map((r) => r.text)).toEqual([]);
  });

  it("answers EINVAL for the carrier of a device that is down, as Linux does", async () => {
    await ok("modprobe dummy");
    expect(await run("cat /sys/class/net/dummy0/carrier")).toMatchObject({ status: 1, err: "cat: /sys/class/net/dummy0/carrier: Invalid argument\n" });
  });

  it("takes an MTU between 68 and 1500 through ip and sysfs, and refuses others leaving it", async () => {
    await ok("modprobe dummy");
    await ok("ip link set dummy0 mtu 1400");
    expect(k.read("/sys/class/net/dummy0/mtu")).toBe("1400\n");
    k.write("/sys/class/net/dummy0/mtu", "576\n");
    expect(k.read("/sys/class/net/dummy0/mtu")).toBe("576\n");
    const before = snapshot(k);
    expect(await run("ip link set dummy0 mtu 1501")).toEqual({ status: 2, out: "", err: "Error: mtu greater than device maximum.\n" });
    expect(await run("ip link set dummy0 mtu 67")).toEqual({ status: 2, out: "", err: "Error: mtu less than device minimum.\n" });
    expect(snapshot(k)).toEqual(before);
  });

  it("changes its address only while down, as eth_mac_addr does", async () => {
    await ok("modprobe dummy");
    await ok("ip link set dummy0 address 02:00:00:00:00:01");
    expect(k.read("/sys/class/net/dummy0/address")).toBe("02:00:00:00:00:01\n");
    await ok("ip link set dummy0 up");
    const before = snapshot(k);
    expect(await run("ip link set dummy0 address 02:00:00:00:00:02")).toEqual({ status: 2, out: "", err: "RTNETLINK answers: Device or resource busy\n" });
    expect(await run("ip link set dummy0 address ff:00:00:00:00:02")).toEqual({ status: 2, out: "", err: "RTNETLINK answers: Cannot assign requested address\n" });
    expect(await run("ip link set dummy0 address zz")).toEqual({ status: 1, out: "", err: '"zz" is invalid lladdr.\n' });
    expect(snapshot(k)).toEqual(before);
  });
});

describe("register_netdev's names", () => {
  const xmit = { startXmit: () => 0 };
  const device = (name: string) => {
    const dev = new NetDevice(name, ARPHRD_ETHER, null);
    dev.ops = xmit;
    return dev;
  };

  it("gives a %d the lowest free number, and the next ifindex", () => {
    const [a, b] = [device("eth%d"), device("eth%d")];
    k.net.core.register(a);
    k.net.core.register(b);
    expect([a.name, a.ifindex, b.name, b.ifindex]).toEqual(["eth0", 2, "eth1", 3]);
    k.net.core.unregister(a);
    const c = device("eth%d");
    k.net.core.register(c);
    expect([c.name, c.ifindex]).toEqual(["eth0", 4]);
  });

  it("refuses a taken name (EEXIST), a bad one or two %d (EINVAL), and a device without operations", () => {
    k.net.core.register(device("eth%d"));
    const names = () => k.net.core.list().map((d) => d.name);
    const before = names();
    expectErrno(() => k.net.core.register(device("eth0")), "EEXIST");
    for (const bad of ["a/b", "", "a%db%d", "x".repeat(16), "has space"]) expectErrno(() => k.net.core.register(device(bad)), "EINVAL");
    expectErrno(() => k.net.core.register(new NetDevice("x%d", ARPHRD_ETHER, null)), "EINVAL");
    expect(names()).toEqual(before);
  });
});
