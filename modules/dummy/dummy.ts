// dummy: the dummy network driver (drivers/net/dummy.c), the smallest net driver there is and the
// example to start from. It registers numdummies Ethernet devices named dummy0, dummy1, ..., each with a
// random address, and throws away whatever it is given to send (the core counts it as sent). It keeps its
// devices on a list, as dummy.c did before rtnl_link_ops (static LIST_HEAD(dummies)), under its own lock.

import {
  alloc_netdev, ARPHRD_ETHER, dev_kfree_skb, ENOMEM, eth_hw_addr_random, free_netdev, net_device_ops, NETDEV_TX_OK, netdev_set_ops,
  register_netdev, unregister_netdev,
} from "../../abi/include/kernel";
import { LIST_HEAD, list_add_tail, list_del, list_empty, list_head, list_last_entry } from "../../abi/include/list";
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "../../abi/include/spinlock";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Dummy netdevice driver which discards all packets sent to it");
MODULE_ALIAS("rtnl-link-dummy");

export let numdummies: i32 = 1;
module_param(numdummies, int, 0);
MODULE_PARM_DESC(numdummies, "Number of dummy pseudo devices");

/** struct dummy_priv: one device on the driver's list. */
// @ts-ignore: decorator
@unmanaged class dummy_priv extends list_head {
  dev: u32 = 0;
}

const ops = new net_device_ops();
const dummies = LIST_HEAD();
const dummies_lock = DEFINE_SPINLOCK();

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
  const priv = new dummy_priv();
  priv.dev = dev;
  spin_lock(dummies_lock);
  list_add_tail(priv, dummies);
  spin_unlock(dummies_lock);
  return 0;
}

/** The devices go newest first; each is off the list before it is unregistered. */
export function cleanup_module(): void {
  spin_lock(dummies_lock);
  while (!list_empty(dummies)) {
    const priv = list_last_entry<dummy_priv>(dummies);
    list_del(priv);
    spin_unlock(dummies_lock);
    unregister_netdev(priv.dev);
    free_netdev(priv.dev);
    heap.free(changetype<usize>(priv));
    spin_lock(dummies_lock);
  }
  spin_unlock(dummies_lock);
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
