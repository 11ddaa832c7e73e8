// An NE2000-compatible ISA Ethernet card: a National DP8390 network controller with 16 KiB of buffer
// memory (pages 0x40-0x7f), its station address PROM at 0x0000, a data port for remote DMA at base+0x10
// and a reset port at base+0x1f, as QEMU's ne2000 emulates it.
//
//   base+0x00-0x0f  DP8390 registers, in the page CR's PS bits select (0: DMA and status, 1: PAR, CURR, MAR)
//   base+0x10       data port: remote DMA reads and writes of buffer memory, bytes or words (DCR.WTS)
//   base+0x1f       reset: reading it resets the card (ISR.RST)
//
// Received frames that pass the address filter are written into the receive ring between PSTART and
// PSTOP, each behind a 4-byte header (status, next page, length); a frame that does not fit before BNRY
// sets ISR.OVW and is dropped (counted in CNTR2, missed) until the driver clears OVW. Transmit (CR.TXP)
// sends TBCR bytes from page TPSR to the wire at once. INTR is ISR & IMR. Timing is instant.

import type { IoDevice, IrqSink } from "./bus.js";
import { plug, WIRE_MTU, type WirePort } from "./wire.js";

const MEM_START = 0x4000;
const MEM_SIZE = 0x8000;
/** The frame sizes the card puts on a wire: short frames are padded, as the MAC pads them. */
const ETH_ZLEN = 60;

// Command register (CR) bits.
const CR_STP = 0x01;
const CR_STA = 0x02;
const CR_TXP = 0x04;
const CR_RD_READ = 0x08;
const CR_RD_WRITE = 0x10;
const CR_RD_MASK = 0x38;
// Interrupt status (ISR) bits.
const ISR_PRX = 0x01;
const ISR_PTX = 0x02;
const ISR_OVW = 0x10;
const ISR_CNT = 0x20;
const ISR_RDC = 0x40;
const ISR_RST = 0x80;
// Receive configuration (RCR) bits, and status.
const RCR_AB = 0x04;
const RCR_AM = 0x08;
const RCR_PRO = 0x10;
const RSR_PRX = 0x01;
const TSR_PTX = 0x01;
const DCR_WTS = 0x01;

export interface Ne2000Options {
  readonly base: number;
  readonly irq: IrqSink;
  readonly mac: Uint8Array;
  /** The wire: a name in this process, or udp:LPORT:127.0.0.1:PPORT. */
  readonly net: string;
}

export class Ne2000 implements IoDevice {
  readonly kind = "ne2000";
  readonly base: number;
  readonly size = 0x20;
  readonly mac: Uint8Array;
  /** PROM (0x00-0x1f) and buffer memory (0x4000-0x7fff). */
  private readonly mem = new Uint8Array(MEM_SIZE);
  private readonly sink: IrqSink;
  private readonly port: WirePort;
  private asserted = false;

  private cr = CR_STP | 0x20;
  private isr = ISR_RST;
  private imr = 0;
  private dcr = 0;
  private rcr = 0;
  private tcr = 0;
  private pstart = 0x4c;
  private pstop = 0x80;
  private bnry = 0x4c;
  private curr = 0x4c;
  private tpsr = 0x40;
  private tbcr = 0;
  private rsar = 0;
  private rbcr = 0;
  private rsr = 0;
  private tsr = 0;
  private readonly par = new Uint8Array(6);
  private readonly mar = new Uint8Array(8);
  /** Tally counters: frame alignment errors, CRC errors, missed packets. */
  private readonly cntr = [0, 0, 0];
  /** Frames sent and received over the wire, and received ones dropped (ring full, stopped, filtered). */
  readonly counts = { sent: 0, received: 0, missed: 0 };

  constructor(o: Ne2000Options) {
    this.base = o.base;
    this.sink = o.irq;
    this.mac = o.mac.slice();
    // The PROM as an NE2000 in word mode reads it: each of its 16 bytes doubled, 0x57 ('W') at 14 and 15.
    for (let i = 0; i < 6; i++) this.mem[2 * i] = this.mem[2 * i + 1] = this.mac[i]!;
    this.mem[0x1c] = this.mem[0x1d] = this.mem[0x1e] = this.mem[0x1f] = 0x57;
    this.port = plug(o.net, (frame) => this.receive(frame));
  }

  close(): void {
    this.port.close();
  }

