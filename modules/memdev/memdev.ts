// memdev: the null, zero and full minors of Linux's mem driver (drivers/char/mem.c), on its major 1.
//
// null reads as end of file and swallows writes; zero reads as endless zeros and swallows writes; full
// reads as zeros and refuses every write with ENOSPC. Seeking any of them leaves the offset at 0.

import {
  copy_to_user, device_create, device_destroy, EFAULT, ENOSPC, ENXIO, file_get_private, file_operations,
  file_set_private, iminor, pr_info, register_chrdev, unregister_chrdev, THIS_MODULE,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("The null, zero and full devices");
MODULE_ALIAS("char-major-1-*");

const MEM_MAJOR: u32 = 1;
const NULL_MINOR: u32 = 3;
const ZERO_MINOR: u32 = 5;
const FULL_MINOR: u32 = 7;
const CHUNK: i32 = 4096;

const zeros = new Uint8Array(CHUNK);
const fops = new file_operations();

function mem_open(inode: u32, file: u32): i32 {
  const minor = <u32>iminor(inode);
  if (minor != NULL_MINOR && minor != ZERO_MINOR && minor != FULL_MINOR) return -ENXIO;
  file_set_private(file, minor);
  return 0;
}

/** read_zero(): fill the user buffer a chunk at a time. */
function readZeros(ubuf: usize, count: i32): i32 {
  for (let done = 0; done < count; ) {
    const n = min(CHUNK, count - done);
    if (copy_to_user(ubuf + <usize>done, zeros.dataStart, <usize>n) != 0) return done > 0 ? done : -EFAULT;
    done += n;
  }
  return count;
}

function mem_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  return file_get_private(file) == NULL_MINOR ? 0 : readZeros(ubuf, count);
}

function mem_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  return file_get_private(file) == FULL_MINOR ? -ENOSPC : count;
}

function mem_llseek(file: u32, offset: i32, whence: i32): i32 {
  return 0;
}

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.open = mem_open.index;
  fops.read = mem_read.index;
  fops.write = mem_write.index;
  fops.llseek = mem_llseek.index;
  const err = register_chrdev(MEM_MAJOR, "mem", fops);
  if (err < 0) return err;
  device_create(MEM_MAJOR, NULL_MINOR, "null");
  device_create(MEM_MAJOR, ZERO_MINOR, "zero");
  device_create(MEM_MAJOR, FULL_MINOR, "full");
  pr_info("memdev: /dev/null, /dev/zero and /dev/full on major %u\n", MEM_MAJOR);
  return 0;
}

export function cleanup_module(): void {
  device_destroy(MEM_MAJOR, FULL_MINOR);
  device_destroy(MEM_MAJOR, ZERO_MINOR);
  device_destroy(MEM_MAJOR, NULL_MINOR);
  unregister_chrdev(MEM_MAJOR, "mem");
}
