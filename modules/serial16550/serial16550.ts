// serial16550: an interrupt-driven driver for 16550A UARTs (after drivers/tty/serial/8250): ttyS0 (and,
// with port2, ttyS1) on major 4, minors 64 and 65. Both may share one interrupt line, as COM1 and COM3 do.
//
// Received bytes go from the interrupt handler into a ring buffer and wake readers; writes go into a
// transmit ring that the transmit-empty interrupt drains through THR, a FIFO's worth at a time. The baud
// rate is set by ioctl. Reads wait for data (or give EAGAIN with O_NONBLOCK); poll reports both rings.

import {
  copy_from_user, copy_to_user, device_create, device_destroy, EAGAIN, EBUSY, EFAULT, EINVAL, ENODEV, ENOTTY, ENXIO,
  file_flags, file_get_private, file_operations, file_set_private, free_irq, iminor, inb, init_waitqueue_head,
  IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, O_NONBLOCK,
  outb, poll_wait, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, pr_info, register_chrdev, release_region, request_irq,
  request_region, THIS_MODULE, unregister_chrdev, wait_event_interruptible, wake_up_interruptible,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Interrupt-driven 16550A UART driver");
MODULE_ALIAS("char-major-4-64");

export let port: i32 = 0x3f8;
module_param(port, int, 0o444);
MODULE_PARM_DESC(port, "The UART's I/O base");

export let irq: i32 = 4;
module_param(irq, int, 0o444);
MODULE_PARM_DESC(irq, "The UART's interrupt line");

export let port2: i32 = 0;
module_param(port2, int, 0o444);
MODULE_PARM_DESC(port2, "A second UART's I/O base (0: none)");

export let irq2: i32 = 3;
module_param(irq2, int, 0o444);
MODULE_PARM_DESC(irq2, "The second UART's interrupt line (the same as irq to share it)");

export let baud: i32 = 9600;
module_param(baud, int, 0o444);
MODULE_PARM_DESC(baud, "Initial baud rate (115200 divided by a whole number)");

// Registers (include/uapi/linux/serial_reg.h), as offsets from the base.
const UART_RX: u32 = 0;
const UART_TX: u32 = 0;
const UART_DLL: u32 = 0;
const UART_DLM: u32 = 1;
const UART_IER: u32 = 1;
const UART_IIR: u32 = 2;
const UART_FCR: u32 = 2;
const UART_LCR: u32 = 3;
const UART_MCR: u32 = 4;
const UART_LSR: u32 = 5;
const UART_MSR: u32 = 6;
const UART_SCR: u32 = 7;

const UART_IER_RDI: u32 = 0x01;
const UART_IER_THRI: u32 = 0x02;
const UART_IER_RLSI: u32 = 0x04;
const UART_IIR_NO_INT: u32 = 0x01;
const UART_IIR_ID: u32 = 0x0e;
const UART_IIR_MSI: u32 = 0x00;
const UART_IIR_THRI: u32 = 0x02;
const UART_FCR_ENABLE_FIFO: u32 = 0x01;
const UART_FCR_CLEAR_RCVR: u32 = 0x02;
const UART_FCR_CLEAR_XMIT: u32 = 0x04;
const UART_FCR_TRIGGER_8: u32 = 0x80;
const UART_LCR_WLEN8: u32 = 0x03;
const UART_LCR_DLAB: u32 = 0x80;
const UART_MCR_DTR: u32 = 0x01;
const UART_MCR_RTS: u32 = 0x02;
const UART_MCR_OUT2: u32 = 0x08;
const UART_LSR_DR: u32 = 0x01;
const UART_LSR_OE: u32 = 0x02;
const UART_LSR_THRE: u32 = 0x20;

const BASE_BAUD: i32 = 115200;
const TX_FIFO: i32 = 16;
const TTY_MAJOR: u32 = 4;
const TTYS_MINOR: u32 = 64;
/** dev_id for request_irq: distinct per UART, so free_irq finds the right one on a shared line. */
const DEV_ID: u32 = 0x16550;

/** The driver's ioctls: _IO('S', 1) sets the baud rate from arg, _IO('S', 2) returns it. */
const SERIAL_IOC_SET_BAUD: u32 = (0x53 << 8) | 1;
const SERIAL_IOC_GET_BAUD: u32 = (0x53 << 8) | 2;

/** A byte ring; one slot stays empty so that full and empty differ. */
class Ring {
  buf: Uint8Array;
  head: i32 = 0;
  tail: i32 = 0;
  constructor(size: i32) {
    this.buf = new Uint8Array(size);
  }
  get count(): i32 {
    return (this.head - this.tail + this.buf.length) % this.buf.length;
  }
  get space(): i32 {
    return this.buf.length - 1 - this.count;
  }
  push(b: u8): bool {
    if (this.space == 0) return false;
    this.buf[this.head] = b;
    this.head = (this.head + 1) % this.buf.length;
    return true;
  }
  pop(): u8 {
    const b = this.buf[this.tail];
    this.tail = (this.tail + 1) % this.buf.length;
    return b;
  }
}

/** One UART: its registers, its rings and its wait queues (struct uart_8250_port). */
class Uart {
  rx: Ring = new Ring(4096);
  tx: Ring = new Ring(4096);
  rxq: u32 = init_waitqueue_head();
  txq: u32 = init_waitqueue_head();
  ier: u32 = 0;
  overruns: u32 = 0;
  speed: i32 = 0;

  constructor(public base: u32, public irq: u32, public minor: u32) {}

  in(offset: u32): u32 {
    return inb(this.base + offset);
  }

  out(value: u32, offset: u32): void {
    outb(value, this.base + offset);
  }

  setBaud(rate: i32): i32 {
    if (rate <= 0 || BASE_BAUD % rate != 0) return -EINVAL;
    const divisor = <u32>(BASE_BAUD / rate);
    const lcr = this.in(UART_LCR);
    this.out(lcr | UART_LCR_DLAB, UART_LCR);
    this.out(divisor & 0xff, UART_DLL);
    this.out(divisor >> 8, UART_DLM);
    this.out(lcr & ~UART_LCR_DLAB, UART_LCR);
    this.speed = rate;
    return 0;
  }

  setIer(value: u32): void {
    this.ier = value;
    this.out(value, UART_IER);
  }

  /** Fill the transmit FIFO from the ring; stop asking for THR-empty interrupts once the ring is dry. */
  transmit(): void {
    if ((this.in(UART_LSR) & UART_LSR_THRE) == 0) return;
    for (let i = 0; i < TX_FIFO && this.tx.count > 0; i++) this.out(this.tx.pop(), UART_TX);
    if (this.tx.count == 0) this.setIer(this.ier & ~UART_IER_THRI);
    else if ((this.ier & UART_IER_THRI) == 0) this.setIer(this.ier | UART_IER_THRI);
    wake_up_interruptible(this.txq);
  }

  receive(): void {
    let lsr = this.in(UART_LSR);
    while (lsr & UART_LSR_DR) {
      if (!this.rx.push(<u8>this.in(UART_RX))) this.overruns++;
      lsr = this.in(UART_LSR);
    }
    if (lsr & UART_LSR_OE) this.overruns++;
    wake_up_interruptible(this.rxq);
  }

  /** serial8250_handle_irq(): serve every source the IIR names until it says nothing is pending. */
  handle(): bool {
    let iir = this.in(UART_IIR);
    if (iir & UART_IIR_NO_INT) return false;
    for (let guard = 0; (iir & UART_IIR_NO_INT) == 0 && guard < 64; guard++) {
      const id = iir & UART_IIR_ID;
      if (id == UART_IIR_THRI) this.transmit();
      else if (id == UART_IIR_MSI) this.in(UART_MSR);
      else this.receive();
      iir = this.in(UART_IIR);
    }
    return true;
  }

  /** The scratch register holds what is written to it on a 16450 or later; an empty port reads all ones. */
  probe(): bool {
    this.out(0x55, UART_SCR);
    if (this.in(UART_SCR) != 0x55) return false;
    this.out(0xaa, UART_SCR);
    return this.in(UART_SCR) == 0xaa;
  }

  setup(): i32 {
    this.out(UART_LCR_WLEN8, UART_LCR);
    const err = this.setBaud(baud);
    if (err < 0) return err;
    this.out(UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT | UART_FCR_TRIGGER_8, UART_FCR);
    this.out(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2, UART_MCR);
    this.in(UART_LSR);
    this.in(UART_RX);
    this.in(UART_IIR);
    this.in(UART_MSR);
    return 0;
  }

  shutdown(): void {
    this.out(0, UART_IER);
    this.out(0, UART_MCR);
  }
}

const uarts = new Array<Uart>();
const fops = new file_operations();

function uartOf(file: u32): Uart {
  return uarts[<i32>file_get_private(file)];
}

/** Each UART has its own action on its line (dev_id names it); on a shared line each checks its own IIR. */
function serial_irq(line: i32, dev: u32): i32 {
  for (let i = 0; i < uarts.length; i++) if (DEV_ID + uarts[i].minor == dev) return uarts[i].handle() ? IRQ_HANDLED : IRQ_NONE;
  return IRQ_NONE;
}

function serial_open(inode: u32, file: u32): i32 {
  const minor = <u32>iminor(inode);
  for (let i = 0; i < uarts.length; i++) {
    if (uarts[i].minor == minor) {
      file_set_private(file, <u32>i);
      return 0;
    }
  }
  return -ENXIO;
}

function serial_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const u = uartOf(file);
  if (u.rx.count == 0) {
    if (file_flags(file) & O_NONBLOCK) return -EAGAIN;
    return wait_event_interruptible(u.rxq);
  }
  const n = min(count, u.rx.count);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = u.rx.pop();
  return copy_to_user(ubuf, out.dataStart, <usize>n) != 0 ? -EFAULT : n;
}