  read(offset: number, width: 1 | 2 | 4): number {
    if (offset === 0x10) return this.dataRead(width);
    if (offset === 0x1f) {
      this.reset();
      return 0;
    }
    if (offset >= 0x10) return 0xff;
    if (offset === 0) return this.cr;
    const page = this.cr >> 6;
    if (page === 1) return offset === 7 ? this.curr : offset <= 6 ? this.par[offset - 1]! : this.mar[offset - 8]!;
    if (page === 2) return ({ 1: this.pstart, 2: this.pstop, 4: this.tpsr, 0xc: this.rcr, 0xd: this.tcr, 0xe: this.dcr, 0xf: this.imr } as Record<number, number>)[offset] ?? 0xff;
    switch (offset) {
      case 3: return this.bnry;
      case 4: return this.tsr;
      case 7: return this.isr;
      case 8: return this.rsar & 0xff;
      case 9: return this.rsar >> 8;
      case 0xa: return 0x50; // the RTL8029's ID bytes, 'P' and 'C', as QEMU's card answers
      case 0xb: return 0x43;
      case 0xc: return this.rsr;
      case 0xd: case 0xe: case 0xf: {
        const v = this.cntr[offset - 0xd]!;
        this.cntr[offset - 0xd] = 0;
        this.isr &= ~ISR_CNT;
        this.update();
        return v;
      }
      default: return 0xff;
    }
  }

  write(offset: number, value: number, width: 1 | 2 | 4): void {
    if (offset === 0x10) return this.dataWrite(value, width);
    if (offset === 0x1f) return;
    if (offset >= 0x10) return;
    const v = value & 0xff;
    if (offset === 0) return this.command(v);
    const page = this.cr >> 6;
    if (page === 1) {
      if (offset <= 6) this.par[offset - 1] = v;
      else if (offset === 7) this.curr = v;
      else this.mar[offset - 8] = v;
      return;
    }
    if (page !== 0) return;
    switch (offset) {
      case 1: this.pstart = v; return;
      case 2: this.pstop = v; return;
      case 3: this.bnry = v; return;
      case 4: this.tpsr = v; return;
      case 5: this.tbcr = (this.tbcr & 0xff00) | v; return;
      case 6: this.tbcr = (this.tbcr & 0xff) | (v << 8); return;
      case 7: this.isr &= ~v; return this.update();
      case 8: this.rsar = (this.rsar & 0xff00) | v; return;
      case 9: this.rsar = (this.rsar & 0xff) | (v << 8); return;
      case 0xa: this.rbcr = (this.rbcr & 0xff00) | v; return;
      case 0xb: this.rbcr = (this.rbcr & 0xff) | (v << 8); return;
      case 0xc: this.rcr = v; return;
      case 0xd: this.tcr = v; return;
      case 0xe: this.dcr = v; return;
      case 0xf: this.imr = v; return this.update();
    }
  }

  /** rep insw on the data port: remote DMA reads in bulk. */
  readWords(offset: number, into: Uint16Array): void {
    for (let i = 0; i < into.length; i++) into[i] = this.read(offset, 2);
  }

  writeWords(offset: number, from: Uint16Array): void {
    for (const w of from) this.write(offset, w, 2);
  }

  private reset(): void {
    this.cr = CR_STP | 0x20;
    this.isr = ISR_RST;
    this.imr = 0;
    this.update();
  }

  /** Running unless STP is set: a command with neither STA nor STP (the page or DMA changing) leaves it running, as QEMU's does. */
  private get started(): boolean {
    return (this.cr & CR_STP) === 0;
  }

  private command(v: number): void {
    // TXP starts a transmit only while the card runs; it reads back clear, the frame being gone at once.
    this.cr = (v & ~CR_TXP) | (v & (CR_STA | CR_STP) ? 0 : this.cr & (CR_STA | CR_STP));
    if (v & CR_STP) this.isr |= ISR_RST;
    else this.isr &= ~ISR_RST;
    if ((v & CR_RD_MASK) !== 0x20 && (v & (CR_RD_READ | CR_RD_WRITE)) && this.rbcr === 0) this.isr |= ISR_RDC;
    if (v & CR_TXP && this.started) this.transmit();
    this.update();
  }

  /** The memory behind an address of the card's bus: PROM, buffer, or nothing (reads as 0xff). */
  private peek(addr: number): number {
    return addr < 0x20 || (addr >= MEM_START && addr < MEM_SIZE) ? this.mem[addr]! : 0xff;
  }

  private poke(addr: number, v: number): void {
    if (addr >= MEM_START && addr < MEM_SIZE) this.mem[addr] = v;
  }

