// fat superblocks (fs/fat/inode.c): the boot sector's BPB checked as fat_read_bpb() checks it, the mount
// options, FAT32's FSInfo free count, and the boot sector's dirty bit (fat_set_state).

import {
  bh_read, bh_write, brelse, EINVAL, EIO, mark_buffer_dirty, MS_RDONLY, pr_err, pr_warn, sb_bdev_nr_sectors, sb_bread, sb_getblk,
  sb_id, sb_mount_data, sb_set_blocksize, sync_dirty_buffer,
} from "../../abi/include/kernel";
import { SFN_CREATE_WIN95, SFN_CREATE_WINNT, SFN_DISPLAY_LOWER, SFN_DISPLAY_WIN95, SFN_DISPLAY_WINNT } from "./names";

const FAT_STATE_DIRTY: u8 = 0x01;
/** MAX_FAT12, MAX_FAT16, MAX_FAT32: the largest cluster count each FAT width addresses. */
const MAX_FAT12: u32 = 0xff4;
const MAX_FAT16: u32 = 0xfff4;
const MAX_FAT32: u32 = 0x0ffffff6;
const FSINFO_SIG1: u32 = 0x41615252;
const FSINFO_SIG2: u32 = 0x61417272;

const ERRORS_CONT: i32 = 1;
const ERRORS_PANIC: i32 = 2;
const ERRORS_RO: i32 = 3;

/** One mounted FAT filesystem: where its regions lie, its options, its free-space accounting. */
export class FatSb {
  sb: u32 = 0;
  id: string = "";
  isvfat: bool = false;
  readOnly: bool = false;
  // The BPB.
  secSize: i32 = 512;
  /** The buffer cache's block size for the device: FAT sectors and clusters are byte ranges of it. */
  blockSize: i32 = 512;
  secPerClus: i32 = 1;
  clusSize: i32 = 512;
  numFats: i32 = 2;
  fatStart: u32 = 0;
  fatLength: u32 = 0;
  rootStart: u32 = 0;
  rootEntries: i32 = 0;
  dataStart: u32 = 0;
  fatBits: i32 = 12;
  /** Clusters are numbered 2 .. maxCluster - 1. */
  maxCluster: u32 = 0;
  rootCluster: u32 = 0;
  fsinfoSector: u32 = 0;
  /** -1 until counted or read from FSInfo. */
  freeClusters: i64 = -1;
  prevFree: u32 = 2;
  /** The volume was dirty when mounted: its state bit is left as it was. */
  dirty: bool = false;
  stateSet: bool = false;
  // The options.
  uid: u32 = 0;
  gid: u32 = 0;
  fmask: u32 = 0o022;
  dmask: u32 = 0o022;
  shortname: i32 = SFN_DISPLAY_WINNT | SFN_CREATE_WIN95;
  errors: i32 = ERRORS_RO;
  nocase: bool = false;
  dotsOK: bool = false;
  /** quiet: a chown or chmod fat cannot keep succeeds without changing anything, instead of EPERM. */
  quiet: bool = false;
  /** The ",uid=..." options /proc/mounts shows, as fat_show_options() orders them. */
  shown: string = "";

  get fatName(): string {
    return this.isvfat ? "vfat" : "msdos";
  }

  clusterSector(cluster: u32): u32 {
    return this.dataStart + (cluster - 2) * <u32>this.secPerClus;
  }

  /** The EOF mark a chain's last cluster holds (FAT_ENT_EOF for the width). */
  get eof(): u32 {
    return this.fatBits == 12 ? 0xfff : this.fatBits == 16 ? 0xffff : 0x0fffffff;
  }

  isEof(v: u32): bool {
    return v >= (this.fatBits == 12 ? <u32>0xff8 : this.fatBits == 16 ? <u32>0xfff8 : <u32>0x0ffffff8);
  }
}

export const supers = new Map<u32, FatSb>();

/** "FAT-fs (loop0): ..." at KERN_ERR, as fat_msg() prefixes its lines. */
export function fatErr(fs: FatSb, msg: string): void {
  pr_err("FAT-fs (%s): %s\n", fs.id, msg);
}

