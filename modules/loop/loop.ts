// loop: block devices backed by files (drivers/block/loop.c): /dev/loop0 ... on block major 7, bound to
// a file by LOOP_CONFIGURE or LOOP_SET_FD (the file's descriptor, opened by losetup or mount -o loop)
// and unbound by LOOP_CLR_FD, with an offset, a size limit, read-only, autoclear and partition scanning
// as struct loop_info64 says.
//
// Each request is moved to or from the file through the VFS (blk_rq_file_rw) at the device's offset,
// so a loop device reaches nothing of its file outside [offset, offset + its size).

import {
  add_disk, alloc_disk, bdev_disk_changed, blk_mq_end_request, blk_rq_file_rw, blk_rq_pos, block_device_operations,
  copy_from_user, copy_to_user, del_gendisk, disk_openers, EBADF, EBUSY, EFAULT, EINVAL, ENOTTY, ENXIO, EROFS,
  fget, file_flags, file_inode, file_path, fput, imajor, iminor, inode_get_dev, inode_get_ino,
  inode_get_mode, inode_get_size, O_ACCMODE, O_RDONLY, pr_info, put_disk, register_blkdev, rq_data_dir,
  S_IFBLK, S_IFMT, set_capacity_and_notify, set_disk_partscan, set_disk_ro, THIS_MODULE, unregister_blkdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Loopback block devices");
MODULE_ALIAS("block-major-7-*");

export let max_loop: i32 = 8;
module_param(max_loop, int, 0o444);
MODULE_PARM_DESC(max_loop, "Maximum number of loop devices");

export let max_part: i32 = 0;
module_param(max_part, int, 0o444);
MODULE_PARM_DESC(max_part, "Maximum number of partitions per loop device");

const LOOP_MAJOR: u32 = 7;
const WRITE: i32 = 1;

// include/uapi/linux/loop.h
const LOOP_SET_FD: u32 = 0x4c00;
const LOOP_CLR_FD: u32 = 0x4c01;
const LOOP_SET_STATUS64: u32 = 0x4c04;
const LOOP_GET_STATUS64: u32 = 0x4c05;
const LOOP_CONFIGURE: u32 = 0x4c0a;
const LO_FLAGS_READ_ONLY: u32 = 1;
const LO_FLAGS_AUTOCLEAR: u32 = 4;
const LO_FLAGS_PARTSCAN: u32 = 8;
/** The flags LOOP_SET_STATUS64 may change (LOOP_SET_STATUS_SETTABLE_FLAGS). */
const SETTABLE_FLAGS: u32 = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
const LO_NAME_SIZE: i32 = 64;

// struct loop_info64: u64 device, inode, rdevice, offset, sizelimit; u32 number, encrypt_type,
// encrypt_key_size, flags; u8 file_name[64], crypt_name[64], encrypt_key[32]; u64 init[2].
const INFO_DEVICE: usize = 0;
const INFO_INODE: usize = 8;
const INFO_OFFSET: usize = 24;
const INFO_SIZELIMIT: usize = 32;
const INFO_NUMBER: usize = 40;
const INFO_FLAGS: usize = 52;
const INFO_FILE_NAME: usize = 56;
const INFO_SIZE: usize = 232;
// struct loop_config: u32 fd, block_size; struct loop_info64 info; u64 reserved[8].
const CONFIG_INFO: usize = 8;
const CONFIG_SIZE: usize = 304;

/** One loop device (struct loop_device). */
class Loop {
  file: u32 = 0;
  offset: u64 = 0;
  sizelimit: u64 = 0;
  flags: u32 = 0;
  constructor(public number: i32, public disk: u32) {}
}

const loops = new Array<Loop>();
const fops = new block_device_operations();

function loopOf(disk: u32): Loop | null {
  for (let i = 0; i < loops.length; i++) if (loops[i].disk == disk) return loops[i];
  return null;
}

/** get_loop_size(): the file's size past the offset, cut to the size limit, in sectors. */
function loopSectors(lo: Loop): u32 {
  const size = <u64>inode_get_size(file_inode(lo.file));
  let bytes: u64 = size > lo.offset ? size - lo.offset : 0;
  if (lo.sizelimit > 0 && lo.sizelimit < bytes) bytes = lo.sizelimit;
  return <u32>(bytes >> 9);
}

function lo_queue_rq(disk: u32, rq: u32): i32 {
  const lo = loopOf(disk);
  if (lo == null || lo.file == 0) return -ENXIO;
  if (rq_data_dir(rq) == WRITE && (lo.flags & LO_FLAGS_READ_ONLY) != 0) return -EROFS;
  const err = blk_rq_file_rw(rq, lo.file, <i64>(lo.offset + (<u64>blk_rq_pos(rq) << 9)));
  blk_mq_end_request(rq, err);
  return 0;
}

/** A file that is this very loop device would loop on itself. */
function isItself(lo: Loop, file: u32): bool {
  const inode = file_inode(file);
  return (inode_get_mode(inode) & S_IFMT) == S_IFBLK && <u32>imajor(inode) == LOOP_MAJOR && iminor(inode) >> partShift() == lo.number;
}

function partShift(): i32 {
  let shift = 0;
  while ((1 << shift) < max_part + 1 && max_part > 0) shift++;
  return shift;
}

/** loop_configure(): bind the file behind fd with the settings of info (0: none). */
function configure(lo: Loop, fd: i32, info: usize): i32 {
  if (lo.file != 0) return -EBUSY;
  const file = fget(fd);
  if (file == 0) return -EBADF;
  if (isItself(lo, file)) {
    fput(file);
    return -EINVAL;
  }
  lo.file = file;
  lo.offset = info != 0 ? load<u64>(info + INFO_OFFSET) : 0;
  lo.sizelimit = info != 0 ? load<u64>(info + INFO_SIZELIMIT) : 0;
  lo.flags = info != 0 ? load<u32>(info + INFO_FLAGS) & (SETTABLE_FLAGS | LO_FLAGS_READ_ONLY) : 0;
  if ((file_flags(file) & O_ACCMODE) == O_RDONLY) lo.flags |= LO_FLAGS_READ_ONLY;
  if (max_part > 0) lo.flags |= LO_FLAGS_PARTSCAN;
  set_disk_ro(lo.disk, (lo.flags & LO_FLAGS_READ_ONLY) != 0);
  set_capacity_and_notify(lo.disk, loopSectors(lo));
  if (lo.flags & LO_FLAGS_PARTSCAN) {
    set_disk_partscan(lo.disk, true);
    bdev_disk_changed(lo.disk, false);
  }
  return 0;
}

/** __loop_clr_fd(): unbind, the partitions and the size gone with the file. */
function clear(lo: Loop): void {
  bdev_disk_changed(lo.disk, true);
  if (max_part == 0) set_disk_partscan(lo.disk, false);
  const file = lo.file;
  lo.file = 0;
  lo.offset = lo.sizelimit = 0;
  lo.flags = 0;
  set_disk_ro(lo.disk, false);
  set_capacity_and_notify(lo.disk, 0);
  fput(file);
}

function getStatus(lo: Loop, arg: usize): i32 {
  if (lo.file == 0) return -ENXIO;
  const info = new Uint8Array(<i32>INFO_SIZE);
  const p = info.dataStart;
  const inode = file_inode(lo.file);
  store<u64>(p + INFO_DEVICE, <u64>inode_get_dev(inode));
  store<u64>(p + INFO_INODE, <u64>inode_get_ino(inode));
  store<u64>(p + INFO_OFFSET, lo.offset);
  store<u64>(p + INFO_SIZELIMIT, lo.sizelimit);
  store<u32>(p + INFO_NUMBER, <u32>lo.number);
  store<u32>(p + INFO_FLAGS, lo.flags);
  const name = new Uint8Array(256);
  const len = file_path(lo.file, name.dataStart, name.length);
  if (len > 0) memory.copy(p + INFO_FILE_NAME, name.dataStart, <usize>min(len, LO_NAME_SIZE - 1));
  return copy_to_user(arg, p, INFO_SIZE) != 0 ? -EFAULT : 0;
}

function setStatus(lo: Loop, arg: usize): i32 {
  if (lo.file == 0) return -ENXIO;
  const info = new Uint8Array(<i32>INFO_SIZE);
  if (copy_from_user(info.dataStart, arg, INFO_SIZE) != 0) return -EFAULT;
  const p = info.dataStart;
  const partscan = (lo.flags & LO_FLAGS_PARTSCAN) == 0 && (load<u32>(p + INFO_FLAGS) & LO_FLAGS_PARTSCAN) != 0;
  lo.offset = load<u64>(p + INFO_OFFSET);
  lo.sizelimit = load<u64>(p + INFO_SIZELIMIT);
  lo.flags = (lo.flags & ~SETTABLE_FLAGS) | (load<u32>(p + INFO_FLAGS) & SETTABLE_FLAGS);
  set_capacity_and_notify(lo.disk, loopSectors(lo));
  if (partscan) {
    set_disk_partscan(lo.disk, true);
    bdev_disk_changed(lo.disk, false);
  }
  return 0;
}

function lo_ioctl(disk: u32, mode: u32, cmd: u32, arg: u32): i32 {
  const lo = loopOf(disk);
  if (lo == null) return -ENXIO;
  if (cmd == LOOP_SET_FD) return configure(lo, <i32>arg, 0);
  if (cmd == LOOP_CONFIGURE) {
    const config = new Uint8Array(<i32>CONFIG_SIZE);
    if (copy_from_user(config.dataStart, arg, CONFIG_SIZE) != 0) return -EFAULT;
    return configure(lo, load<i32>(config.dataStart), config.dataStart + CONFIG_INFO);
  }
  if (cmd == LOOP_CLR_FD) {
    if (lo.file == 0) return -ENXIO;
    // The caller's own open is one; any other (a mount, another open) keeps the device busy.
    if (disk_openers(disk) > 1) return -EBUSY;
    clear(lo);
    return 0;
  }
  if (cmd == LOOP_GET_STATUS64) return getStatus(lo, arg);
  if (cmd == LOOP_SET_STATUS64) return setStatus(lo, arg);
  return -ENOTTY;
}

/** lo_release(): the last close of an autoclear device unbinds it. */
function lo_release(disk: u32): void {
  const lo = loopOf(disk);
  if (lo != null && lo.file != 0 && (lo.flags & LO_FLAGS_AUTOCLEAR) != 0 && disk_openers(disk) == 0) clear(lo);
}

export function init_module(): i32 {
  if (max_loop < 1 || max_loop > 256 || max_part < 0 || max_part > 255) return -EINVAL;
  const err = register_blkdev(LOOP_MAJOR, "loop");
  if (err < 0) return err;
  fops.owner = THIS_MODULE;
  fops.queue_rq = lo_queue_rq.index;
  fops.ioctl = lo_ioctl.index;
  fops.release = lo_release.index;
  const shift = partShift();
  for (let i = 0; i < max_loop; i++) {
    const disk = alloc_disk(LOOP_MAJOR, <u32>(i << shift), <u32>(1 << shift), "loop" + i.toString(), fops);
    if (disk == 0) {
      cleanup_module();
      return -EINVAL;
    }
    loops.push(new Loop(i, disk));
    add_disk(disk);
  }
  pr_info("loop: module loaded\n");
  return 0;
}

export function cleanup_module(): void {
  for (let i = 0; i < loops.length; i++) {
    const lo = loops[i];
    if (lo.file != 0) fput(lo.file);
    del_gendisk(lo.disk);
    put_disk(lo.disk);
  }
  loops.length = 0;
  unregister_blkdev(LOOP_MAJOR, "loop");
}
