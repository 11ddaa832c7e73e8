// bench_fops: a character device whose read does nothing but count, so a kernel-to-module file_operations
// call (the VFS's path into a driver) is all there is to measure; the count proves every call arrived.

import { device_create, device_destroy, file_operations, register_chrdev, THIS_MODULE, unregister_chrdev } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A device whose read only counts, for npm run bench");

export let reads: i32 = 0;
const fops = new file_operations();
let major: u32 = 0;

function bench_fops_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  reads++;
  return 0;
}

/** The count, for the bench's proof that each call reached the module. */
export function bench_fops_reads(): i32 {
  return reads;
}
EXPORT_SYMBOL(bench_fops_reads);

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.read = bench_fops_read.index;
  const got = register_chrdev(0, "bench_fops", fops);
  if (got < 0) return got;
  major = <u32>got;
  return device_create(major, 0, "bench_fops");
}

export function cleanup_module(): void {
  device_destroy(major, 0);
  unregister_chrdev(major, "bench_fops");
}
