// slip: the SLIP line discipline (drivers/net/slip/slip.c, RFC 1055). Put on a serial line with TIOCSETD
// N_SLIP (slattach), it makes a network device sl0, sl1... for the line: IP packets the stack sends it
// go down the line framed with END bytes, END and ESC inside a packet escaped as ESC ESC_END and ESC
// ESC_ESC; bytes the line receives are unescaped and each frame between ENDs goes up to the stack.
//
// As in slip.c: a frame of two bytes or fewer is noise and dropped quietly; one longer than the receive
// buffer (twice the MTU, at least 1152) counts an rx_over_error and is dropped up to the next END; a
// packet longer than the MTU is not sent (tx_dropped). Output the driver cannot take at once is sent from
// write_wakeup as the UART drains. The device goes when the discipline leaves the line.

import {
  alloc_netdev, ARPHRD_SLIP, copy_to_user, dev_alloc_skb, dev_kfree_skb, EFAULT, ENFILE, ENODEV, ENOMEM, ETH_P_IP, free_netdev,
  net_device_ops, NETDEV_STAT_RX_DROPPED, NETDEV_STAT_RX_OVER_ERRORS, NETDEV_STAT_TX_DROPPED, netdev_set_ops, netdev_stats_add,
  NETDEV_TX_OK, netif_rx, netif_start_queue, netif_stop_queue, netif_wake_queue, pr_err, pr_info, pr_warn, register_netdev,
  skb_data, skb_len, skb_put, skb_set_protocol, THIS_MODULE, tty_driver_write, tty_ldisc_ops, tty_register_ldisc,
  tty_unregister_ldisc, unregister_netdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("SLIP (serial line IP) line discipline, after Linux's slip.c");
MODULE_ALIAS("tty-ldisc-1");

export let slip_maxdev: i32 = 256;
module_param(slip_maxdev, int, 0o444);
MODULE_PARM_DESC(slip_maxdev, "Maximum number of slip devices");

const N_SLIP: i32 = 1;
/** RFC 1055's special bytes (octal, as slip.h writes them). */
const END: u8 = 0o300;
const ESC: u8 = 0o333;
const ESC_END: u8 = 0o334;
const ESC_ESC: u8 = 0o335;
const SL_MTU: i32 = 296;
/** SIOCGIFNAME: the line's interface name, into a user buffer of IFNAMSIZ. */
const SIOCGIFNAME: u32 = 0x8910;
const IFNAMSIZ: i32 = 16;
const ENOIOCTLCMD: i32 = 515;

/** struct slip: one line's device and its receive and transmit state. */
class Slip {
  rbuff: Uint8Array = new Uint8Array(max(SL_MTU * 2, 576 * 2));
  rcount: i32 = 0;
  escape: bool = false;
  error: bool = false;
  xbuff: Uint8Array = new Uint8Array(SL_MTU * 2 + 2);
  xhead: i32 = 0;
  xleft: i32 = 0;
  constructor(public tty: u32, public dev: u32, public index: i32) {}
}

const lines = new Array<Slip>();
const ldisc = new tty_ldisc_ops();
const ops = new net_device_ops();

function byTty(tty: u32): Slip | null {
  for (let i = 0; i < lines.length; i++) if (lines[i].tty == tty) return lines[i];
  return null;
}

function byDev(dev: u32): Slip | null {
  for (let i = 0; i < lines.length; i++) if (lines[i].dev == dev) return lines[i];
  return null;
}

/** sl_bump(): a whole frame up to the stack as an IP packet. */
function bump(sl: Slip): void {
  const skb = dev_alloc_skb(<u32>sl.rcount);
  if (skb == 0) {
    netdev_stats_add(sl.dev, NETDEV_STAT_RX_DROPPED, 1);
    return;
  }
  memory.copy(skb_put(skb, <u32>sl.rcount), sl.rbuff.dataStart, <usize>sl.rcount);
  skb_set_protocol(skb, sl.dev, ETH_P_IP);
  netif_rx(skb);
}

/** slip_unesc(): one received byte. */
function unesc(sl: Slip, s: u8): void {
  if (s == END) {
    if (!sl.error && sl.rcount > 2) bump(sl);
    sl.error = false;
    sl.escape = false;
    sl.rcount = 0;
    return;
  }
  if (s == ESC) {
    sl.escape = true;
    return;
  }
  if (s == ESC_ESC && sl.escape) {
    sl.escape = false;
    s = ESC;
  } else if (s == ESC_END && sl.escape) {
    sl.escape = false;
    s = END;
  }
  if (sl.error) return;
  if (sl.rcount < sl.rbuff.length) {
    sl.rbuff[sl.rcount++] = s;
    return;
  }
  netdev_stats_add(sl.dev, NETDEV_STAT_RX_OVER_ERRORS, 1);
  sl.error = true;
}

/** slip_transmit(): more of the frame to the line; once it is all out, the queue goes on. */
function transmit(sl: Slip): void {
  if (sl.xleft <= 0) {
    netif_wake_queue(sl.dev);
    return;
  }
  const actual = tty_driver_write(sl.tty, sl.xbuff.dataStart + <usize>sl.xhead, sl.xleft);
  if (actual < 0) return;
  sl.xleft -= actual;
  sl.xhead += actual;
  if (sl.xleft <= 0) netif_wake_queue(sl.dev);
}

/** sl_encaps() with slip_esc(): the packet framed and escaped, an END before it to flush line noise. */
function encaps(sl: Slip, data: usize, len: i32): void {
  if (len > SL_MTU) {
    pr_warn("sl%d: truncating oversized transmit packet!\n", sl.index);
    netdev_stats_add(sl.dev, NETDEV_STAT_TX_DROPPED, 1);
    netif_wake_queue(sl.dev);
    return;
  }
  let n = 0;
  sl.xbuff[n++] = END;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(data + <usize>i);
    if (c == END || c == ESC) {
      sl.xbuff[n++] = ESC;
      sl.xbuff[n++] = c == END ? ESC_END : ESC_ESC;
    } else sl.xbuff[n++] = c;
  }
  sl.xbuff[n++] = END;
  sl.xhead = 0;
  sl.xleft = n;
  transmit(sl);
}

