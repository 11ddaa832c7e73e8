// An IDE (ATA) disk on the primary channel, master, in PIO mode (ATA/ATAPI-6, the command block at
// 0x1f0-0x1f7 and the control block at 0x3f6), backed by a host image file that it writes through to.
//
// Commands: IDENTIFY DEVICE, READ SECTORS and WRITE SECTORS with 28-bit LBA, and a few that only
// succeed (FLUSH CACHE, SET FEATURES, INITIALIZE DEVICE PARAMETERS, READ VERIFY); anything else aborts.
// A transfer moves a sector at a time through the data port while DRQ is set, with an interrupt per
// sector (after a WRITE's sector, not before its first), INTRQ gated by nIEN and cleared by reading the
// status register. A command naming sectors past the end of the image fails with IDNF: the image is
// never read or written outside its sectors, whatever a driver asks. Timing is instant.

import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import type { IoDevice, IrqSink } from "./bus.js";

export const SECTOR = 512;
/** LBA28 addresses 2^28 sectors. */
const LBA28_LIMIT = 1 << 28;

// Status, error, device and control register bits (include/linux/ata.h).
const ATA_BUSY = 0x80;
const ATA_DRDY = 0x40;
const ATA_DSC = 0x10;
const ATA_DRQ = 0x08;
const ATA_ERR = 0x01;
const ATA_ABORTED = 0x04;
const ATA_IDNF = 0x10;
/** GET MEDIA STATUS's error bit: the medium is write-protected (ATA-4's Removable Media Status Notification). */
const ATA_WP = 0x40;
const ATA_LBA = 0x40;
const ATA_DEV1 = 0x10;
const ATA_NIEN = 0x02;
const ATA_SRST = 0x04;

const ATA_CMD_READ = 0x20;
const ATA_CMD_READ_NORETRY = 0x21;
const ATA_CMD_WRITE = 0x30;
const ATA_CMD_WRITE_NORETRY = 0x31;
const ATA_CMD_VERIFY = 0x40;
const ATA_CMD_INIT_DEV_PARAMS = 0x91;
const ATA_CMD_GET_MEDIA_STATUS = 0xda;
const ATA_CMD_FLUSH = 0xe7;
const ATA_CMD_ID_ATA = 0xec;
const ATA_CMD_SET_FEATURES = 0xef;

export interface IdeDiskOptions {
  readonly base: number;
  readonly ctl: number;
  readonly irq: IrqSink;
  /** The host image: an absolute path. */
  readonly file: string;
  readonly readOnly: boolean;
  /** The size the image is said to have; the attach fails if the file is shorter. */
  readonly claimedBytes?: number;
}

/** Why an image cannot back a disk: the attach's error. */
export class ImageError extends Error {}

/** Open the image as the options say, checking what `hw attach` promises to check. */
function openImage(o: IdeDiskOptions): { fd: number; sectors: number } {
  let fd: number;
  try {
    fd = openSync(o.file, o.readOnly ? "r" : "r+");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "No such file or directory" : err.code === "EACCES" || err.code === "EROFS" || err.code === "EPERM" ? "it is not writable (attach it ro)" : err.message;
    throw new ImageError(`cannot open ${o.file}: ${why}`);
  }
  const st = fstatSync(fd);
  const fail = (why: string): never => {
    closeSync(fd);
    throw new ImageError(`${o.file}: ${why}`);
  };
  if (!st.isFile()) fail("not a regular file");
  if (o.claimedBytes !== undefined && st.size < o.claimedBytes) fail(`${st.size} bytes, shorter than the ${o.claimedBytes} claimed`);
  if (st.size < SECTOR || st.size % SECTOR !== 0) fail(`${st.size} bytes is not a whole number of ${SECTOR}-byte sectors`);
  const sectors = (o.claimedBytes ?? st.size) / SECTOR;
  if (!Number.isInteger(sectors)) fail(`the claimed size is not a whole number of ${SECTOR}-byte sectors`);
  return { fd, sectors: Math.min(sectors, LBA28_LIMIT - 1) };
}

/** Fixed-width ASCII in IDENTIFY's words: two characters a word, the first in the high byte. */
function identifyString(words: Uint16Array, first: number, count: number, s: string): void {
  const text = s.padEnd(count * 2, " ");
  for (let i = 0; i < count; i++) words[first + i] = (text.charCodeAt(2 * i) << 8) | text.charCodeAt(2 * i + 1);
}

export class IdeDisk implements IoDevice {
  readonly kind = "ide";
  readonly base: number;
  readonly size = 8;
  /** The control block (alternate status / device control), attached beside the command block. */
  readonly companions: IoDevice[];
  readonly sectors: number;
  private readonly fd: number;
  private readonly sink: IrqSink;
  private readonly readOnly: boolean;

