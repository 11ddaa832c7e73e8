// ticker: counts the interrupts of the PC's interval timer (an 8254 at ports 0x40-0x43 on IRQ 0, programmed
// as a rate generator at `hz`), shows the count in /dev/ticker, and keeps a kernel timer as a watchdog
// that complains when a second goes by without a tick.

import {
  copy_to_user, del_timer, device_create, device_destroy, EFAULT, file_operations, free_irq, get_jiffies, HZ,
  IRQ_HANDLED, mod_timer, outb, pr_info, pr_warn, register_chrdev, release_region, request_irq, request_region,
  timer_setup, THIS_MODULE, unregister_chrdev, EBUSY, EINVAL,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Counts the interval timer's interrupts");

export let hz: i32 = 100;
module_param(hz, int, 0o444);
MODULE_PARM_DESC(hz, "Interrupts a second to program the PIT for (19 to 1193182)");

export let irq: i32 = 0;
module_param(irq, int, 0o444);
MODULE_PARM_DESC(irq, "The PIT's interrupt line");

const PIT_BASE: u32 = 0x40;
const PIT_CH0: u32 = 0x40;
const PIT_MODE: u32 = 0x43;
/** The 8254's input clock, Hz. */
const PIT_TICK_RATE: i32 = 1193182;
/** Channel 0, lobyte/hibyte, mode 2 (rate generator), binary. */
const PIT_MODE2: u32 = 0x34;
const DEV_ID: u32 = 1;

let ticks: u32 = 0;
let ticksAtLastCheck: u32 = 0;
let watchdog: u32 = 0;
let major: u32 = 0;
const fops = new file_operations();

function ticker_irq(line: i32, dev: u32): i32 {
  ticks++;
  return IRQ_HANDLED;
}

function ticker_watchdog(data: u32): void {
  if (ticks == ticksAtLastCheck) pr_warn("ticker: no interrupt from the PIT for a second\n");
  ticksAtLastCheck = ticks;
  mod_timer(watchdog, get_jiffies() + <u32>HZ);
}

/** The count as text, read once from offset 0 (a read past it is end of file). */
function ticker_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const text = String.UTF8.encode(`${ticks}\n`);
  const n = min(count, text.byteLength - pos);
  if (n <= 0) return 0;
  if (copy_to_user(ubuf, changetype<usize>(text) + <usize>pos, <usize>n) != 0) return -EFAULT;
  return n;
}

export function init_module(): i32 {
  if (hz < 19 || hz > PIT_TICK_RATE) return -EINVAL;
  if (!request_region(PIT_BASE, 4, "timer0")) return -EBUSY;
  const divisor = PIT_TICK_RATE / hz;
  outb(PIT_MODE2, PIT_MODE);
  outb(<u32>divisor & 0xff, PIT_CH0);
  outb(<u32>(divisor >> 8) & 0xff, PIT_CH0);
  let err = request_irq(<u32>irq, ticker_irq.index, 0, "ticker", DEV_ID);
  if (err < 0) {
    release_region(PIT_BASE, 4);
    return err;
  }
  fops.owner = THIS_MODULE;
  fops.read = ticker_read.index;
  err = register_chrdev(0, "ticker", fops);
  if (err < 0) {
    free_irq(<u32>irq, DEV_ID);
    release_region(PIT_BASE, 4);
    return err;
  }
  major = <u32>err;
  device_create(major, 0, "ticker");
  watchdog = timer_setup(ticker_watchdog.index, 0);
  mod_timer(watchdog, get_jiffies() + <u32>HZ);
  pr_info("ticker: PIT at %d Hz on irq %d, /dev/ticker on major %u\n", hz, irq, major);
  return 0;
}

export function cleanup_module(): void {
  del_timer(watchdog);
  device_destroy(major, 0);
  unregister_chrdev(major, "ticker");
  free_irq(<u32>irq, DEV_ID);
  release_region(PIT_BASE, 4);
  pr_info("ticker: stopped after %u ticks\n", ticks);
}
