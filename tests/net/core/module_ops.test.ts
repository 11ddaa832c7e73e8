// A driver's own net_device_ops beyond sending: ndo_get_stats read wherever the counters are shown (as
// Linux's dev_get_stats, with the core's drops added), and ndo_do_ioctl answering the socket ioctls
// SIOCDEVPRIVATE and the MII commands, with Linux's errors when it cannot.

import { beforeEach, describe, expect, it } from "vitest";
import { SIOCDEVPRIVATE, SIOCGMIIPHY, SIOCGMIIREG } from "../../../abi/netdevice.js";
import { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { cliRunner, moduleFixtures, type CliResult } from "../../helpers.js";
import { call, ok as okOn, udpSocket } from "../net_helpers.js";

const MIIDRV = `
import { alloc_netdev, ARPHRD_ETHER, copy_to_user, dev_kfree_skb, EIO, EOPNOTSUPP, free_netdev, IFNAMSIZ, mii_ioctl_data, net_device_ops,
  net_device_stats, NETDEV_TX_OK, netdev_set_ops, register_netdev, SIOCDEVPRIVATE, SIOCGMIIPHY, SIOCGMIIREG, skb_len,
  unregister_netdev } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const ops = new net_device_ops();
const stats = new net_device_stats();
const magic = memory.data<u8>([0x77, 0x6c, 0x6b, 0x6d]);
let dev: u32 = 0;
function mii_xmit(skb: u32, d: u32): i32 {
  stats.tx_packets++;
  stats.tx_bytes += skb_len(skb);
  dev_kfree_skb(skb);
  return NETDEV_TX_OK;
}
// As an 8390's ei_get_stats adds its tally registers: the counters the card kept, then the struct's address.
function mii_get_stats(d: u32): usize {
  stats.rx_packets = 123456789;
  stats.rx_crc_errors = 7;
  stats.collisions = 3;
  return changetype<usize>(stats);
}
function mii_ioctl(d: u32, ifr: usize, cmd: i32): i32 {
  const mii = changetype<mii_ioctl_data>(ifr + IFNAMSIZ);
  if (cmd == SIOCGMIIPHY) {
    mii.phy_id = 1;
    return 0;
  }
  if (cmd == SIOCGMIIREG) {
    if (mii.phy_id != 1 || mii.reg_num > 31) return -EIO;
    mii.val_out = mii.reg_num == 1 ? 0x782d : 0;
    return 0;
  }
  if (cmd == SIOCDEVPRIVATE) return copy_to_user(load<u32>(ifr + IFNAMSIZ), magic, 4) == 0 ? 0 : -14;
  return -EOPNOTSUPP;
}
export function init_module(): i32 {
  ops.ndo_start_xmit = mii_xmit.index;
  ops.ndo_get_stats = mii_get_stats.index;
  ops.ndo_do_ioctl = mii_ioctl.index;
  dev = alloc_netdev(0, "mii%d", ARPHRD_ETHER);
  netdev_set_ops(dev, ops);
  return register_netdev(dev);
}
export function cleanup_module(): void { unregister_netdev(dev); free_netdev(dev); }
`;

const fixtures = moduleFixtures("net-module-ops", { miidrv: MIIDRV });

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let libc: Libc;
beforeEach(() => {
  k = new Kernel();
  run = cliRunner(k);
  k.insmod(fixtures.get("miidrv")!);
  libc = k.spawn("tester");
});
const ok = (line: string) => okOn(run, line);

const AF_PACKET = 17;
const SOCK_RAW = 3;

/** Send `count` frames of 60 bytes out of the device of that ifindex through an AF_PACKET socket; the results. */
function sendFrames(ifindex: number, count: number): number[] {
  const fd = call(libc, "socket", AF_PACKET, SOCK_RAW, 0x0300);
  const ll = new Uint8Array(20);
  new DataView(ll.buffer).setUint16(0, AF_PACKET, true);
  new DataView(ll.buffer).setInt32(4, ifindex, true);
  const frame = new Uint8Array(60).fill(0xff, 0, 6);
  return Array.from({ length: count }, () => call(libc, "sendto", fd, frame, 60, 0, ll, 20));
}

describe("ndo_get_stats", () => {
  it("gives /proc/net/dev, statistics/ and ip -s link the driver's counters, not the core's", async () => {
    await ok("ip link set mii0 up");
    expect(sendFrames(2, 2)).toEqual([60, 60]);
    expect(k.read("/proc/net/dev").split("\n")[3]).toBe(
      "  mii0:       0 123456789    0    0    0     7          0         0      120       2    0    0    0     3       0          0",
    );
    expect(k.read("/sys/class/net/mii0/statistics/tx_bytes")).toBe("120\n");
    expect(k.read("/sys/class/net/mii0/statistics/rx_crc_errors")).toBe("7\n");
    // iproute2's columns widen to the longest number (rx_packets), and both rows keep them.
    expect((await ok("ip -s link show mii0")).split("\n").slice(2).join("\n")).toBe(
      "    RX:  bytes   packets errors dropped  missed   mcast           \n" +
        "             0 123456789      0       0       0       0 \n" +
        "    TX:  bytes   packets errors dropped carrier collsns           \n" +
        "           120         2      0       0       0       3 \n",
    );
  });

  it("has the core's own drops added, as dev_get_stats adds core_stats", async () => {
    expect(sendFrames(2, 1)).toEqual([-100]);
    expect(k.read("/sys/class/net/mii0/statistics/tx_dropped")).toBe("1\n");
    expect(k.read("/sys/class/net/mii0/statistics/tx_packets")).toBe("0\n");
  });

  it("ip -s shows a device without it as the core counted, lo's after a ping", async () => {
    await ok("ping -c 1 127.0.0.1");
    expect(await ok("ip -s link show lo")).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "    RX:  bytes packets errors dropped  missed   mcast           \n" +
        "           196       2      0       0       0       0 \n" +
        "    TX:  bytes packets errors dropped carrier collsns           \n" +
        "           196       2      0       0       0       0 \n",
    );
    expect(await run("ip -x link")).toEqual({ status: 255, out: "", err: 'Option "-x" is unknown, try "ip -help".\n' });
  });
});