function fatWarn(fs: FatSb, msg: string): void {
  pr_warn("FAT-fs (%s): %s\n", fs.id, msg);
}

/**
 * fat_fs_error(): a corruption found in use. Under errors=remount-ro (the default) the filesystem takes
 * no more writes; errors=continue and errors=panic (which does not stop the kernel here) carry on. The
 * caller fails the operation with EIO.
 */
export function fsError(fs: FatSb, fn: string, msg: string): i32 {
  pr_err("FAT-fs (%s): error, %s: %s\n", fs.id, fn, msg);
  if (fs.errors == ERRORS_RO && !fs.readOnly) {
    fs.readOnly = true;
    pr_err("FAT-fs (%s): Filesystem has been set read-only\n", fs.id);
  }
  return -EIO;
}

const scratch = new Uint8Array(4096);

function u16at(b: Uint8Array, at: i32): u32 {
  return <u32>b[at] | (<u32>b[at + 1] << 8);
}

function u32at(b: Uint8Array, at: i32): u32 {
  return u16at(b, at) | (u16at(b, at + 2) << 16);
}

function isPow2(n: u32): bool {
  return n != 0 && (n & (n - 1)) == 0;
}

function parseNumber(v: string, base: i32): i64 {
  if (v.length == 0) return -1;
  let n: i64 = 0;
  for (let i = 0; i < v.length; i++) {
    const d = <i32>v.charCodeAt(i) - 0x30;
    if (d < 0 || d >= base) return -1;
    n = n * base + d;
    if (n > 0xffffffff) return -1;
  }
  return n;
}

function octal(n: u32): string {
  let s = n.toString(8);
  while (s.length < 4) s = "0" + s;
  return s;
}

const SHORTNAMES = ["lower", "win95", "winnt", "mixed"];
const SHORTNAME_FLAGS: i32[] = [
  SFN_DISPLAY_LOWER | SFN_CREATE_WIN95, SFN_DISPLAY_WIN95 | SFN_CREATE_WIN95, SFN_DISPLAY_WINNT | SFN_CREATE_WINNT,
  SFN_DISPLAY_WINNT | SFN_CREATE_WIN95,
];

/**
 * fat_parse_param(): the -o options. An unknown one is "vfat: Unknown parameter 'x'", a bad value
 * "vfat: Bad value for 'uid'", as the mount API words them; a code page or IO charset the kernel lacks
 * is named as fat_fill_super() names it. Returns 0 or -EINVAL.
 */
function parseOptions(fs: FatSb, data: string): i32 {
  const opts = data.length > 0 ? data.split(",") : new Array<string>(0);
  let codepage = "437";
  let iocharset = "utf8";
  for (let i = 0; i < opts.length; i++) {
    const opt = opts[i];
    if (opt.length == 0) continue;
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.substring(0, eq);
    const value = eq < 0 ? "" : opt.substring(eq + 1);
    let n: i64 = 0;
    if (key == "uid" || key == "gid" || key == "codepage") n = parseNumber(value, 10);
    else if (key == "umask" || key == "dmask" || key == "fmask") n = parseNumber(value, 8);
    if (n < 0) {
      pr_err("%s: Bad value for '%s'\n", fs.fatName, key);
      return -EINVAL;
    }
    if (key == "uid") fs.uid = <u32>n;
    else if (key == "gid") fs.gid = <u32>n;
    else if (key == "umask") fs.fmask = fs.dmask = <u32>n & 0o777;
    else if (key == "dmask") fs.dmask = <u32>n & 0o777;
    else if (key == "fmask") fs.fmask = <u32>n & 0o777;
    else if (key == "codepage") codepage = value;
    else if (key == "errors" && (value == "continue" || value == "panic" || value == "remount-ro")) {
      fs.errors = value == "continue" ? ERRORS_CONT : value == "panic" ? ERRORS_PANIC : ERRORS_RO;
    } else if (key == "iocharset" && fs.isvfat) iocharset = value;
    else if (key == "shortname" && fs.isvfat && SHORTNAMES.includes(value)) fs.shortname = SHORTNAME_FLAGS[SHORTNAMES.indexOf(value)];
    else if (key == "nocase" && !fs.isvfat && eq < 0) fs.nocase = true;
    else if (key == "quiet" && eq < 0) fs.quiet = true;
    else if (key == "dotsOK" && !fs.isvfat && (value == "yes" || value == "no")) fs.dotsOK = value == "yes";
    else if (key == "errors" || key == "shortname" || key == "dotsOK") {
      pr_err("%s: Bad value for '%s'\n", fs.fatName, key);
      return -EINVAL;
    } else {
      pr_err("%s: Unknown parameter '%s'\n", fs.fatName, key);
      return -EINVAL;
    }
  }
  if (codepage != "437") {
    fatErr(fs, "codepage cp" + codepage + " not found");
    return -EINVAL;
  }
  if (fs.isvfat && iocharset != "utf8") {
    fatErr(fs, "IO charset " + iocharset + " not found");
    return -EINVAL;
  }
  if (fs.isvfat) fatWarn(fs, "utf8 is not a recommended IO charset for FAT filesystems, filesystem will be case sensitive!");
  fs.shown = showOptions(fs, codepage, iocharset);
  return 0;
}

