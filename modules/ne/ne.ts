// ne: the NE1000/NE2000 ISA Ethernet driver (drivers/net/ethernet/8390/ne.c with the 8390 core of
// 8390.c), for one card at io= (default 0x300) on irq= (default 9), registered as eth%d.
//
// The probe checks for a DP8390 at io, resets the card and reads its station address from the PROM by
// remote DMA (word mode when each PROM byte reads doubled, as an NE2000's does). Buffer memory is split
// as Linux splits it: 6 pages of transmit buffer at 0x40, the receive ring from 0x46 to 0x80. A frame
// is sent by remote-DMA write into the transmit buffer and CR.TXP, the queue stopped until the card
// says it is gone (PTX); received frames are read out of the ring by remote DMA, the boundary moved
// past each. A ring overflow (OVW) is recovered as ei_rx_overrun does: the ring drained, OVW cleared.
// The driver keeps its own counters, as 8390.c does, and ndo_get_stats (ei_get_stats) adds the card's
// tally registers (frame alignment, CRC, missed) to them when they are read.

import {
  alloc_etherdev, dev_alloc_skb, dev_kfree_skb, EBUSY, ENODEV, ENOMEM, eth_hw_addr_set, eth_type_trans, free_irq, free_netdev,
  inb, insw, IRQ_HANDLED, LOGLEVEL_INFO, LOGLEVEL_NOTICE, IRQ_NONE, net_device_ops, net_device_stats, NETDEV_TX_BUSY, NETDEV_TX_OK, netdev_set_ops,
  netif_queue_stopped, netif_rx,
  netdev_printk, netif_start_queue, netif_stop_queue, netif_wake_queue, outb, outsw, pr_info, pr_notice, register_netdev, release_region, request_irq,
  request_region, skb_data, skb_len, skb_put, skb_reserve, unregister_netdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("NE1000/NE2000 ISA/PnP Ethernet driver");

export let io: i32 = 0x300;
module_param(io, int, 0);
MODULE_PARM_DESC(io, "I/O base address");
export let irq: i32 = 9;
module_param(irq, int, 0);
MODULE_PARM_DESC(irq, "IRQ number");

const NE_IO_EXTENT: u32 = 0x20;
const NE_DATAPORT: u32 = 0x10;
const NE_RESET: u32 = 0x1f;

// DP8390 registers (8390.h) and their bits.
const E8390_CMD: u32 = 0x00;
const EN0_STARTPG: u32 = 0x01;
const EN0_STOPPG: u32 = 0x02;
const EN0_BOUNDARY: u32 = 0x03;
const EN0_TPSR: u32 = 0x04;
const EN0_TCNTLO: u32 = 0x05;
const EN0_TCNTHI: u32 = 0x06;
const EN0_ISR: u32 = 0x07;
const EN0_RSARLO: u32 = 0x08;
const EN0_RSARHI: u32 = 0x09;
const EN0_RCNTLO: u32 = 0x0a;
const EN0_RCNTHI: u32 = 0x0b;
const EN0_RXCR: u32 = 0x0c;
const EN0_TXCR: u32 = 0x0d;
const EN0_COUNTER0: u32 = 0x0d;
const EN0_DCFG: u32 = 0x0e;
const EN0_IMR: u32 = 0x0f;
const EN0_COUNTER2: u32 = 0x0f;
const EN1_PHYS: u32 = 0x01;
const EN1_CURPAG: u32 = 0x07;
const EN1_MULT: u32 = 0x08;

const E8390_STOP: u32 = 0x01;
const E8390_START: u32 = 0x02;
const E8390_TRANS: u32 = 0x04;
const E8390_RREAD: u32 = 0x08;
const E8390_RWRITE: u32 = 0x10;
const E8390_NODMA: u32 = 0x20;
const E8390_PAGE0: u32 = 0x00;
const E8390_PAGE1: u32 = 0x40;
const E8390_RXCONFIG: u32 = 0x04;
const E8390_RXOFF: u32 = 0x20;
const E8390_TXCONFIG: u32 = 0x00;
const E8390_TXOFF: u32 = 0x02;

const ENISR_RX: u32 = 0x01;
const ENISR_TX: u32 = 0x02;
const ENISR_RX_ERR: u32 = 0x04;
const ENISR_TX_ERR: u32 = 0x08;
const ENISR_OVER: u32 = 0x10;
const ENISR_COUNTERS: u32 = 0x20;
const ENISR_RDC: u32 = 0x40;
const ENISR_RESET: u32 = 0x80;
const ENISR_ALL: u32 = 0x3f;
const ENRSR_RXOK: u32 = 0x01;

/** NESM_START_PG and NESM_STOP_PG: the NE2000's 16 KiB, pages 0x40 to 0x80; TX_PAGES of it to transmit from. */
const NESM_START_PG: u32 = 0x40;
const NESM_STOP_PG: u32 = 0x80;
const TX_PAGES: u32 = 6;
const RX_START_PG: u32 = NESM_START_PG + TX_PAGES;
const ETH_ZLEN: u32 = 60;
const ETH_FRAME_LEN: u32 = 1514;
const MAX_SERVICE: i32 = 12;
/** Polls of ISR for the reset and remote DMA to finish (the card answers at once, or is not there). */
const POLLS: i32 = 1000;

let dev: u32 = 0;
let base: u32 = 0;
let irqLine: u32 = 0;
let irqHeld = false;
const ops = new net_device_ops();
/** dev->stats: what ei_get_stats returns. */
const stats = new net_device_stats();
/** dev is up (netif_running): the card's tally registers are read only then. */
let running = false;
const prom = new Uint8Array(32);
const mac = new Uint8Array(6);
const hdr = new Uint8Array(4);
const frame = new Uint8Array(<i32>ETH_FRAME_LEN + 2);

function reg(r: u32): u32 {
  return inb(base + r);
}

function setReg(value: u32, r: u32): void {
  outb(value, base + r);
}

/** Wait for an ISR bit; false if it never comes. */
function waitIsr(bit: u32): bool {
  for (let i = 0; i < POLLS; i++) if ((reg(EN0_ISR) & bit) != 0) return true;
  return false;
}

/** Point remote DMA at count bytes from addr and start it reading (E8390_RREAD) or writing. */
function remoteDma(addr: u32, count: u32, cmd: u32): void {
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_START, E8390_CMD);
  setReg(count & 0xff, EN0_RCNTLO);
  setReg(count >> 8, EN0_RCNTHI);
  setReg(addr & 0xff, EN0_RSARLO);
  setReg(addr >> 8, EN0_RSARHI);
  setReg(cmd + E8390_START, E8390_CMD);
}