/** An ioctl on a socket with a 32-byte struct ifreq for `name` whose union starts with `union`; its result and the ifreq after. */
function ifreqIoctl(name: string, cmd: number, union: Uint8Array = new Uint8Array(0)): { ret: number; ifr: Uint8Array } {
  const fd = udpSocket(libc);
  const mm = libc.task.mm;
  const ifr = mm.sbrk(32);
  mm.bytes(ifr, 32).fill(0);
  mm.bytes(ifr, name.length).set(new TextEncoder().encode(name));
  mm.bytes(ifr + 16, union.length).set(union);
  const ret = call(libc, "ioctl", fd, cmd, ifr);
  return { ret, ifr: mm.bytes(ifr, 32).slice() };
}

const u16 = (ifr: Uint8Array, at: number) => ifr[at]! | (ifr[at + 1]! << 8);

describe("ndo_do_ioctl", () => {
  it("answers SIOCGMIIPHY and SIOCGMIIREG in the ifreq, copied back to the caller", () => {
    const phy = ifreqIoctl("mii0", SIOCGMIIPHY);
    expect(phy.ret).toBe(0);
    expect(u16(phy.ifr, 16)).toBe(1);
    const reg = ifreqIoctl("mii0", SIOCGMIIREG, new Uint8Array([1, 0, 1, 0]));
    expect(reg.ret).toBe(0);
    expect(u16(reg.ifr, 22)).toBe(0x782d);
  });

  it("gives SIOCDEVPRIVATE's ifr_data, an address in the caller's memory, to the driver", () => {
    const buf = libc.task.mm.sbrk(4);
    const ptr = new Uint8Array(new Uint32Array([buf]).buffer);
    expect(ifreqIoctl("mii0", SIOCDEVPRIVATE, ptr).ret).toBe(0);
    expect(new TextDecoder().decode(libc.task.mm.bytes(buf, 4))).toBe("wlkm");
  });

  it("returns the driver's error and leaves the caller's ifreq as it was", () => {
    const bad = ifreqIoctl("mii0", SIOCGMIIREG, new Uint8Array([1, 0, 40, 0, 0, 0, 0xaa, 0xbb]));
    expect(bad.ret).toBe(-5);
    expect([...bad.ifr.subarray(16, 24)]).toEqual([1, 0, 40, 0, 0, 0, 0xaa, 0xbb]);
    expect(ifreqIoctl("mii0", SIOCDEVPRIVATE + 1).ret).toBe(-95);
  });

  it("is EOPNOTSUPP for a driver without it, ENODEV for no such device, ENOTTY for another command, EFAULT for a bad ifreq", async () => {
    await ok("modprobe dummy");
    const none = ifreqIoctl("dummy0", SIOCGMIIPHY);
    expect(none.ret).toBe(-95);
    expect(u16(none.ifr, 16)).toBe(0);
    expect(ifreqIoctl("lo", SIOCDEVPRIVATE).ret).toBe(-95);
    expect(ifreqIoctl("nosuch0", SIOCGMIIPHY).ret).toBe(-19);
    expect(ifreqIoctl("mii0", 0x89a0).ret).toBe(-25);
    expect(call(libc, "ioctl", udpSocket(libc), SIOCGMIIPHY, 0xfffffff0)).toBe(-14);
  });
});