/** fat_show_options(): what follows "rw,relatime" in /proc/mounts. */
function showOptions(fs: FatSb, codepage: string, iocharset: string): string {
  let s = "";
  if (fs.uid != 0) s += ",uid=" + fs.uid.toString();
  if (fs.gid != 0) s += ",gid=" + fs.gid.toString();
  s += ",fmask=" + octal(fs.fmask) + ",dmask=" + octal(fs.dmask) + ",codepage=" + codepage;
  if (fs.isvfat) s += ",iocharset=" + iocharset + ",shortname=" + SHORTNAMES[SHORTNAME_FLAGS.indexOf(fs.shortname)];
  if (fs.quiet) s += ",quiet";
  if (!fs.isvfat) {
    if (fs.dotsOK) s += ",dotsOK=yes";
    if (fs.nocase) s += ",nocase";
  }
  s += fs.errors == ERRORS_CONT ? ",errors=continue" : fs.errors == ERRORS_PANIC ? ",errors=panic" : ",errors=remount-ro";
  return s;
}

function validMedia(m: u8): bool {
  return m >= 0xf8 || m == 0xf0;
}

/** The boot sector's complaint, or "" if its BPB describes a FAT filesystem this device can hold. */
function readBpb(fs: FatSb, b: Uint8Array): string {
  const secSize = u16at(b, 11);
  const secPerClus = <u32>b[13];
  const reserved = u16at(b, 14);
  const fats = <u32>b[16];
  const dirEntries = u16at(b, 17);
  const media = b[21];
  const fat16Length = u16at(b, 22);
  let total = u16at(b, 19);
  if (total == 0) total = u32at(b, 32);
  const fat32Length = u32at(b, 36);
  if (reserved == 0) return "bogus number of reserved sectors";
  if (fats == 0) return "bogus number of FAT structure";
  if (!validMedia(media)) return "invalid media value (0x" + (media < 0x10 ? "0" : "") + media.toString(16) + ")";
  if (!isPow2(secSize) || secSize < 512 || secSize > 4096) return "bogus logical sector size " + secSize.toString();
  if (!isPow2(secPerClus)) return "bogus sectors per cluster " + secPerClus.toString();
  if (fat16Length == 0 && fat32Length == 0) return "bogus number of FAT sectors";
  fs.secSize = <i32>secSize;
  fs.secPerClus = <i32>secPerClus;
  fs.clusSize = <i32>(secSize * secPerClus);
  fs.numFats = <i32>fats;
  fs.fatStart = reserved;
  fs.fatLength = fat16Length != 0 ? fat16Length : fat32Length;
  fs.rootStart = reserved + fats * fs.fatLength;
  fs.rootEntries = <i32>dirEntries;
  if (fat16Length == 0) {
    fs.fatBits = 32;
    fs.rootCluster = u32at(b, 44);
    fs.fsinfoSector = u16at(b, 48);
    fs.rootEntries = 0;
  }
  if ((fs.rootEntries & (fs.secSize / 32 - 1)) != 0) return "bogus number of directory entries (" + dirEntries.toString() + ")";
  fs.dataStart = fs.rootStart + <u32>(fs.rootEntries * 32 / fs.secSize);
  if (total <= fs.dataStart) return "bogus number of total sectors (" + total.toString() + ")";
  const clusters = (total - fs.dataStart) / secPerClus;
  if (fs.fatBits != 32) fs.fatBits = clusters > MAX_FAT12 ? 16 : 12;
  if (clusters > (fs.fatBits == 12 ? MAX_FAT12 : fs.fatBits == 16 ? MAX_FAT16 : MAX_FAT32)) return "count of clusters too big (" + clusters.toString() + ")";
  const fatEntries = <u64>fs.fatLength * secSize * 8 / <u64>fs.fatBits;
  if (<u64>clusters + 2 > fatEntries) return "count of clusters too big (" + clusters.toString() + ")";
  fs.maxCluster = clusters + 2;
  if (fs.fatBits == 32 && (fs.rootCluster < 2 || fs.rootCluster >= fs.maxCluster)) return "bogus root cluster (" + fs.rootCluster.toString() + ")";
  const devSectors = <u64>sb_bdev_nr_sectors(fs.sb) * 512 / secSize;
  if (<u64>total > devSectors) return "bogus number of total sectors (" + total.toString() + "), device has " + devSectors.toString();
  fs.dirty = (b[fs.fatBits == 32 ? 65 : 37] & FAT_STATE_DIRTY) != 0;
  return "";
}

