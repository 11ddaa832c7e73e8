// A 16550A UART (TI PC16550D datasheet; Linux's include/uapi/linux/serial_reg.h names the bits).
//
// Eight byte-wide registers at base+0..7, with the divisor latch behind DLAB; 16-byte receive and transmit
// FIFOs when FCR enables them (else one-byte holding registers); the four interrupt sources in the
// datasheet's priority; the IRQ output gated by MCR's OUT2 as on a PC. The far end of the line types into
// the receiver and collects what the transmitter sends, or is another UART on a null-modem cable (a wire,
// host/hw/wire.ts). Timing: "instant" (the default) moves characters
// at once and counts the character timeout as already run out; "baud" moves one character per character
// time at the divisor's rate, driven by the simulated clock.

import type { IoDevice, IrqSink } from "./bus.js";
import { plugCable, type WirePort } from "./wire.js";

const FIFO = 16;
/** The bytes a null-modem cable holds for a receiver that has not caught up. */
const CABLE_MAX = 65536;
const CLOCK_BAUD = 115200;

const LSR_DR = 0x01;
const LSR_OE = 0x02;
const LSR_PE = 0x04;
const LSR_FE = 0x08;
const LSR_BI = 0x10;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const LSR_FIFOERR = 0x80;
const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const IER_MSI = 0x08;

const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_TIMEOUT = 0x0c;
const IIR_FIFOS = 0xc0;

const LCR_DLAB = 0x80;
const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOP = 0x10;

const TRIGGERS = [1, 4, 8, 14];

export interface Uart16550Options {
  readonly base: number;
  readonly irq: IrqSink;
  readonly timing?: "instant" | "baud";
  /** A null-modem cable to another UART: a name in this process, or udp:LPORT:127.0.0.1:PPORT. */
  readonly line?: string;
}

interface ModemInputs {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

export class Uart16550 implements IoDevice {
  readonly kind = "uart16550";
  readonly base: number;
  readonly size = 8;
  private readonly sink: IrqSink;
  private readonly timing: "instant" | "baud";

  private rx: number[] = [];
  private tx: number[] = [];
  /** A byte in the transmit shift register, for TEMT (baud timing only). */
  private shifting = false;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private scr = 0;
  private fifos = false;
  private trigger = 1;
  /** Error bits waiting for a read of LSR (the receiver line status interrupt). */
  private errors = 0;
  /** The THR-empty interrupt: set when THR empties (or ETBEI is enabled while it is), cleared by IIR or THR. */
  private thri = false;
  private timeout = false;
  private msrDelta = 0;
  private inputs: ModemInputs = { cts: false, dsr: false, ri: false, dcd: false };
  private output: number[] = [];
  /** The null-modem cable to the UART that receives what this one sends; null: collected for readOutput. */
  private readonly line: WirePort | null;
  /** What the cable holds for this UART until its receive FIFO has room (RTS/CTS flow control), bounded. */
  private cable: number[] = [];
  private incoming: number[] = [];
  /** Nanoseconds into the current character time (baud timing). */
  private txClock = 0;
  private rxClock = 0;
  private idleNs = 0;
  private asserted = false;

  constructor(opts: Uart16550Options) {
    this.base = opts.base;
    this.sink = opts.irq;
    this.timing = opts.timing ?? "instant";
    this.line = opts.line === undefined ? null : plugCable(opts.line, (bytes) => this.fromCable(bytes));
  }

  /** Unplug the cable (the UART is detached). */
  close(): void {
    this.line?.close();
  }

  // The far end of the line.

  type(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (this.timing === "baud") this.incoming.push(...bytes);
    // One character at a time, each raising its interrupt, so a driver keeps up as it would on a real line.
    else for (const b of bytes) {
      this.receive(b);
      this.update();
    }
    this.update();
  }

  readOutput(): Uint8Array {
    const out = new Uint8Array(this.output);
    this.output = [];
    return out;
  }

  setModemInputs(inputs: Partial<ModemInputs>): void {
    const before = this.msrInputs();
    this.inputs = { ...this.inputs, ...inputs };
    this.noteModemChange(before);
    this.update();
  }

  /** A parity or framing error, or a break, on the next received character (here: now, on the line status). */
  injectError(kind: "parity" | "framing" | "break"): void {
    this.errors |= kind === "parity" ? LSR_PE : kind === "framing" ? LSR_FE : LSR_BI;
    this.update();
  }