  /** One step of remote DMA: the address advances (wrapping at PSTOP back to PSTART, as the ring does). */
  private dmaStep(): void {
    this.rsar++;
    if (this.rsar === this.pstop << 8) this.rsar = this.pstart << 8;
    this.rbcr--;
    if (this.rbcr <= 0) {
      this.rbcr = 0;
      this.isr |= ISR_RDC;
      this.update();
    }
  }

  private dataRead(width: 1 | 2 | 4): number {
    if (!(this.cr & CR_RD_READ) || this.rbcr === 0) return 0xffff;
    const words = this.dcr & DCR_WTS && width !== 1 ? 2 : 1;
    let v = 0;
    for (let i = 0; i < words && this.rbcr > 0; i++) {
      v |= this.peek(this.rsar) << (8 * i);
      this.dmaStep();
    }
    return v;
  }

  private dataWrite(value: number, width: 1 | 2 | 4): void {
    if (!(this.cr & CR_RD_WRITE) || this.rbcr === 0) return;
    const words = this.dcr & DCR_WTS && width !== 1 ? 2 : 1;
    for (let i = 0; i < words && this.rbcr > 0; i++) {
      this.poke(this.rsar, (value >> (8 * i)) & 0xff);
      this.dmaStep();
    }
  }

  /** CR.TXP: TBCR bytes from page TPSR out on the wire, padded to the minimum frame; then PTX. */
  private transmit(): void {
    const start = this.tpsr << 8;
    const len = Math.min(this.tbcr, WIRE_MTU, MEM_SIZE - start);
    const frame = new Uint8Array(Math.max(len, ETH_ZLEN));
    for (let i = 0; i < len; i++) frame[i] = this.peek(start + i);
    this.tsr = TSR_PTX;
    this.isr |= ISR_PTX;
    this.counts.sent++;
    this.update();
    this.port.send(frame);
  }

  /** The address filter: ours, broadcast (RCR.AB), multicast (RCR.AM) or anything (RCR.PRO). */
  private accepts(frame: Uint8Array): boolean {
    if (this.rcr & RCR_PRO) return true;
    if (frame[0]! & 1) return frame.subarray(0, 6).every((b) => b === 0xff) ? (this.rcr & RCR_AB) !== 0 : (this.rcr & RCR_AM) !== 0;
    return frame.subarray(0, 6).every((b, i) => b === this.par[i]);
  }

  /** A frame off the wire into the receive ring, behind its header; OVW and dropped when the ring is full. */
  private receive(wire: Uint8Array): void {
    if (!this.started || wire.length < 14 || !this.accepts(wire)) return;
    // A frame shorter than the minimum (a TAP's, which no MAC padded) is padded, as on a real wire.
    const frame = wire.length < ETH_ZLEN ? Uint8Array.from({ length: ETH_ZLEN }, (_, i) => wire[i] ?? 0) : wire;
    const ringPages = this.pstop - this.pstart;
    if (ringPages <= 0 || this.pstart < MEM_START >> 8 || this.pstop > MEM_SIZE >> 8 || this.isr & ISR_OVW) {
      this.missed();
      return;
    }
    const total = frame.length + 4;
    const pages = Math.ceil(total / 256);
    // The pages free between CURR and BNRY (BNRY is the last page the driver has not yet read).
    const free = this.curr < this.bnry ? this.bnry - this.curr : ringPages - (this.curr - this.bnry);
    if (pages >= free) {
      this.isr |= ISR_OVW;
      this.missed();
      return;
    }
    let next = this.curr + pages;
    if (next >= this.pstop) next -= ringPages;
    const header = [RSR_PRX, next, total & 0xff, total >> 8];
    let addr = this.curr << 8;
    for (const b of [...header, ...frame]) {
      this.mem[addr++] = b;
      if (addr === this.pstop << 8) addr = this.pstart << 8;
    }
    this.curr = next;
    this.rsr = RSR_PRX;
    this.isr |= ISR_PRX;
    this.counts.received++;
    this.update();
  }

  private missed(): void {
    this.counts.missed++;
    this.cntr[2] = Math.min(this.cntr[2]! + 1, 0xff);
    if (this.cntr[2] === 0xc0) this.isr |= ISR_CNT;
    this.update();
  }

  /** INTR follows ISR & IMR (bit 7, RST, does not interrupt). */
  private update(): void {
    const level = (this.isr & this.imr & 0x7f) !== 0;
    if (level === this.asserted) return;
    this.asserted = level;
    this.sink(level);
  }
}