/**
 * Read n bytes at byte `pos` of the device into `to`, a block of the buffer cache at a time; false on an
 * I/O error. Blocks are as large as the device allows (up to 4 KiB), whatever the FAT's sector size.
 */
export function readAt(fs: FatSb, pos: u64, to: usize, n: i32): bool {
  const bs = <u64>fs.blockSize;
  for (let done = 0; done < n; ) {
    const at = pos + <u64>done;
    const off = <i32>(at % bs);
    const len = min(fs.blockSize - off, n - done);
    const bh = sb_bread(fs.sb, <u32>(at / bs));
    if (bh == 0) return false;
    const err = bh_read(bh, <u32>off, to + <usize>done, <u32>len);
    brelse(bh);
    if (err != 0) return false;
    done += len;
  }
  return true;
}

/** Write n bytes from `from` at byte `pos` of the device, a whole block without reading it first; 0 or -errno. */
export function writeAt(fs: FatSb, pos: u64, from: usize, n: i32): i32 {
  const bs = <u64>fs.blockSize;
  for (let done = 0; done < n; ) {
    const at = pos + <u64>done;
    const off = <i32>(at % bs);
    const len = min(fs.blockSize - off, n - done);
    const bh = len == fs.blockSize ? sb_getblk(fs.sb, <u32>(at / bs)) : sb_bread(fs.sb, <u32>(at / bs));
    if (bh == 0) return -EIO;
    const err = bh_write(bh, <u32>off, from + <usize>done, <u32>len);
    if (err == 0) mark_buffer_dirty(bh);
    brelse(bh);
    if (err != 0) return err;
    done += len;
  }
  return 0;
}

export function readSector(fs: FatSb, nr: u32, into: Uint8Array): bool {
  return readAt(fs, <u64>nr * fs.secSize, into.dataStart, fs.secSize);
}

export function writeSector(fs: FatSb, nr: u32, off: i32, from: usize, n: i32): i32 {
  return writeAt(fs, <u64>nr * fs.secSize + <u64>off, from, n);
}

/** FAT32's FSInfo sector: its free count and next-free hint, when both signatures say it is one. */
function readFsinfo(fs: FatSb): void {
  if (fs.fatBits != 32 || fs.fsinfoSector == 0 || fs.fsinfoSector >= fs.fatStart) return;
  if (!readSector(fs, fs.fsinfoSector, scratch)) return;
  if (u32at(scratch, 0) != FSINFO_SIG1 || u32at(scratch, 484) != FSINFO_SIG2) {
    fatWarn(fs, "Invalid FSINFO signature: 0x" + u32at(scratch, 0).toString(16) + ", 0x" + u32at(scratch, 484).toString(16) + " (sector = " + fs.fsinfoSector.toString() + ")");
    fs.fsinfoSector = 0;
    return;
  }
  const free = u32at(scratch, 488);
  const next = u32at(scratch, 492);
  if (free <= fs.maxCluster - 2) fs.freeClusters = free;
  if (next >= 2 && next < fs.maxCluster) fs.prevFree = next;
}