function serial_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const u = uartOf(file);
  if (u.tx.space == 0) {
    if (file_flags(file) & O_NONBLOCK) return -EAGAIN;
    return wait_event_interruptible(u.txq);
  }
  const n = min(count, u.tx.space);
  const data = new Uint8Array(n);
  if (copy_from_user(data.dataStart, ubuf, <usize>n) != 0) return -EFAULT;
  for (let i = 0; i < n; i++) u.tx.push(data[i]);
  u.transmit();
  return n;
}

function serial_poll(file: u32, pt: u32): i32 {
  const u = uartOf(file);
  poll_wait(file, u.rxq, pt);
  poll_wait(file, u.txq, pt);
  let mask = 0;
  if (u.rx.count > 0) mask |= POLLIN | POLLRDNORM;
  if (u.tx.space > 0) mask |= POLLOUT | POLLWRNORM;
  return mask;
}

function serial_ioctl(file: u32, cmd: u32, arg: u32): i32 {
  if (cmd == SERIAL_IOC_SET_BAUD) return uartOf(file).setBaud(<i32>arg);
  if (cmd == SERIAL_IOC_GET_BAUD) return uartOf(file).speed;
  return -ENOTTY;
}

/** Claim, probe and set up one UART and its line; on failure everything it took is given back. */
function addPort(base: i32, line: i32, minor: u32): i32 {
  if (!request_region(<u32>base, 8, "serial")) return -EBUSY;
  const u = new Uart(<u32>base, <u32>line, minor);
  let err = u.probe() ? u.setup() : -ENODEV;
  if (err == 0) err = request_irq(<u32>line, serial_irq.index, IRQF_SHARED, "serial", DEV_ID + minor);
  if (err < 0) {
    u.shutdown();
    release_region(<u32>base, 8);
    return err;
  }
  uarts.push(u);
  u.setIer(UART_IER_RDI | UART_IER_RLSI);
  pr_info("serial16550: ttyS%u at I/O 0x%x (irq = %d, base_baud = %d) is a 16550A\n", minor - TTYS_MINOR, base, line, BASE_BAUD);
  return 0;
}

