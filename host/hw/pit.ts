// The PC's interval timer: channel 0 of an Intel 8254 at ports 0x40-0x43, wired to IRQ 0.
//
// The control word at 0x43 selects channel 0, how its count is accessed (latch, low byte, high byte, or low
// then high) and the mode; the count goes to 0x40. Modes 2 (rate generator) and 3 (square wave) are
// modelled, the two a PC uses for its tick: either gives one rising edge on the output, so one interrupt,
// per count of the 1.193182 MHz input clock. An edge reaches the level-triggered IrqSink as assert then
// deassert. Channels 1 and 2, BCD counting, the read-back command and modes 0, 1, 4 and 5 are not modelled:
// their ports read as all ones and a control word asking for them is ignored.

import type { IoDevice, IrqSink } from "./bus.js";

export const PIT_TICK_RATE = 1193182;

const ACCESS_LATCH = 0;
const ACCESS_LO = 1;
const ACCESS_HI = 2;
const ACCESS_LOHI = 3;

export class Pit implements IoDevice {
  readonly kind = "pit";
  readonly size = 4;
  private access = ACCESS_LOHI;
  private mode = 0;
  /** The reload value (0 means 65536), and the half of a lo/hi write or read in progress. */
  private reload = 0;
  private writeHigh = false;
  private readHigh = false;
  private latched: number | null = null;
  /** Input clocks into the current period, fractional. */
  private phase = 0;
  private running = false;

  constructor(
    readonly base: number,
    private readonly irq: IrqSink,
  ) {}

  private period(): number {
    return this.reload === 0 ? 0x10000 : this.reload;
  }

  /** The count as the counter holds it now: down from the reload value. */
  private count(): number {
    return this.running ? (this.period() - Math.floor(this.phase)) & 0xffff : this.reload;
  }

  /** Byte-wide like the chip: a wider access reads the same byte. */
  read(offset: number, _width?: 1 | 2 | 4): number {
    if (offset !== 0) return 0xff;
    const value = this.latched ?? this.count();
    const low = this.access === ACCESS_LO || (this.access === ACCESS_LOHI && !this.readHigh) || (this.access === ACCESS_LATCH && !this.readHigh);
    const byte = low ? value & 0xff : (value >> 8) & 0xff;
    if (this.access === ACCESS_LOHI || this.latched !== null) {
      this.readHigh = !this.readHigh;
      if (!this.readHigh) this.latched = null;
    }
    return byte;
  }

  write(offset: number, value: number, _width?: 1 | 2 | 4): void {
    if (offset === 3) return this.control(value & 0xff);
    if (offset !== 0) return;
    const v = value & 0xff;
    if (this.access === ACCESS_LO) this.load(v);
    else if (this.access === ACCESS_HI) this.load(v << 8);
    else if (!this.writeHigh) {
      this.reload = (this.reload & 0xff00) | v;
      this.writeHigh = true;
    } else {
      this.writeHigh = false;
      this.load((this.reload & 0xff) | (v << 8));
    }
  }

  private control(cw: number): void {
    if (cw >> 6 !== 0 || cw & 1) return;
    const access = (cw >> 4) & 3;
    if (access === ACCESS_LATCH) {
      this.latched = this.count();
      this.readHigh = false;
      return;
    }
    const mode = (cw >> 1) & 7;
    this.mode = mode & 3;
    this.access = access;
    this.writeHigh = this.readHigh = false;
    this.running = false;
  }

  private load(value: number): void {
    this.reload = value & 0xffff;
    this.phase = 0;
    this.running = this.mode === 2 || this.mode === 3;
  }

  /** Count down at the input clock; each completed period is one edge on the output, so one interrupt. */
  tick(ns: number): void {
    if (!this.running) return;
    this.phase += (ns * PIT_TICK_RATE) / 1e9;
    const period = this.period();
    while (this.phase >= period) {
      this.phase -= period;
      this.irq(true);
      this.irq(false);
    }
  }
}
