// ide_disk: the legacy IDE disk driver (drivers/ide's ide-probe and ide-disk): the primary channel's
// master at 0x1f0-0x1f7 and 0x3f6 on IRQ 14, as /dev/hda (block major 3, 64 minors: hda1 ... hda63).
//
// The probe polls IDENTIFY DEVICE, then GET MEDIA STATUS (a write-protected medium makes the disk
// read-only, so opens for writing fail with EROFS), with interrupts off; after that every transfer is interrupt driven:
// queue_rq programs READ SECTORS or WRITE SECTORS (LBA28, at most 256 sectors a command) and the
// interrupt handler moves a sector per interrupt through the data port with insw/outsw, issuing the next
// command of a longer request, and ends the request when its last sector is done or the drive says ERR.

import {
  add_disk, alloc_disk, blk_mq_end_request, blk_rq_copy_from, blk_rq_copy_to, blk_rq_pos, blk_rq_sectors,
  block_device_operations, del_gendisk, EBUSY, EIO, ENODEV, free_irq, inb, insw, IRQ_HANDLED, IRQ_NONE, outb, outsw,
  pr_err, pr_info, pr_notice, put_disk, register_blkdev, release_region, request_irq, request_region, rq_data_dir,
  set_capacity, set_disk_ro, THIS_MODULE, unregister_blkdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Legacy IDE disk driver (ATA PIO)");
MODULE_ALIAS("block-major-3-*");

const IDE_BASE: u32 = 0x1f0;
const IDE_CTL: u32 = 0x3f6;
const IDE_IRQ: u32 = 14;
const IDE0_MAJOR: u32 = 3;
const MINORS: u32 = 64;
const DEV_ID: u32 = 0x1de0;

// Register offsets and bits (include/linux/ata.h).
const ATA_REG_DATA: u32 = 0;
const ATA_REG_ERR: u32 = 1;
const ATA_REG_NSECT: u32 = 2;
const ATA_REG_LBAL: u32 = 3;
const ATA_REG_LBAM: u32 = 4;
const ATA_REG_LBAH: u32 = 5;
const ATA_REG_DEVICE: u32 = 6;
const ATA_REG_STATUS: u32 = 7;
const ATA_REG_CMD: u32 = 7;
const ATA_BUSY: u32 = 0x80;
const ATA_DRQ: u32 = 0x08;
const ATA_ERR: u32 = 0x01;
const ATA_LBA: u32 = 0x40;
const ATA_NIEN: u32 = 0x02;
const ATA_IDNF: u32 = 0x10;
const ATA_WP: u32 = 0x40;
const ATA_CMD_READ: u32 = 0x20;
const ATA_CMD_WRITE: u32 = 0x30;
const ATA_CMD_ID_ATA: u32 = 0xec;
const ATA_CMD_GET_MEDIA_STATUS: u32 = 0xda;
const ATA_MAX_SECTORS: u32 = 256;
const SECTOR_WORDS: u32 = 256;
const SECTOR_SIZE: u32 = 512;
/** Status reads the probe waits for BSY to clear (the drive answers at once, or is not there). */
const PROBE_POLLS: i32 = 1000;

let disk: u32 = 0;
let sectors: u32 = 0;
const sector = new Uint8Array(<i32>SECTOR_SIZE);
const fops = new block_device_operations();

/** The request being served: its next sector, what is left of it and of the current command, and the offset in it. */
let rq: u32 = 0;
let lba: u32 = 0;
let left: u32 = 0;
let inCommand: u32 = 0;
let offset: u32 = 0;
let writing = false;

function ideIn(reg: u32): u32 {
  return inb(IDE_BASE + reg);
}

function ideOut(value: u32, reg: u32): void {
  outb(value, IDE_BASE + reg);
}

/** Program the drive for the next at most 256 sectors of the request. */
function issue(): void {
  inCommand = min(left, ATA_MAX_SECTORS);
  ideOut(inCommand & 0xff, ATA_REG_NSECT);
  ideOut(lba & 0xff, ATA_REG_LBAL);
  ideOut((lba >> 8) & 0xff, ATA_REG_LBAM);
  ideOut((lba >> 16) & 0xff, ATA_REG_LBAH);
  ideOut(0xa0 | ATA_LBA | ((lba >> 24) & 0x0f), ATA_REG_DEVICE);
  ideOut(writing ? ATA_CMD_WRITE : ATA_CMD_READ, ATA_REG_CMD);
  // WRITE SECTORS asks for its first sector without an interrupt: DRQ is up, the data goes now.
  if (writing && (inb(IDE_CTL) & ATA_DRQ) != 0) writeSector();
}

function writeSector(): void {
  blk_rq_copy_from(rq, offset, sector.dataStart, SECTOR_SIZE);
  outsw(IDE_BASE + ATA_REG_DATA, sector.dataStart, SECTOR_WORDS);
}

function end(err: i32): void {
  const done = rq;
  rq = 0;
  blk_mq_end_request(done, err);
}

/** One sector done (read into the request, or written); then the next one, the next command, or the end. */
function advance(): void {
  offset += SECTOR_SIZE;
  lba++;
  left--;
  inCommand--;
  if (left == 0) return end(0);
  if (inCommand == 0) return issue();
  if (writing) writeSector();
}

/** ide_intr(): reading the status acknowledges the interrupt. */
function ide_intr(irq: i32, dev: u32): i32 {
  const status = ideIn(ATA_REG_STATUS);
  if (rq == 0) return IRQ_NONE;
  if (status & ATA_ERR) {
    const where = writing ? "write_intr" : "read_intr";
    const error = ideIn(ATA_REG_ERR);
    pr_err("hda: %s: status=0x%02x { DriveReady SeekComplete Error }\n", where, status);
    pr_err("hda: %s: error=0x%02x { %s }\n", where, error, error & ATA_IDNF ? "SectorIdNotFound" : "DriveStatusError");
    end(-EIO);
    return IRQ_HANDLED;
  }
  if (writing) {
    advance();
    return IRQ_HANDLED;
  }
  if ((status & ATA_DRQ) == 0) return IRQ_HANDLED;
  insw(IDE_BASE + ATA_REG_DATA, sector.dataStart, SECTOR_WORDS);
  blk_rq_copy_to(rq, offset, sector.dataStart, SECTOR_SIZE);
  advance();
  return IRQ_HANDLED;
}

function ide_queue_rq(d: u32, r: u32): i32 {
  if (rq != 0) return -EBUSY;
  rq = r;
  lba = blk_rq_pos(r);
  left = blk_rq_sectors(r);
  offset = 0;
  writing = rq_data_dir(r) == 1;
  issue();
  return 0;
}

/** Wait for BSY to clear; the status, or 0xff (no drive: the bus floats) if it never does. */
function waitReady(): u32 {
  for (let i = 0; i < PROBE_POLLS; i++) {
    const status = ideIn(ATA_REG_STATUS);
    if (status == 0xff) return status;
    if ((status & ATA_BUSY) == 0) return status;
  }
  return 0xff;
}

/** do_probe(): IDENTIFY the master with interrupts off; its model and LBA capacity, or false. */
function probe(model: Uint8Array): bool {
  outb(ATA_NIEN, IDE_CTL);
  ideOut(0xa0, ATA_REG_DEVICE);
  if (waitReady() == 0xff) return false;
  ideOut(ATA_CMD_ID_ATA, ATA_REG_CMD);
  const status = waitReady();
  if (status == 0xff || (status & ATA_ERR) != 0 || (status & ATA_DRQ) == 0) return false;
  const id = new Uint16Array(<i32>SECTOR_WORDS);
  insw(IDE_BASE + ATA_REG_DATA, id.dataStart, SECTOR_WORDS);
  for (let i = 0; i < 20; i++) {
    model[2 * i] = <u8>(id[27 + i] >> 8);
    model[2 * i + 1] = <u8>(id[27 + i] & 0xff);
  }
  sectors = <u32>id[60] | (<u32>id[61] << 16);
  return sectors > 0;
}

/** GET MEDIA STATUS with interrupts off: whether the drive reports its medium write-protected. */
function writeProtected(): bool {
  ideOut(ATA_CMD_GET_MEDIA_STATUS, ATA_REG_CMD);
  const status = waitReady();
  return status != 0xff && (status & ATA_ERR) != 0 && (ideIn(ATA_REG_ERR) & ATA_WP) != 0;
}

function trimmed(bytes: Uint8Array): string {
  let n = bytes.length;
  while (n > 0 && (bytes[n - 1] == 0x20 || bytes[n - 1] == 0)) n--;
  return String.UTF8.decode(bytes.buffer.slice(0, n));
}

function releaseRegions(): void {
  release_region(IDE_CTL, 1);
  release_region(IDE_BASE, 8);
}

export function init_module(): i32 {
  if (!request_region(IDE_BASE, 8, "ide0")) return -EBUSY;
  if (!request_region(IDE_CTL, 1, "ide0")) {
    release_region(IDE_BASE, 8);
    return -EBUSY;
  }
  const model = new Uint8Array(40);
  if (!probe(model)) {
    releaseRegions();
    return -ENODEV;
  }
  pr_info("hda: %s, ATA DISK drive\n", trimmed(model));
  let err = request_irq(IDE_IRQ, ide_intr.index, 0, "ide0", DEV_ID);
  if (err < 0) {
    releaseRegions();
    return err;
  }
  pr_info("ide0 at 0x1f0-0x1f7,0x3f6 on irq %d\n", IDE_IRQ);
  err = register_blkdev(IDE0_MAJOR, "ide0");
  if (err < 0) {
    free_irq(IDE_IRQ, DEV_ID);
    releaseRegions();
    return err;
  }
  fops.owner = THIS_MODULE;
  fops.queue_rq = ide_queue_rq.index;
  disk = alloc_disk(IDE0_MAJOR, 0, MINORS, "hda", fops);
  set_capacity(disk, sectors);
  pr_info("hda: %u sectors (%u MB)\n", sectors, sectors / 2048);
  if (writeProtected()) {
    set_disk_ro(disk, true);
    pr_notice("hda: Write Protect is on\n");
  }
  outb(0, IDE_CTL);
  ideIn(ATA_REG_STATUS);
  return add_disk(disk);
}

export function cleanup_module(): void {
  del_gendisk(disk);
  put_disk(disk);
  unregister_blkdev(IDE0_MAJOR, "ide0");
  outb(ATA_NIEN, IDE_CTL);
  free_irq(IDE_IRQ, DEV_ID);
  releaseRegions();
}