/** ne_block_input(): count bytes of buffer memory at addr into buf, a word at a time, count rounded up. */
function blockInput(addr: u32, count: u32, buf: usize): void {
  remoteDma(addr, (count + 1) & ~1, E8390_RREAD);
  insw(base + NE_DATAPORT, buf, (count + 1) >> 1);
  setReg(ENISR_RDC, EN0_ISR);
}

/** ne_block_output(): count bytes from buf into buffer memory at page start_page. */
function blockOutput(count: u32, buf: usize, startPage: u32): bool {
  setReg(ENISR_RDC, EN0_ISR);
  remoteDma(startPage << 8, (count + 1) & ~1, E8390_RWRITE);
  outsw(base + NE_DATAPORT, buf, (count + 1) >> 1);
  const done = waitIsr(ENISR_RDC);
  setReg(ENISR_RDC, EN0_ISR);
  return done;
}

/** NS8390_init(): the card stopped and set up; started with interrupts on when startp. */
function ns8390Init(startp: bool): void {
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_STOP, E8390_CMD);
  setReg(0x49, EN0_DCFG);
  setReg(0, EN0_RCNTLO);
  setReg(0, EN0_RCNTHI);
  setReg(E8390_RXOFF, EN0_RXCR);
  setReg(E8390_TXOFF, EN0_TXCR);
  setReg(NESM_START_PG, EN0_TPSR);
  setReg(RX_START_PG, EN0_STARTPG);
  setReg(NESM_STOP_PG - 1, EN0_BOUNDARY);
  setReg(NESM_STOP_PG, EN0_STOPPG);
  setReg(0xff, EN0_ISR);
  setReg(0, EN0_IMR);
  setReg(E8390_NODMA + E8390_PAGE1 + E8390_STOP, E8390_CMD);
  for (let i = 0; i < 6; i++) setReg(mac[i], EN1_PHYS + i);
  for (let i = 0; i < 8; i++) setReg(0xff, EN1_MULT + i);
  setReg(RX_START_PG, EN1_CURPAG);
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_STOP, E8390_CMD);
  if (!startp) return;
  setReg(0xff, EN0_ISR);
  setReg(ENISR_ALL, EN0_IMR);
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_START, E8390_CMD);
  setReg(E8390_TXCONFIG, EN0_TXCR);
  setReg(E8390_RXCONFIG, EN0_RXCR);
}