  // The bus side.

  read(offset: number, _width?: 1 | 2 | 4): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    let value: number;
    switch (offset & 7) {
      case 0: value = dlab ? this.dll : this.readRbr(); break;
      case 1: value = dlab ? this.dlm : this.ier; break;
      case 2: value = this.readIir(); break;
      case 3: value = this.lcr; break;
      case 4: value = this.mcr; break;
      case 5: value = this.readLsr(); break;
      case 6: value = this.readMsr(); break;
      default: value = this.scr;
    }
    this.update();
    return value;
  }

  /** Byte-wide: a wider access acts on its low byte, as the chip sees only D0-D7. */
  write(offset: number, value: number, _width?: 1 | 2 | 4): void {
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset & 7) {
      case 0: if (dlab) this.dll = v; else this.writeThr(v); break;
      case 1: if (dlab) this.dlm = v; else this.writeIer(v); break;
      case 2: this.writeFcr(v); break;
      case 3: this.lcr = v; break;
      case 4: this.writeMcr(v); break;
      case 7: this.scr = v; break;
      default: break;
    }
    this.update();
  }

  tick(ns: number): void {
    if (this.timing === "baud") {
      this.runTransmitter(ns);
      this.runReceiver(ns);
      if (this.rx.length > 0 && this.fifos && (this.idleNs += ns) >= 4 * this.charNs()) this.timeout = true;
    }
    this.update();
  }

  /** The length of one character on the line: start, data, parity and stop bits at the divisor's rate. */
  private charNs(): number {
    const divisor = (this.dlm << 8 | this.dll) || 0x10000;
    const bits = 1 + 5 + (this.lcr & 3) + (this.lcr & 0x08 ? 1 : 0) + (this.lcr & 0x04 ? 2 : 1);
    return (bits * 1e9 * divisor) / CLOCK_BAUD;
  }

  private depth(): number {
    return this.fifos ? FIFO : 1;
  }

  private receive(b: number): void {
    if (this.rx.length >= this.depth()) {
      this.errors |= LSR_OE;
      return;
    }
    this.rx.push(b);
    this.idleNs = 0;
    this.timeout = this.timing === "instant" && this.fifos;
  }

  private readRbr(): number {
    const b = this.rx.shift() ?? 0;
    this.drainCable();
    this.timeout = this.timing === "instant" && this.fifos && this.rx.length > 0;
    this.idleNs = 0;
    return b;
  }

  private writeThr(v: number): void {
    this.thri = false;
    if ((this.mcr & MCR_LOOP) !== 0) {
      this.receive(v);
      this.thri = true;
      return;
    }
    if (this.tx.length >= this.depth()) return;
    this.tx.push(v);
    if (this.timing === "instant") this.flushTransmitter();
  }

  private flushTransmitter(): void {
    const sent = this.tx;
    this.tx = [];
    this.send(sent);
    this.thri = true;
  }

  private send(bytes: number[]): void {
    if (!this.line) this.output.push(...bytes);
    else this.line.send(Uint8Array.from(bytes));
  }

  /** Bytes from the peer: as many as the FIFO takes now, the rest as it is read; past CABLE_MAX, overruns. */
  private fromCable(bytes: Uint8Array): void {
    const room = CABLE_MAX - this.cable.length;
    this.cable.push(...bytes.subarray(0, Math.max(0, room)));
    if (bytes.length > room) this.errors |= LSR_OE;
    this.drainCable();
  }

  private drainCable(): void {
    while (this.cable.length > 0 && this.rx.length < this.depth()) {
      this.receive(this.cable.shift()!);
      this.update();
    }
  }

  private runTransmitter(ns: number): void {
    if (this.tx.length === 0 && !this.shifting) return;
    this.txClock += ns;
    const charNs = this.charNs();
    while (this.txClock >= charNs && (this.tx.length > 0 || this.shifting)) {
      this.txClock -= charNs;
      if (this.shifting) this.shifting = false;
      const next = this.tx.shift();
      if (next === undefined) continue;
      this.send([next]);
      this.shifting = this.tx.length > 0;
      if (this.tx.length === 0) this.thri = true;
    }
    if (this.tx.length === 0 && !this.shifting) this.txClock = 0;
  }

  private runReceiver(ns: number): void {
    if (this.incoming.length === 0) return;
    this.rxClock += ns;
    const charNs = this.charNs();
    while (this.rxClock >= charNs && this.incoming.length > 0) {
      this.rxClock -= charNs;
      this.receive(this.incoming.shift()!);
      this.update();
    }
    if (this.incoming.length === 0) this.rxClock = 0;
  }

  private writeIer(v: number): void {
    const was = this.ier;
    this.ier = v & 0x0f;
    // Enabling ETBEI while THR is empty raises the THR-empty interrupt at once (datasheet, IER bit 1).
    if (this.ier & IER_THRI && !(was & IER_THRI) && this.tx.length === 0) this.thri = true;
  }

  private writeFcr(v: number): void {
    const enable = (v & 1) !== 0;
    if (enable !== this.fifos) {
      this.rx = [];
      this.tx = [];
    }
    this.fifos = enable;
    if (v & 0x02) {
      this.rx = [];
      this.timeout = false;
    }
    if (v & 0x04) this.tx = [];
    this.trigger = TRIGGERS[(v >> 6) & 3]!;
  }

  private writeMcr(v: number): void {
    const before = this.msrInputs();
    this.mcr = v & 0x1f;
    this.noteModemChange(before);
  }

  /** The four modem inputs as MSR bits 4-7; in loopback they are the modem outputs (RTS, DTR, OUT1, OUT2). */
  private msrInputs(): number {
    if (this.mcr & MCR_LOOP) {
      return (this.mcr & MCR_RTS ? 0x10 : 0) | (this.mcr & MCR_DTR ? 0x20 : 0) | (this.mcr & MCR_OUT1 ? 0x40 : 0) | (this.mcr & MCR_OUT2 ? 0x80 : 0);
    }
    const i = this.inputs;
    return (i.cts ? 0x10 : 0) | (i.dsr ? 0x20 : 0) | (i.ri ? 0x40 : 0) | (i.dcd ? 0x80 : 0);
  }

  /** The delta bits: CTS, DSR and DCD on any change, TERI when RI goes from on to off. */
  private noteModemChange(before: number): void {
    const after = this.msrInputs();
    const changed = before ^ after;
    this.msrDelta |= (changed & 0x10 ? 0x01 : 0) | (changed & 0x20 ? 0x02 : 0) | (changed & 0x80 ? 0x08 : 0);
    if (before & 0x40 && !(after & 0x40)) this.msrDelta |= 0x04;
  }

  private readMsr(): number {
    const v = this.msrInputs() | this.msrDelta;
    this.msrDelta = 0;
    return v;
  }

  private lsr(): number {
    let v = this.errors;
    if (this.rx.length > 0) v |= LSR_DR;
    if (this.tx.length === 0) v |= LSR_THRE;
    if (this.tx.length === 0 && !this.shifting) v |= LSR_TEMT;
    if (this.fifos && this.errors & (LSR_PE | LSR_FE | LSR_BI)) v |= LSR_FIFOERR;
    return v;
  }

  private readLsr(): number {
    const v = this.lsr();
    this.errors = 0;
    return v;
  }

  /** The highest-priority pending source, as IIR bits 3:0. */
  private pending(): number {
    if (this.ier & IER_RLSI && this.errors & LSR_ERRORS) return IIR_RLSI;
    if (this.ier & IER_RDI && this.rx.length >= (this.fifos ? this.trigger : 1)) return IIR_RDI;
    if (this.ier & IER_RDI && this.fifos && this.timeout && this.rx.length > 0) return IIR_TIMEOUT;
    if (this.ier & IER_THRI && this.thri) return IIR_THRI;
    if (this.ier & IER_MSI && this.msrDelta) return IIR_MSI;
    return IIR_NO_INT;
  }

  private readIir(): number {
    const id = this.pending();
    if (id === IIR_THRI) this.thri = false;
    return id | (this.fifos ? IIR_FIFOS : 0);
  }

  /** Drive the IRQ output: an enabled source pending, and OUT2 on (and not looped back) to let it out. */
  private update(): void {
    const out2 = (this.mcr & MCR_OUT2) !== 0 && (this.mcr & MCR_LOOP) === 0;
    const asserted = out2 && this.pending() !== IIR_NO_INT;
    if (asserted === this.asserted) return;
    this.asserted = asserted;
    this.sink(asserted);
  }
}
