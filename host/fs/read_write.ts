// read(2), write(2), their positioned forms and lseek(2) (fs/read_write.c).

import { O_APPEND, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from "../../abi/fcntl.js";
import { S_ISDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { current, type Task } from "../kernel/sched.js";
import type { MmStruct } from "../mm/uaccess.js";
import type { File } from "./fs.js";
import { isReadable, isWritable } from "./open.js";

/** MAX_RW_COUNT: one call moves at most INT_MAX rounded down to a page. */
const MAX_RW_COUNT = 0x7ffff000;

function checkCount(count: number): number {
  if (!Number.isInteger(count) || count < 0) throw new KernelError("EINVAL", "Invalid argument");
  return Math.min(count, MAX_RW_COUNT);
}

/** vfs_read(): EBADF unless open for reading, EISDIR for a directory, EINVAL without a read operation. */
export function vfsRead(file: File, ubuf: number, count: number, pos: number): number {
  if (!isReadable(file.flags)) throw new KernelError("EBADF", "Bad file descriptor");
  if (S_ISDIR(file.inode.mode)) throw new KernelError("EISDIR", "Is a directory");
  if (!file.fop.read) throw new KernelError("EINVAL", "Invalid argument");
  const n = checkCount(count);
  return n === 0 ? 0 : file.fop.read(file, ubuf, n, pos);
}

/** vfs_write(): EBADF unless open for writing, EINVAL without a write operation. */
export function vfsWrite(file: File, ubuf: number, count: number, pos: number): number {
  if (!isWritable(file.flags)) throw new KernelError("EBADF", "Bad file descriptor");
  if (!file.fop.write) throw new KernelError("EINVAL", "Invalid argument");
  const n = checkCount(count);
  return n === 0 ? 0 : file.fop.write(file, ubuf, n, pos);
}

export function sys_read(task: Task, fd: number, buf: number, count: number): number {
  const file = task.files.get(fd);
  const n = vfsRead(file, buf, count, file.pos);
  file.pos += n;
  return n;
}

/** write(2): with O_APPEND each write goes to the end of the file, whatever the offset was; a failed write moves nothing. */
export function sys_write(task: Task, fd: number, buf: number, count: number): number {
  const file = task.files.get(fd);
  const pos = file.flags & O_APPEND ? file.inode.size : file.pos;
  const n = vfsWrite(file, buf, count, pos);
  file.pos = pos + n;
  return n;
}

function checkOffset(pos: number): void {
  if (!Number.isSafeInteger(pos) || pos < 0) throw new KernelError("EINVAL", "Invalid argument");
}

/** pread64(2): EINVAL for a negative offset, before EBADF (ksys_pread64). */
export function sys_pread64(task: Task, fd: number, buf: number, count: number, pos: number): number {
  checkOffset(pos);
  const file = task.files.get(fd);
  return vfsRead(file, buf, count, pos);
}

/** pwrite64(2): as on Linux, a file opened O_APPEND is appended to whatever the offset says. */
export function sys_pwrite64(task: Task, fd: number, buf: number, count: number, pos: number): number {
  checkOffset(pos);
  const file = task.files.get(fd);
  return vfsWrite(file, buf, count, file.flags & O_APPEND ? file.inode.size : pos);
}

/** generic_file_llseek(): EINVAL for a bad whence or a negative result, ENXIO for SEEK_DATA/HOLE past the end. */
export function genericFileLlseek(file: File, offset: number, whence: number): number {
  return llseekSize(file, offset, whence, file.inode.size);
}

/** generic_file_llseek_size(): as generic_file_llseek for a file whose end is `size` (a block device's, say). */
export function llseekSize(file: File, offset: number, whence: number, size: number): number {
  let pos: number;
  switch (whence) {
    case SEEK_SET:
      pos = offset;
      break;
    case SEEK_CUR:
      pos = file.pos + offset;
      break;
    case SEEK_END:
      pos = size + offset;
      break;
    case SEEK_DATA:
    case SEEK_HOLE:
      if (offset < 0 || offset >= size) throw new KernelError("ENXIO", "No such device or address");
      pos = whence === SEEK_DATA ? offset : size;
      break;
    default:
      throw new KernelError("EINVAL", "Invalid argument");
  }
  if (!Number.isSafeInteger(pos) || pos < 0) throw new KernelError("EINVAL", "Invalid argument");
  return pos;
}

export function sys_lseek(task: Task, fd: number, offset: number, whence: number): number {
  const file = task.files.get(fd);
  const pos = (file.fop.llseek ?? genericFileLlseek)(file, offset, whence);
  file.pos = pos;
  return pos;
}

/**
 * kernel_read(): up to count bytes of the file from pos, into the kernel. A file's read copies to the
 * current task's memory, so for the length of the call the task's user copies reach `bounce` instead, as
 * set_fs(KERNEL_DS) once pointed them at kernel memory; the task's own memory is left alone.
 */
/** kernel_read_file() (fs/kernel_read_file.c): the whole of a file, read through `bounce` a chunk at a time. */
export function kernelReadFile(bounce: MmStruct, file: File, chunk = 64 * 1024): Uint8Array<ArrayBuffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let c = kernelRead(bounce, file, chunk, 0); c.length > 0; c = kernelRead(bounce, file, chunk, size)) {
    chunks.push(c);
    size += c.length;
  }
  const out = new Uint8Array(size);
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

export function kernelRead(bounce: MmStruct, file: File, count: number, pos: number): Uint8Array {
  const task = current();
  const [saved, mark] = [task.mm, bounce.mark];
  task.mm = bounce;
  try {
    const buf = bounce.sbrk(count);
    const n = vfsRead(file, buf, count, pos);
    return bounce.bytes(buf, n).slice();
  } finally {
    task.mm = saved;
    bounce.release(mark);
  }
}

/** kernel_write(): write data to the file at pos from the kernel, the task's user copies pointed at `bounce` as kernelRead does. */
export function kernelWrite(bounce: MmStruct, file: File, data: Uint8Array, pos: number): number {
  const task = current();
  const [saved, mark] = [task.mm, bounce.mark];
  task.mm = bounce;
  try {
    const buf = bounce.sbrk(data.length);
    bounce.bytes(buf, data.length).set(data);
    return vfsWrite(file, buf, data.length, pos);
  } finally {
    task.mm = saved;
    bounce.release(mark);
  }
}
