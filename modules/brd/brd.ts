// brd: RAM disks (drivers/block/brd.c): /dev/ram0 ... on block major 1, each rd_size KiB of memory that
// is taken a page at a time as it is first written (a page never written reads as zeros).
//
// Pages come from kmalloc, so the module's kmalloc cap bounds what the disks hold together: a write that
// needs a page past it fails with -ENOMEM (an I/O error), the disks and what they hold stay as they were.

import {
  alloc_disk, blk_mq_end_request, blk_rq_copy_from, blk_rq_copy_to, blk_rq_pos, blk_rq_sectors, block_device_operations,
  add_disk, del_gendisk, EINVAL, ENOMEM, GFP_KERNEL, kfree, kzalloc, pr_info, put_disk, register_blkdev, rq_data_dir,
  set_capacity, THIS_MODULE, unregister_blkdev,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("RAM disks");
MODULE_ALIAS("block-major-1-*");
MODULE_ALIAS("rd");

export let rd_nr: i32 = 16;
module_param(rd_nr, int, 0o444);
MODULE_PARM_DESC(rd_nr, "Maximum number of brd devices");

export let rd_size: i32 = 4096;
module_param(rd_size, int, 0o444);
MODULE_PARM_DESC(rd_size, "Size of each RAM disk in kbytes.");

export let max_part: i32 = 1;
module_param(max_part, int, 0o444);
MODULE_PARM_DESC(max_part, "Num Minors to reserve between devices");

const RAMDISK_MAJOR: u32 = 1;
const PAGE_SIZE: u32 = 4096;
const SECTOR_SIZE: u32 = 512;
const WRITE: i32 = 1;

/** One RAM disk: its gendisk handle and its pages (page index → kmalloc'd block). */
class Brd {
  pages: Map<u32, usize> = new Map<u32, usize>();
  constructor(public disk: u32) {}
}

const brds = new Array<Brd>();
const fops = new block_device_operations();
const zeros = new Uint8Array(PAGE_SIZE);

function brdOf(disk: u32): Brd | null {
  for (let i = 0; i < brds.length; i++) if (brds[i].disk == disk) return brds[i];
  return null;
}

/** brd_do_bvec(): move n bytes (within one page) between the request at rqOff and the disk at byte pos. */
function transfer(brd: Brd, rq: u32, rqOff: u32, pos: u64, n: u32, write: bool): i32 {
  const index = <u32>(pos / PAGE_SIZE);
  const off = <u32>(pos % PAGE_SIZE);
  let page: usize = brd.pages.has(index) ? brd.pages.get(index) : 0;
  if (!write) return blk_rq_copy_to(rq, rqOff, page != 0 ? page + off : zeros.dataStart, n);
  if (page == 0) {
    page = kzalloc(PAGE_SIZE, GFP_KERNEL);
    if (page == 0) return -ENOMEM;
    brd.pages.set(index, page);
  }
  return blk_rq_copy_from(rq, rqOff, page + off, n);
}

/** brd_submit_bio(): the whole request at once, a page at a time, then ended. */
function brd_queue_rq(disk: u32, rq: u32): i32 {
  const brd = brdOf(disk);
  if (brd == null) return -EINVAL;
  const write = rq_data_dir(rq) == WRITE;
  const bytes = blk_rq_sectors(rq) * SECTOR_SIZE;
  let pos = <u64>blk_rq_pos(rq) * SECTOR_SIZE;
  let err: i32 = 0;
  for (let done: u32 = 0; done < bytes && err == 0; ) {
    const n = min(bytes - done, PAGE_SIZE - <u32>(pos % PAGE_SIZE));
    err = transfer(brd, rq, done, pos, n, write);
    done += n;
    pos += n;
  }
  blk_mq_end_request(rq, err);
  return 0;
}

function freePages(brd: Brd): void {
  const keys = brd.pages.keys();
  for (let i = 0; i < keys.length; i++) kfree(brd.pages.get(keys[i]));
  brd.pages.clear();
}

export function init_module(): i32 {
  if (rd_nr < 1 || rd_size < 1 || max_part < 1) return -EINVAL;
  const err = register_blkdev(RAMDISK_MAJOR, "ramdisk");
  if (err < 0) return err;
  fops.owner = THIS_MODULE;
  fops.queue_rq = brd_queue_rq.index;
  for (let i = 0; i < rd_nr; i++) {
    const disk = alloc_disk(RAMDISK_MAJOR, <u32>(i * max_part), <u32>max_part, "ram" + i.toString(), fops);
    if (disk == 0) {
      cleanup_module();
      return -ENOMEM;
    }
    set_capacity(disk, <u32>rd_size * 2);
    brds.push(new Brd(disk));
    add_disk(disk);
  }
  pr_info("brd: module loaded\n");
  return 0;
}

export function cleanup_module(): void {
  for (let i = 0; i < brds.length; i++) {
    del_gendisk(brds[i].disk);
    put_disk(brds[i].disk);
    freePages(brds[i]);
  }
  brds.length = 0;
  unregister_blkdev(RAMDISK_MAJOR, "ramdisk");
}