function ei_open(d: u32): i32 {
  ns8390Init(true);
  netif_start_queue(d);
  running = true;
  return 0;
}

function ei_close(d: u32): i32 {
  running = false;
  netif_stop_queue(d);
  ns8390Init(false);
  return 0;
}

/** ei_start_xmit(): one frame at a time into the transmit buffer, the queue stopped until PTX. */
function ei_start_xmit(skb: u32, d: u32): i32 {
  if (netif_queue_stopped(d)) return NETDEV_TX_BUSY;
  const len = skb_len(skb);
  const send = len < ETH_ZLEN ? ETH_ZLEN : len;
  if (len > ETH_FRAME_LEN) {
    dev_kfree_skb(skb);
    return NETDEV_TX_OK;
  }
  memory.fill(frame.dataStart, 0, send);
  memory.copy(frame.dataStart, skb_data(skb), len);
  dev_kfree_skb(skb);
  stats.tx_bytes += send;
  netif_stop_queue(d);
  if (!blockOutput(send, frame.dataStart, NESM_START_PG)) {
    netdev_printk(LOGLEVEL_NOTICE, d, "timeout waiting for Tx RDC.\n", 0, 0, 0, 0, 0, 0);
    ns8390Init(true);
    netif_wake_queue(d);
    return NETDEV_TX_OK;
  }
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_START, E8390_CMD);
  setReg(send & 0xff, EN0_TCNTLO);
  setReg(send >> 8, EN0_TCNTHI);
  setReg(NESM_START_PG, EN0_TPSR);
  setReg(E8390_NODMA + E8390_TRANS + E8390_START, E8390_CMD);
  return NETDEV_TX_OK;
}

/** ei_tx_timeout(): the card reset and the queue started again. */
function ei_tx_timeout(d: u32, txqueue: u32): void {
  ns8390Init(true);
  netif_wake_queue(d);
}

/** ei_receive(): every frame between BNRY+1 and CURR handed up, the boundary moved past it. */
function ei_receive(): void {
  // The ring holds at most one frame a page: that many rounds empty it.
  for (let n: u32 = 0; n < NESM_STOP_PG - RX_START_PG; n++) {
    setReg(E8390_NODMA + E8390_PAGE1, E8390_CMD);
    const curr = reg(EN1_CURPAG);
    setReg(E8390_NODMA + E8390_PAGE0, E8390_CMD);
    let thisFrame = reg(EN0_BOUNDARY) + 1;
    if (thisFrame >= NESM_STOP_PG) thisFrame = RX_START_PG;
    if (thisFrame == curr) break;
    blockInput(thisFrame << 8, 4, hdr.dataStart);
    const status = <u32>hdr[0];
    const next = <u32>hdr[1];
    const count = <u32>hdr[2] | (<u32>hdr[3] << 8);
    const pktLen = count - 4;
    if (next < RX_START_PG || next >= NESM_STOP_PG) {
      // A header that makes no sense: start the ring over, as ei_receive does for a bogus next_frame.
      stats.rx_errors++;
      setReg(curr - 1 < RX_START_PG ? NESM_STOP_PG - 1 : curr - 1, EN0_BOUNDARY);
      break;
    }
    if (count < 4 || pktLen < ETH_ZLEN || pktLen > ETH_FRAME_LEN + 4) {
      stats.rx_errors++;
      stats.rx_length_errors++;
    } else if ((status & 0x0f) == ENRSR_RXOK) {
      receiveOne((thisFrame << 8) + 4, pktLen);
    } else {
      stats.rx_errors++;
    }
    setReg(next - 1 < RX_START_PG ? NESM_STOP_PG - 1 : next - 1, EN0_BOUNDARY);
  }
  setReg(ENISR_RX + ENISR_RX_ERR, EN0_ISR);
}