/** sl_xmit(): the stack's packet; the queue stops until the line has taken all of it. */
function sl_xmit(skb: u32, dev: u32): i32 {
  const sl = byDev(dev);
  if (sl != null) {
    netif_stop_queue(dev);
    encaps(sl, skb_data(skb), <i32>skb_len(skb));
  }
  dev_kfree_skb(skb);
  return NETDEV_TX_OK;
}

function sl_open(dev: u32): i32 {
  if (byDev(dev) == null) return -ENODEV;
  netif_start_queue(dev);
  return 0;
}

function sl_close(dev: u32): i32 {
  const sl = byDev(dev);
  netif_stop_queue(dev);
  if (sl != null) {
    sl.rcount = 0;
    sl.xleft = 0;
  }
  return 0;
}

/** The lowest free slN number, as sl_alloc() takes a free slot of slip_devs[]. */
function freeIndex(): i32 {
  for (let i = 0; i < slip_maxdev; i++) {
    let taken = false;
    for (let j = 0; j < lines.length; j++) if (lines[j].index == i) taken = true;
    if (!taken) return i;
  }
  return -1;
}

/** slip_open(): a device for the line, registered as slN. */
function slip_open(tty: u32): i32 {
  const index = freeIndex();
  if (index < 0) return -ENFILE;
  const dev = alloc_netdev(0, `sl${index}`, ARPHRD_SLIP);
  if (dev == 0) return -ENOMEM;
  netdev_set_ops(dev, ops);
  const err = register_netdev(dev);
  if (err < 0) {
    free_netdev(dev);
    return err;
  }
  lines.push(new Slip(tty, dev, index));
  return 0;
}

/** slip_close(): the line leaves SLIP, and its device goes. */
function slip_close(tty: u32): void {
  const sl = byTty(tty);
  if (sl == null) return;
  lines.splice(lines.indexOf(sl), 1);
  unregister_netdev(sl.dev);
  free_netdev(sl.dev);
}

function slip_receive_buf(tty: u32, cp: usize, fp: usize, count: i32): void {
  const sl = byTty(tty);
  if (sl == null) return;
  for (let i = 0; i < count; i++) unesc(sl, load<u8>(cp + <usize>i));
}

function slip_write_wakeup(tty: u32): void {
  const sl = byTty(tty);
  if (sl != null) transmit(sl);
}

/** slip_ioctl(): SIOCGIFNAME; the termios ioctls are the core's. */
function slip_ioctl(tty: u32, file: u32, cmd: u32, arg: u32): i32 {
  const sl = byTty(tty);
  if (sl == null) return -ENODEV;
  if (cmd != SIOCGIFNAME) return -ENOIOCTLCMD;
  const name = new Uint8Array(IFNAMSIZ);
  const text = `sl${sl.index}`;
  for (let i = 0; i < text.length; i++) name[i] = <u8>text.charCodeAt(i);
  return copy_to_user(arg, name.dataStart, <usize>IFNAMSIZ) != 0 ? -EFAULT : 0;
}

export function init_module(): i32 {
  if (slip_maxdev < 4) slip_maxdev = 4;
  pr_info("SLIP: version 0.8.4-NET3.019-NEWTTY (dynamic channels, max=%d).\n", slip_maxdev);
  ops.ndo_open = sl_open.index;
  ops.ndo_stop = sl_close.index;
  ops.ndo_start_xmit = sl_xmit.index;
  ldisc.owner = THIS_MODULE;
  ldisc.num = N_SLIP;
  ldisc.name = "slip";
  ldisc.open = slip_open.index;
  ldisc.close = slip_close.index;
  ldisc.ioctl = slip_ioctl.index;
  ldisc.receive_buf = slip_receive_buf.index;
  ldisc.write_wakeup = slip_write_wakeup.index;
  const err = tty_register_ldisc(ldisc);
  if (err != 0) pr_err("SLIP: can't register line discipline (err = %d)\n", err);
  return err;
}

export function cleanup_module(): void {
  tty_unregister_ldisc(ldisc);
}