  private error = 0;
  private count = 0;
  private lbaLow = 0;
  private lbaMid = 0;
  private lbaHigh = 0;
  private device = 0;
  private status = ATA_DRDY | ATA_DSC;
  private control = 0;
  private pending = false;
  private asserted = false;
  /** The transfer in progress: its command, next LBA, sectors left, and the sector buffer with its word index. */
  private command = 0;
  private lba = 0;
  private left = 0;
  private readonly buffer = new Uint16Array(SECTOR / 2);
  private word = 0;

  constructor(o: IdeDiskOptions) {
    const { fd, sectors } = openImage(o);
    this.fd = fd;
    this.sectors = sectors;
    this.base = o.base;
    this.sink = o.irq;
    this.readOnly = o.readOnly;
    const disk = this;
    this.companions = [{
      kind: "ide-ctl", base: o.ctl, size: 1,
      read: () => disk.selected ? disk.status : 0,
      write: (_off, value) => disk.writeControl(value),
    }];
  }

  /** The image goes with the device (hw detach). */
  close(): void {
    closeSync(this.fd);
  }

  /** The master is the only device on the channel: with the slave selected, nothing answers. */
  private get selected(): boolean {
    return (this.device & ATA_DEV1) === 0;
  }

  read(offset: number, width: 1 | 2 | 4): number {
    if (offset === 0) return this.readData(width);
    if (!this.selected) return 0;
    switch (offset) {
      case 1: return this.error;
      case 2: return this.count;
      case 3: return this.lbaLow;
      case 4: return this.lbaMid;
      case 5: return this.lbaHigh;
      case 6: return this.device | 0xa0;
      default:
        this.pending = false;
        this.updateIrq();
        return this.status;
    }
  }

  write(offset: number, value: number, width: 1 | 2 | 4): void {
    const v = value & 0xff;
    switch (offset) {
      case 0: return this.writeData(value & 0xffff, width);
      case 1: return; // features: SET FEATURES takes any
      case 2: this.count = v; return;
      case 3: this.lbaLow = v; return;
      case 4: this.lbaMid = v; return;
      case 5: this.lbaHigh = v; return;
      case 6: this.device = v; return;
      default: if (this.selected) this.execute(v);
    }
  }

  /** rep insw: the sector buffer's words copied in bulk, each sector's last word read as one (it ends the sector). */
  readWords(offset: number, into: Uint16Array): void {
    for (let i = 0; i < into.length; ) {
      const bulk = offset === 0 && this.transferring(false) ? Math.min(this.buffer.length - this.word - 1, into.length - i) : 0;
      if (bulk <= 0) {
        into[i++] = this.read(offset, 2);
        continue;
      }
      into.set(this.buffer.subarray(this.word, this.word + bulk), i);
      this.word += bulk;
      i += bulk;
    }
  }

  /** rep outsw, as readWords. */
  writeWords(offset: number, from: Uint16Array): void {
    for (let i = 0; i < from.length; ) {
      const bulk = offset === 0 && this.transferring(true) ? Math.min(this.buffer.length - this.word - 1, from.length - i) : 0;
      if (bulk <= 0) {
        this.write(offset, from[i++]!, 2);
        continue;
      }
      this.buffer.set(from.subarray(i, i + bulk), this.word);
      this.word += bulk;
      i += bulk;
    }
  }

  /** A data transfer in the given direction is under way (DRQ set for a read, or for a write). */
  private transferring(write: boolean): boolean {
    const writing = this.command === ATA_CMD_WRITE || this.command === ATA_CMD_WRITE_NORETRY;
    return (this.status & ATA_DRQ) !== 0 && writing === write && this.selected;
  }

  private writeControl(value: number): void {
    if (value & ATA_SRST && !(this.control & ATA_SRST)) this.reset();
    this.control = value;
    this.updateIrq();
  }

  private reset(): void {
    this.command = this.left = 0;
    this.error = 1;
    this.status = ATA_DRDY | ATA_DSC;
    this.pending = false;
  }

  /** INTRQ: a pending interrupt, unless nIEN masks it (and only while the master is selected). */
  private updateIrq(): void {
    const level = this.pending && !(this.control & ATA_NIEN);
    if (level === this.asserted) return;
    this.asserted = level;
    this.sink(level);
  }

  private interrupt(): void {
    this.pending = true;
    this.updateIrq();
  }