/** One frame out of the ring (wrapping at the stop page) into a new skb, up the stack. */
function receiveOne(at: u32, len: u32): void {
  const skb = dev_alloc_skb(len + 2);
  if (skb == 0) {
    stats.rx_dropped++;
    return;
  }
  skb_reserve(skb, 2);
  const buf = skb_put(skb, len);
  const ringEnd: u32 = NESM_STOP_PG << 8;
  if (at + len > ringEnd) {
    const first = ringEnd - at;
    blockInput(at, first, buf);
    blockInput(RX_START_PG << 8, len - first, buf + first);
  } else {
    blockInput(at, len, buf);
  }
  eth_type_trans(skb, dev);
  netif_rx(skb);
  stats.rx_packets++;
  stats.rx_bytes += len;
}

/** ei_rx_overrun(): the ring full; drain it and clear OVW so the card receives again. */
function ei_rx_overrun(): void {
  stats.rx_over_errors++;
  ei_receive();
  setReg(ENISR_OVER, EN0_ISR);
}

/** The card's tally counters, which clear as they are read, added to the driver's (page 0 selected). */
function addTallies(): void {
  stats.rx_frame_errors += reg(EN0_COUNTER0);
  stats.rx_crc_errors += reg(EN0_COUNTER0 + 1);
  stats.rx_missed_errors += reg(EN0_COUNTER2);
}

/** ei_get_stats(): the counters, with what the card tallied since, while the card runs. */
function ei_get_stats(d: u32): usize {
  if (running) {
    setReg(E8390_NODMA + E8390_PAGE0, E8390_CMD);
    addTallies();
  }
  return changetype<usize>(stats);
}

/** ei_interrupt(): serve what ISR says, at most MAX_SERVICE rounds. */
function ei_interrupt(line: i32, devId: u32): i32 {
  if (dev == 0) return IRQ_NONE;
  setReg(E8390_NODMA + E8390_PAGE0, E8390_CMD);
  let served = 0;
  for (; served < MAX_SERVICE; served++) {
    const isr = reg(EN0_ISR) & ENISR_ALL;
    if (isr == 0) break;
    if (isr & ENISR_OVER) ei_rx_overrun();
    else if (isr & (ENISR_RX | ENISR_RX_ERR)) ei_receive();
    if (isr & ENISR_TX) {
      setReg(ENISR_TX, EN0_ISR);
      stats.tx_packets++;
      netif_wake_queue(dev);
    }
    if (isr & ENISR_TX_ERR) {
      setReg(ENISR_TX_ERR, EN0_ISR);
      stats.tx_errors++;
      netif_wake_queue(dev);
    }
    if (isr & ENISR_COUNTERS) {
      addTallies();
      setReg(ENISR_COUNTERS, EN0_ISR);
    }
    if (isr & ENISR_RDC) setReg(ENISR_RDC, EN0_ISR);
  }
  return served > 0 ? IRQ_HANDLED : IRQ_NONE;
}

function hex2(b: u8): string {
  const s = (<u32>b).toString(16);
  return s.length < 2 ? "0" + s : s;
}

