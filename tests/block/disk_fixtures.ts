// Fixtures the block layer's tests share: an MBR built by hand, a disk driver whose misbehaviour is a
// parameter, and a filesystem that mounts from a block device and touches one block of it.

/** An MBR (or EBR) sector with up to four entries [type, start, sectors]. */
export function mbrSector(entries: readonly (readonly [type: number, start: number, size: number])[]): Uint8Array {
  const s = new Uint8Array(512);
  const view = new DataView(s.buffer);
  entries.forEach(([type, start, size], i) => {
    const at = 0x1be + i * 16;
    s[at + 4] = type;
    view.setUint32(at + 8, start, true);
    view.setUint32(at + 12, size, true);
  });
  s[510] = 0x55;
  s[511] = 0xaa;
  return s;
}

/**
 * testdisk: one disk "td0" of `sectors` sectors on a dynamic major, its data in the module. mode 0 ends
 * every request at once; 1 takes requests and never ends them; 2 traps in queue_rq; 3 fails them with
 * -EIO; 4 copies 16 bytes into the last 8 of each request (copyerr: what blk_rq_copy_to said); 5 never
 * returns from queue_rq. `writes`
 * counts the WRITE requests it ended.
 */
export const TESTDISK = `
import {
  add_disk, alloc_disk, blk_mq_end_request, blk_rq_copy_from, blk_rq_copy_to, blk_rq_pos, blk_rq_sectors,
  block_device_operations, del_gendisk, EIO, put_disk, register_blkdev, rq_data_dir, set_capacity, THIS_MODULE,
  unregister_blkdev,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0o644);
export let sectors: i32 = 2048;
module_param(sectors, int, 0o444);
export let writes: i32 = 0;
module_param(writes, int, 0o444);
export let partscan: i32 = 16;
module_param(partscan, int, 0o444);
export let copyerr: i32 = 0;
module_param(copyerr, int, 0o444);
let major: i32 = 0;
let disk: u32 = 0;
let data: Uint8Array = new Uint8Array(0);
const fops = new block_device_operations();
function queue_rq(d: u32, rq: u32): i32 {
  if (mode == 1) return 0;
  if (mode == 2) return load<i32>(<usize>0xfffffff0);
  if (mode == 3) return -EIO;
  while (mode == 5) writes++;
  if (mode == 4) {
    copyerr = blk_rq_copy_to(rq, blk_rq_sectors(rq) * 512 - 8, data.dataStart, 16);
    blk_mq_end_request(rq, 0);
    return 0;
  }
  const at = <usize>blk_rq_pos(rq) * 512;
  const n = blk_rq_sectors(rq) * 512;
  if (rq_data_dir(rq) == 1) {
    blk_rq_copy_from(rq, 0, data.dataStart + at, n);
    writes++;
  } else {
    blk_rq_copy_to(rq, 0, data.dataStart + at, n);
  }
  blk_mq_end_request(rq, 0);
  return 0;
}
export function init_module(): i32 {
  major = register_blkdev(0, "testdisk");
  if (major < 0) return major;
  data = new Uint8Array(sectors * 512);
  fops.owner = THIS_MODULE;
  fops.queue_rq = queue_rq.index;
  disk = alloc_disk(<u32>major, 0, <u32>partscan, "td0", fops);
  set_capacity(disk, <u32>sectors);
  return add_disk(disk);
}
export function cleanup_module(): void {
  del_gendisk(disk);
  put_disk(disk);
  unregister_blkdev(<u32>major, "testdisk");
}
`;

/**
 * blockfs: a filesystem on a block device (FS_REQUIRES_DEV). Its mount reads block \`block\` (1 KiB
 * blocks) and, with stamp=1, writes "STAMP" at its start and marks it dirty.
 */
export const BLOCKFS = `
import {
  bh_write, brelse, EINVAL, EIO, file_system_type, mark_buffer_dirty, new_inode, register_filesystem, sb_bread,
  sb_set_blocksize, unregister_filesystem,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let block: i32 = 0;
module_param(block, int, 0o644);
export let stamp: i32 = 0;
module_param(stamp, int, 0o644);
const fst = new file_system_type();
function blockfs_mount(sb: u32, flags: u32): i32 {
  if (sb_set_blocksize(sb, 1024) != 1024) return -EINVAL;
  const bh = sb_bread(sb, <u32>block);
  if (bh == 0) return -EIO;
  if (stamp != 0) {
    const text = String.UTF8.encode("STAMP");
    const err = bh_write(bh, 0, changetype<usize>(text), 5);
    if (err == 0) mark_buffer_dirty(bh);
  }
  brelse(bh);
  return <i32>new_inode(sb, 0o040755);
}
export function init_module(): i32 {
  fst.name = "blockfs";
  fst.fs_flags = 1;
  fst.mount = blockfs_mount.index;
  return register_filesystem(fst);
}
export function cleanup_module(): void {
  unregister_filesystem(fst);
}
`;

/**
 * thief: reaches for what another module registered. Its init tries to give back testdisk's major,
 * allocate a disk on it, release a buffer and end a request it does not hold; the results are parameters.
 */
export const THIEF = `
import { alloc_disk, blk_mq_end_request, block_device_operations, brelse, unregister_blkdev } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let major: i32 = 254;
module_param(major, int, 0o444);
export let disk: i32 = -1;
module_param(disk, int, 0o444);
const fops = new block_device_operations();
function queue_rq(d: u32, rq: u32): i32 { return 0; }
export function init_module(): i32 {
  unregister_blkdev(<u32>major, "testdisk");
  fops.queue_rq = queue_rq.index;
  disk = <i32>alloc_disk(<u32>major, 32, 1, "stolen", fops);
  brelse(1);
  blk_mq_end_request(1, 0);
  return 0;
}
export function cleanup_module(): void {}
`;