  /** The command register: a new command ends any transfer and clears the interrupt. */
  private execute(cmd: number): void {
    this.pending = false;
    this.updateIrq();
    this.error = 0;
    this.command = cmd;
    switch (cmd) {
      case ATA_CMD_ID_ATA:
        this.identify();
        return this.dataIn();
      case ATA_CMD_READ:
      case ATA_CMD_READ_NORETRY:
        if (!this.startTransfer()) return;
        this.loadSector();
        return this.dataIn();
      case ATA_CMD_WRITE:
      case ATA_CMD_WRITE_NORETRY:
        if (this.readOnly) return this.abort(ATA_ABORTED);
        if (!this.startTransfer()) return;
        this.word = 0;
        this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
        return;
      case ATA_CMD_VERIFY:
        if (this.startTransfer()) this.complete();
        return;
      case ATA_CMD_GET_MEDIA_STATUS:
        return this.readOnly ? this.abort(ATA_WP) : this.complete();
      case ATA_CMD_FLUSH:
      case ATA_CMD_SET_FEATURES:
      case ATA_CMD_INIT_DEV_PARAMS:
        return this.complete();
      default:
        return this.abort(ATA_ABORTED);
    }
  }

  /** The LBA and count of a READ or WRITE; IDNF (and false) unless LBA mode and wholly on the disk. */
  private startTransfer(): boolean {
    this.lba = ((this.device & 0x0f) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow;
    this.left = this.count === 0 ? 256 : this.count;
    if (!(this.device & ATA_LBA) || this.lba + this.left > this.sectors) {
      this.abort(ATA_IDNF);
      return false;
    }
    return true;
  }

  private abort(error: number): void {
    this.command = this.left = 0;
    this.error = error;
    this.status = ATA_DRDY | ATA_DSC | ATA_ERR;
    this.interrupt();
  }

  private complete(): void {
    this.command = this.left = 0;
    this.status = ATA_DRDY | ATA_DSC;
    this.interrupt();
  }

  /** A sector is ready in the buffer: DRQ, and its interrupt. */
  private dataIn(): void {
    this.word = 0;
    this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    this.interrupt();
  }

  private loadSector(): void {
    const bytes = new Uint8Array(this.buffer.buffer);
    bytes.fill(0);
    readSync(this.fd, bytes, 0, SECTOR, this.lba * SECTOR);
  }

  private readData(width: 1 | 2 | 4): number {
    if (!(this.status & ATA_DRQ) || this.command === ATA_CMD_WRITE || this.command === ATA_CMD_WRITE_NORETRY) return 0xffff;
    let v = this.buffer[this.word++]!;
    if (width === 4) v |= this.buffer[this.word++]! << 16;
    if (this.word < this.buffer.length) return v >>> 0;
    // The sector's last word: the next sector, or the end of the command.
    if (this.command === ATA_CMD_ID_ATA || --this.left === 0) {
      this.command = 0;
      this.status = ATA_DRDY | ATA_DSC;
    } else {
      this.lba++;
      this.loadSector();
      this.dataIn();
    }
    return v >>> 0;
  }

  private writeData(value: number, width: 1 | 2 | 4): void {
    if (!(this.status & ATA_DRQ) || (this.command !== ATA_CMD_WRITE && this.command !== ATA_CMD_WRITE_NORETRY)) return;
    this.buffer[this.word++] = value;
    if (width === 4) this.buffer[this.word++] = value >>> 16;
    if (this.word < this.buffer.length) return;
    // A whole sector: written through to the image, then its interrupt, asking for the next if any.
    this.status = ATA_BUSY;
    writeSync(this.fd, new Uint8Array(this.buffer.buffer), 0, SECTOR, this.lba * SECTOR);
    this.word = 0;
    if (--this.left === 0) return this.complete();
    this.lba++;
    this.status = ATA_DRDY | ATA_DSC | ATA_DRQ;
    this.interrupt();
  }

  /** IDENTIFY DEVICE's 256 words: a fixed disk with LBA, its geometry, model and capacity. */
  private identify(): void {
    const w = this.buffer;
    w.fill(0);
    const heads = 16;
    const spt = 63;
    const cyls = Math.min(16383, Math.floor(this.sectors / (heads * spt)));
    w[0] = 0x0040;
    w[1] = cyls;
    w[3] = heads;
    w[6] = spt;
    identifyString(w, 10, 10, "WLKM0001");
    identifyString(w, 23, 4, "1.0");
    identifyString(w, 27, 20, "WASM-LKM HARDDISK");
    w[47] = 0x8001;
    w[49] = 0x0200;
    w[53] = 0x0001;
    w[54] = cyls;
    w[55] = heads;
    w[56] = spt;
    w[60] = this.sectors & 0xffff;
    w[61] = this.sectors >>> 16;
    w[80] = 0x007e;
  }
}
