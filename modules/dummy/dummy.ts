// dummy: the dummy network driver (drivers/net/dummy.c), the smallest net driver there is and the
// example to start from. It registers numdummies Ethernet devices named dummy0, dummy1, ..., each with a
// random address, and throws away whatever it is given to send (the core counts it as sent).

import {
  alloc_netdev, ARPHRD_ETHER, dev_kfree_skb, ENOMEM, eth_hw_addr_random, free_netdev, net_device_ops, NETDEV_TX_OK, netdev_set_ops,
  register_netdev, unregister_netdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Dummy netdevice driver which discards all packets sent to it");
MODULE_ALIAS("rtnl-link-dummy");

export let numdummies: i32 = 1;
module_param(numdummies, int, 0);
MODULE_PARM_DESC(numdummies, "Number of dummy pseudo devices");

const ops = new net_device_ops();
const devs: u32[] = [];

/** dummy_xmit(): the frame is done with as soon as it arrives. */
function dummy_xmit(skb: u32, dev: u32): i32 {
  dev_kfree_skb(skb);
  return NETDEV_TX_OK;
}

function dummy_init_one(): i32 {
  const dev = alloc_netdev(0, "dummy%d", ARPHRD_ETHER);
  if (dev == 0) return -ENOMEM;
  netdev_set_ops(dev, ops);
  eth_hw_addr_random(dev);
  const err = register_netdev(dev);
  if (err < 0) {
    free_netdev(dev);
    return err;
  }
  devs.push(dev);
  return 0;
}

export function cleanup_module(): void {
  while (devs.length > 0) {
    const dev = devs.pop();
    unregister_netdev(dev);
    free_netdev(dev);
  }
}

export function init_module(): i32 {
  ops.ndo_start_xmit = dummy_xmit.index;
  for (let i = 0; i < numdummies; i++) {
    const err = dummy_init_one();
    if (err < 0) {
      cleanup_module();
      return err;
    }
  }
  return 0;
}
