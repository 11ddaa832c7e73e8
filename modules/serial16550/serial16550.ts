// serial16550: an interrupt-driven tty driver for 16550A UARTs (after drivers/tty/serial/8250): ttyS0 (and,
// with port2, ttyS1) on major 4, minors 64 and 65. Both may share one interrupt line, as COM1 and COM3 do.
//
// The tty core does the rest of a terminal: the interrupt handler hands received bytes to the line's
// discipline (tty_insert_flip_string, tty_flip_buffer_push); the core's writes go into a transmit ring
// that the transmit-empty interrupt drains through THR, a FIFO's worth at a time, telling the core when it
// has room again. The baud rate follows the termios' c_cflag (stty 115200).

import {
  EBUSY, EINVAL, ENODEV, free_irq, inb, IRQ_HANDLED, IRQ_NONE, IRQF_SHARED, outb, pr_info, release_region, request_irq, request_region,
  THIS_MODULE, tty_driver, tty_encode_baud_rate, tty_flip_buffer_push, tty_get_baud_rate, tty_index, tty_insert_flip_string,
  tty_operations, tty_port_register_device, tty_port_tty_wakeup, tty_port_unregister_device, tty_register_driver,
  tty_unregister_driver,
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
/** uart_write_wakeup() once fewer than this many bytes wait to be sent. */
const WAKEUP_CHARS: i32 = 256;
const TTY_MAJOR: u32 = 4;
const TTYS_MINOR: u32 = 64;
/** The lines this driver may have, and the termios they start with: B9600 | CS8 | CREAD | HUPCL | CLOCAL. */
const NR_UARTS: u32 = 2;
const INIT_CFLAG: u32 = 0o15 | 0o60 | 0o200 | 0o2000 | 0o4000;
const TTY_DRIVER_TYPE_SERIAL: u32 = 3;
const INITIAL_BAUD: i32 = 9600;
/** dev_id for request_irq: distinct per UART, so free_irq finds the right one on a shared line. */
const DEV_ID: u32 = 0x16550;

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

/** One UART: its registers, its transmit ring and its tty port (struct uart_8250_port). */
class Uart {
  tx: Ring = new Ring(4096);
  rx: Uint8Array = new Uint8Array(TX_FIFO * 4);
  port: u32 = 0;
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
  }

  /** serial8250_tx_chars(): more from the ring, and the tty core told once the ring runs low (WAKEUP_CHARS). */
  transmitted(): void {
    this.transmit();
    if (this.port != 0 && this.tx.count < WAKEUP_CHARS) tty_port_tty_wakeup(this.port);
  }

  /** serial8250_rx_chars(): what the FIFO holds, to the tty core, a buffer's worth at a time. */
  receive(): void {
    let lsr = this.in(UART_LSR);
    let n = 0;
    while (lsr & UART_LSR_DR) {
      this.rx[n++] = <u8>this.in(UART_RX);
      if (n == this.rx.length) n = this.flip(n);
      lsr = this.in(UART_LSR);
    }
    if (lsr & UART_LSR_OE) this.overruns++;
    this.flip(n);
    tty_flip_buffer_push(this.port);
  }

  private flip(n: i32): i32 {
    if (n > 0) this.overruns += <u32>(n - tty_insert_flip_string(this.port, this.rx.dataStart, n));
    return 0;
  }

  /** serial8250_handle_irq(): serve every source the IIR names until it says nothing is pending. */
  handle(): bool {
    let iir = this.in(UART_IIR);
    if (iir & UART_IIR_NO_INT) return false;
    for (let guard = 0; (iir & UART_IIR_NO_INT) == 0 && guard < 64; guard++) {
      const id = iir & UART_IIR_ID;
      if (id == UART_IIR_THRI) this.transmitted();
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
    const err = this.setBaud(INITIAL_BAUD);
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
const driver = new tty_driver();
const ops = new tty_operations();

function uartOf(tty: u32): Uart {
  const minor = TTYS_MINOR + <u32>tty_index(tty);
  for (let i = 0; i < uarts.length; i++) if (uarts[i].minor == minor) return uarts[i];
  return unreachable();
}

/** Each UART has its own action on its line (dev_id names it); on a shared line each checks its own IIR. */
function serial_irq(line: i32, dev: u32): i32 {
  for (let i = 0; i < uarts.length; i++) if (DEV_ID + uarts[i].minor == dev) return uarts[i].handle() ? IRQ_HANDLED : IRQ_NONE;
  return IRQ_NONE;
}

/** uart_change_speed(): the rate the termios asks for, or (one the divisor cannot make) the old one kept and reported. */
function serial_set_termios(tty: u32): void {
  const u = uartOf(tty);
  if (u.setBaud(tty_get_baud_rate(tty)) < 0) tty_encode_baud_rate(tty, u.speed, u.speed);
}

function serial_open(tty: u32): i32 {
  serial_set_termios(tty);
  return 0;
}

function serial_write(tty: u32, buf: usize, count: i32): i32 {
  const u = uartOf(tty);
  const n = min(count, u.tx.space);
  for (let i = 0; i < n; i++) u.tx.push(load<u8>(buf + <usize>i));
  u.transmit();
  return n;
}

function serial_write_room(tty: u32): i32 {
  return uartOf(tty).tx.space;
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
  pr_info("serial16550: ttyS%u at I/O 0x%x (irq = %d, base_baud = %d) is a 16550A\n", minor - TTYS_MINOR, base, line, BASE_BAUD);
  return 0;
}

/** Each UART found becomes a line of the driver: its port and /dev/ttySn; then its receive interrupt goes on. */
function addLines(): i32 {
  for (let i = 0; i < uarts.length; i++) {
    const u = uarts[i];
    const port = tty_port_register_device(driver, u.minor - TTYS_MINOR);
    if (port < 0) return port;
    u.port = <u32>port;
    u.setIer(UART_IER_RDI | UART_IER_RLSI);
  }
  return 0;
}

function removePorts(): void {
  for (let i = uarts.length - 1; i >= 0; i--) {
    const u = uarts[i];
    u.shutdown();
    free_irq(u.irq, DEV_ID + u.minor);
    release_region(u.base, 8);
    if (u.port != 0) tty_port_unregister_device(u.port);
    if (u.overruns > 0) pr_info("serial16550: ttyS%u lost %u bytes to overruns\n", u.minor - TTYS_MINOR, u.overruns);
  }
  uarts.length = 0;
}

export function init_module(): i32 {
  driver.owner = THIS_MODULE;
  driver.driver_name = "serial";
  driver.name = "ttyS";
  driver.major = TTY_MAJOR;
  driver.minor_start = TTYS_MINOR;
  driver.num = NR_UARTS;
  driver.type = TTY_DRIVER_TYPE_SERIAL;
  driver.init_cflag = INIT_CFLAG;
  ops.open = serial_open.index;
  ops.write = serial_write.index;
  ops.write_room = serial_write_room.index;
  ops.set_termios = serial_set_termios.index;
  let err = addPort(port, irq, TTYS_MINOR);
  if (err == 0 && port2 != 0) err = addPort(port2, irq2, TTYS_MINOR + 1);
  let registered = false;
  if (err == 0) {
    err = tty_register_driver(driver, ops);
    registered = err == 0;
  }
  if (err == 0) err = addLines();
  if (err < 0) {
    removePorts();
    if (registered) tty_unregister_driver(driver);
    return err;
  }
  return 0;
}

export function cleanup_module(): void {
  removePorts();
  tty_unregister_driver(driver);
}