/** fat_clusters_flush(): the free count and hint back into FSInfo. */
export function writeFsinfo(fs: FatSb): void {
  if (fs.readOnly || fs.fatBits != 32 || fs.fsinfoSector == 0 || fs.freeClusters < 0) return;
  const v = new Uint8Array(8);
  const free = <u32>fs.freeClusters;
  for (let i = 0; i < 4; i++) {
    v[i] = <u8>(free >> (8 * i));
    v[4 + i] = <u8>(fs.prevFree >> (8 * i));
  }
  writeSector(fs, fs.fsinfoSector, 488, v.dataStart, 8);
}

/** fat_set_state(): the dirty bit in the boot sector, set while mounted read-write, unless it was set already. */
export function setState(fs: FatSb, set: bool): void {
  if (fs.readOnly) return;
  if (fs.dirty) {
    if (set) fatWarn(fs, "Volume was not properly unmounted. Some data may be corrupt. Please run fsck.");
    return;
  }
  if (!set && !fs.stateSet) return;
  const bh = sb_bread(fs.sb, 0);
  if (bh == 0) return;
  const at: u32 = fs.fatBits == 32 ? 65 : 37;
  const b = new Uint8Array(1);
  if (bh_read(bh, at, b.dataStart, 1) == 0) {
    b[0] = set ? b[0] | FAT_STATE_DIRTY : b[0] & ~FAT_STATE_DIRTY;
    if (bh_write(bh, at, b.dataStart, 1) == 0) {
      mark_buffer_dirty(bh);
      sync_dirty_buffer(bh);
      fs.stateSet = set;
    }
  }
  brelse(bh);
}

/** Why readSuper returned null: -EINVAL or -EIO. */
export let lastError: i32 = 0;

/**
 * fat_fill_super()'s first half: the options, then the boot sector. Returns the FatSb, or null with the
 * errno in `lastError` (EINVAL for what is not a FAT filesystem, EIO for what cannot be read).
 */
export function readSuper(sb: u32, flags: i32, isvfat: bool): FatSb | null {
  const fs = new FatSb();
  fs.sb = sb;
  fs.isvfat = isvfat;
  fs.readOnly = (flags & MS_RDONLY) != 0;
  const idLen = sb_id(sb, scratch.dataStart, scratch.length);
  fs.id = idLen > 0 ? String.UTF8.decodeUnsafe(scratch.dataStart, <usize>idLen) : "?";
  const dataLen = sb_mount_data(sb, scratch.dataStart, scratch.length);
  const data = dataLen > 0 ? String.UTF8.decodeUnsafe(scratch.dataStart, <usize>dataLen) : "";
  lastError = parseOptions(fs, data);
  if (lastError < 0) return null;
  if (sb_set_blocksize(sb, 512) == 0 || !readSector(fs, 0, scratch)) {
    fatErr(fs, "unable to read boot sector");
    lastError = -EIO;
    return null;
  }
  const complaint = readBpb(fs, scratch);
  if (complaint.length > 0) {
    fatErr(fs, complaint);
    fatErr(fs, "Can't find a valid FAT filesystem");
    lastError = -EINVAL;
    return null;
  }
  const devBytes = <u64>sb_bdev_nr_sectors(sb) * 512;
  let bs = 4096;
  while (bs > fs.secSize && devBytes % <u64>bs != 0) bs >>= 1;
  if (bs != 512 && sb_set_blocksize(sb, bs) == 0) {
    fatErr(fs, "unable to set blocksize " + bs.toString());
    lastError = -EIO;
    return null;
  }
  fs.blockSize = bs;
  readFsinfo(fs);
  return fs;
}
