// notes: a character device, /dev/notes, that keeps what is written to it (up to SIZE bytes) as a file
// would: reads and writes at the file's offset, llseek from the start, the offset or the end, and poll
// saying it can always be written and can be read once it holds something.

import {
  copy_from_user, copy_to_user, device_create, device_destroy, EFAULT, EINVAL, ENOSPC, file_operations, file_pos,
  POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, pr_info, register_chrdev, SEEK_CUR, SEEK_END, SEEK_SET, THIS_MODULE,
  unregister_chrdev,
} from "wasm-lkm/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The notes authors");
MODULE_DESCRIPTION("A character device that keeps what is written to it");
MODULE_VERSION("0.1.0");

const SIZE: i32 = 65536;
const data = new Uint8Array(SIZE);
let used: i32 = 0;
let major: u32 = 0;
const fops = new file_operations();

/** How many bytes the device holds. */
export function notes_used(): i32 {
  return used;
}
EXPORT_SYMBOL(notes_used);

/**
 * Where llseek puts the offset (generic_file_llseek_size's arithmetic): from the start, from pos or from the
 * end of `size` bytes; -EINVAL for another whence or a negative result.
 */
export function notes_seek(pos: i32, size: i32, offset: i32, whence: i32): i32 {
  let to: i32;
  if (whence == SEEK_SET) to = offset;
  else if (whence == SEEK_CUR) to = pos + offset;
  else if (whence == SEEK_END) to = size + offset;
  else return -EINVAL;
  return to < 0 ? -EINVAL : to;
}
EXPORT_SYMBOL(notes_seek);

/** read(file, buf, count, pos): what is held from pos on; the kernel moves the offset by what is returned. */
function notes_read(file: u32, buf: usize, count: i32, pos: i32): i32 {
  if (pos >= used) return 0;
  const n = min(count, used - pos);
  if (copy_to_user(buf, data.dataStart + <usize>pos, <usize>n) != 0) return -EFAULT;
  return n;
}

/** write(file, buf, count, pos): what fits from pos on, the device growing to hold it; ENOSPC when nothing fits. */
function notes_write(file: u32, buf: usize, count: i32, pos: i32): i32 {
  if (pos >= SIZE) return -ENOSPC;
  const n = min(count, SIZE - pos);
  if (copy_from_user(data.dataStart + <usize>pos, buf, <usize>n) != 0) return -EFAULT;
  used = max(used, pos + n);
  return n;
}

/** llseek(file, offset, whence): the new offset; SEEK_END counts from what the device holds, which the VFS does not know. */
function notes_llseek(file: u32, offset: i32, whence: i32): i32 {
  return notes_seek(file_pos(file), used, offset, whence);
}

/** poll(file, pt): always writable, readable once something is held. Nothing to wait on: the device never blocks. */
function notes_poll(file: u32, pt: u32): i32 {
  return (used > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.read = notes_read.index;
  fops.write = notes_write.index;
  fops.llseek = notes_llseek.index;
  fops.poll = notes_poll.index;
  const got = register_chrdev(0, "notes", fops);
  if (got < 0) return got;
  major = <u32>got;
  const err = device_create(major, 0, "notes");
  if (err < 0) {
    unregister_chrdev(major, "notes");
    return err;
  }
  pr_info("notes: /dev/notes is %u:0\n", major);
  return 0;
}

export function cleanup_module(): void {
  device_destroy(major, 0);
  unregister_chrdev(major, "notes");
}