/** ne_probe1(): a DP8390 at base, reset, its PROM read; -ENODEV when there is none. */
function probe(): i32 {
  const reg0 = reg(0);
  if (reg0 == 0xff) return -ENODEV;
  // A DP8390 clears its counters when page 0's counter register is read: another chip would not.
  setReg(E8390_NODMA + E8390_PAGE1 + E8390_STOP, E8390_CMD);
  const regd = reg(0x0d);
  setReg(0xff, 0x0d);
  setReg(E8390_NODMA + E8390_PAGE0, E8390_CMD);
  reg(EN0_COUNTER0);
  if (reg(EN0_COUNTER0) != 0) {
    setReg(reg0, 0);
    setReg(regd, 0x0d);
    return -ENODEV;
  }
  setReg(reg(NE_RESET), NE_RESET);
  if (!waitIsr(ENISR_RESET)) {
    pr_notice("ne.c: Card failure (no reset ack).\n");
    return -ENODEV;
  }
  setReg(0xff, EN0_ISR);
  // Read the 32 bytes of station address PROM, in word mode.
  setReg(E8390_NODMA + E8390_PAGE0 + E8390_STOP, E8390_CMD);
  setReg(0x49, EN0_DCFG);
  setReg(0, EN0_IMR);
  setReg(0xff, EN0_ISR);
  setReg(E8390_RXOFF, EN0_RXCR);
  setReg(E8390_TXOFF, EN0_TXCR);
  remoteDma(0, 32, E8390_RREAD);
  insw(base + NE_DATAPORT, prom.dataStart, 16);
  setReg(ENISR_RDC, EN0_ISR);
  let wordlength = 2;
  for (let i = 0; i < 32; i += 2) if (prom[i] != prom[i + 1]) wordlength = 1;
  // An NE2000 doubles each PROM byte; its signature is 0x57 0x57 at 14 and 15 once they are halved.
  if (wordlength != 2 || prom[28] != 0x57 || prom[30] != 0x57) {
    pr_notice("ne.c: not an NE2000 at %#x (signature 0x%02x 0x%02x).\n", base, <u32>prom[28], <u32>prom[30]);
    return -ENODEV;
  }
  for (let i = 0; i < 6; i++) mac[i] = prom[2 * i];
  const text = hex2(mac[0]) + ":" + hex2(mac[1]) + ":" + hex2(mac[2]) + ":" + hex2(mac[3]) + ":" + hex2(mac[4]) + ":" + hex2(mac[5]);
  pr_info("NE*000 ethercard probe at %#x: %s\n", base, text);
  return 0;
}

export function init_module(): i32 {
  base = <u32>io;
  irqLine = <u32>irq;
  if (!request_region(base, NE_IO_EXTENT, "ne")) return -EBUSY;
  let err = probe();
  if (err < 0) {
    release_region(base, NE_IO_EXTENT);
    return err;
  }
  dev = alloc_etherdev(0);
  if (dev == 0) {
    release_region(base, NE_IO_EXTENT);
    return -ENOMEM;
  }
  ops.ndo_open = ei_open.index;
  ops.ndo_stop = ei_close.index;
  ops.ndo_start_xmit = ei_start_xmit.index;
  ops.ndo_tx_timeout = ei_tx_timeout.index;
  ops.ndo_get_stats = ei_get_stats.index;
  netdev_set_ops(dev, ops);
  eth_hw_addr_set(dev, mac.dataStart);
  ns8390Init(false);
  err = request_irq(irqLine, ei_interrupt.index, 0, "NE2000", 1);
  if (err == 0) irqHeld = true;
  if (err == 0) err = register_netdev(dev);
  if (err < 0) {
    if (irqHeld) free_irq(irqLine, 1);
    free_netdev(dev);
    dev = 0;
    release_region(base, NE_IO_EXTENT);
    return err;
  }
  netdev_printk(LOGLEVEL_INFO, dev, "NE2000 found at %#x, using IRQ %d.\n", base, irqLine, 0, 0, 0, 0);
  return 0;
}

export function cleanup_module(): void {
  unregister_netdev(dev);
  free_irq(irqLine, 1);
  free_netdev(dev);
  release_region(base, NE_IO_EXTENT);
}
