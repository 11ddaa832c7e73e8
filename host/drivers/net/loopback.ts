// The loopback device (drivers/net/loopback.c): lo, built in, which hands every frame it is given back
// to the stack as received. Brought up with 127.0.0.1/8 at boot, as a system's init does.

import { ARPHRD_LOOPBACK, ETH_HLEN, NETDEV_TX_OK } from "../../../abi/netdevice.js";
import { NetDevice, type NetDevices } from "../../net/core/dev.js";

/** loopback_net_init(): lo registered (ifindex 1) with its transmit looping back. */
export function loopbackDevice(core: NetDevices): NetDevice {
  const lo = new NetDevice("lo", ARPHRD_LOOPBACK, null);
  lo.ops = {
    startXmit: (skb, dev) => {
      skb.mac = skb.data;
      skb.protocol = (skb.space.bytes(skb.data + 12, 2)[0]! << 8) | skb.space.bytes(skb.data + 12, 2)[1]!;
      skb.pull(ETH_HLEN);
      core.rx(skb, dev);
      return NETDEV_TX_OK;
    },
  };
  core.register(lo);
  return lo;
}