function removePorts(): void {
  for (let i = uarts.length - 1; i >= 0; i--) {
    const u = uarts[i];
    u.shutdown();
    free_irq(u.irq, DEV_ID + u.minor);
    release_region(u.base, 8);
    device_destroy(TTY_MAJOR, u.minor);
    if (u.overruns > 0) pr_info("serial16550: ttyS%u lost %u bytes to overruns\n", u.minor - TTYS_MINOR, u.overruns);
  }
  uarts.length = 0;
}

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.open = serial_open.index;
  fops.read = serial_read.index;
  fops.write = serial_write.index;
  fops.poll = serial_poll.index;
  fops.unlocked_ioctl = serial_ioctl.index;
  let err = addPort(port, irq, TTYS_MINOR);
  if (err == 0 && port2 != 0) err = addPort(port2, irq2, TTYS_MINOR + 1);
  if (err == 0) err = register_chrdev(TTY_MAJOR, "ttyS", fops);
  if (err < 0) {
    removePorts();
    return err;
  }
  for (let i = 0; i < uarts.length; i++) device_create(TTY_MAJOR, uarts[i].minor, `ttyS${uarts[i].minor - TTYS_MINOR}`);
  return 0;
}

export function cleanup_module(): void {
  unregister_chrdev(TTY_MAJOR, "ttyS");
  removePorts();
}
