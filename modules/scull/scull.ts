// scull: the Simple Character Utility for Loading Localities of Linux Device Drivers (chapter 3 and 6).
//
// Each of scull_nr_devs devices is a memory area kept as a list of quantum sets: a qset is an array of
// qset pointers to quanta of quantum bytes. Opening write-only trims the device to nothing. The ioctls
// get, set, tell, query, exchange and shift the quantum and qset sizes, with LDD3's numbers.

import {
  copy_from_user, copy_to_user, device_create, device_destroy, EFAULT, EINVAL, ENODEV, ENOMEM, ENOTTY, file_flags,
  file_get_private, file_operations, file_pos, file_set_private, iminor, O_ACCMODE, O_WRONLY, pr_info, register_chrdev,
  SEEK_CUR, SEEK_END, SEEK_SET, THIS_MODULE, unregister_chrdev,
} from "../../abi/include/kernel";
import { ScullDev } from "./scull_mem";

MODULE_LICENSE("Dual BSD/GPL");
MODULE_AUTHOR("Alessandro Rubini, Jonathan Corbet (ported to wasm-lkm)");
MODULE_DESCRIPTION("scull: a memory-backed character device from Linux Device Drivers");

export let scull_major: i32 = 0;
module_param(scull_major, int, 0o444);
MODULE_PARM_DESC(scull_major, "Major number (0: dynamic)");

export let scull_nr_devs: i32 = 4;
module_param(scull_nr_devs, int, 0o444);
MODULE_PARM_DESC(scull_nr_devs, "Number of scull devices");

export let scull_quantum: i32 = 4000;
module_param(scull_quantum, int, 0o644);
MODULE_PARM_DESC(scull_quantum, "Bytes per quantum for a device after its next trim");

export let scull_qset: i32 = 1000;
module_param(scull_qset, int, 0o644);
MODULE_PARM_DESC(scull_qset, "Quanta per quantum set for a device after its next trim");

/** _IOC(dir, 'k', nr, size) as <asm-generic/ioctl.h> encodes it. */
const SCULL_IOC_MAGIC: u32 = 0x6b;
function ioc(dir: u32, nr: u32, size: u32): u32 {
  return (dir << 30) | (size << 16) | (SCULL_IOC_MAGIC << 8) | nr;
}
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;
const INT: u32 = 4;
const SCULL_IOC_MAXNR: u32 = 14;

const devs = new Array<ScullDev>();
const fops = new file_operations();
let major: u32 = 0;

function dev(file: u32): ScullDev {
  return devs[<i32>file_get_private(file)];
}

function scull_open(inode: u32, file: u32): i32 {
  const minor = iminor(inode);
  if (minor < 0 || minor >= devs.length) return -ENODEV;
  file_set_private(file, <u32>minor);
  if ((file_flags(file) & O_ACCMODE) == O_WRONLY) devs[minor].trim(scull_quantum, scull_qset);
  return 0;
}

/** A read stops at the end of the quantum it starts in, as LDD3's does. */
function scull_read(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const d = dev(file);
  if (pos >= d.size) return 0;
  const offset = pos % d.quantum;
  const n = min(min(count, d.size - pos), d.quantum - offset);
  const q = d.quantumAt(pos, false);
  if (q == null) return 0;
  if (copy_to_user(ubuf, q.dataStart + <usize>offset, <usize>n) != 0) return -EFAULT;
  return n;
}

function scull_write(file: u32, ubuf: usize, count: i32, pos: i32): i32 {
  const d = dev(file);
  const offset = pos % d.quantum;
  const n = min(count, d.quantum - offset);
  const q = d.quantumAt(pos, true);
  if (q == null) return -ENOMEM;
  if (copy_from_user(q.dataStart + <usize>offset, ubuf, <usize>n) != 0) return -EFAULT;
  if (pos + n > d.size) d.size = pos + n;
  return n;
}

/** scull_llseek(): SEEK_END counts from the device's size, which the VFS does not know. */
function scull_llseek(file: u32, offset: i32, whence: i32): i32 {
  const d = dev(file);
  let pos: i32;
  if (whence == SEEK_SET) pos = offset;
  else if (whence == SEEK_CUR) pos = file_pos(file) + offset;
  else if (whence == SEEK_END) pos = d.size + offset;
  else return -EINVAL;
  return pos < 0 ? -EINVAL : pos;
}

function getInt(arg: usize): i32 {
  const box = new StaticArray<i32>(1);
  if (copy_from_user(changetype<usize>(box), arg, 4) != 0) return i32.MIN_VALUE;
  return box[0];
}

function putInt(arg: usize, value: i32): i32 {
  const box = new StaticArray<i32>(1);
  box[0] = value;
  return copy_to_user(arg, changetype<usize>(box), 4) != 0 ? -EFAULT : 0;
}

/** The quantum (which == 0) or qset (1) ioctls: S, T, G, Q, X, H for set, tell, get, query, exchange, shift. */
function sizeIoctl(kind: u32, which: u32, arg: usize): i32 {
  const old = which == 0 ? scull_quantum : scull_qset;
  let value = old;
  if (kind == 0 || kind == 4) {
    value = getInt(arg);
    if (value == i32.MIN_VALUE) return -EFAULT;
  } else if (kind == 1 || kind == 5) value = <i32>arg;
  if (value <= 0) return -EINVAL;
  if (which == 0) scull_quantum = value;
  else scull_qset = value;
  if (kind == 2 || kind == 4) return putInt(arg, old);
  if (kind == 3 || kind == 5) return old;
  return 0;
}

function scull_ioctl(file: u32, cmd: u32, arg: u32): i32 {
  if (((cmd >> 8) & 0xff) != SCULL_IOC_MAGIC || (cmd & 0xff) > SCULL_IOC_MAXNR) return -ENOTTY;
  const nr = cmd & 0xff;
  if (cmd == ioc(IOC_NONE, 0, 0)) {
    scull_quantum = 4000;
    scull_qset = 1000;
    return 0;
  }
  const expected: u32[] = [0, ioc(IOC_WRITE, 1, INT), ioc(IOC_WRITE, 2, INT), ioc(IOC_NONE, 3, 0), ioc(IOC_NONE, 4, 0),
    ioc(IOC_READ, 5, INT), ioc(IOC_READ, 6, INT), ioc(IOC_NONE, 7, 0), ioc(IOC_NONE, 8, 0),
    ioc(IOC_READ | IOC_WRITE, 9, INT), ioc(IOC_READ | IOC_WRITE, 10, INT), ioc(IOC_NONE, 11, 0), ioc(IOC_NONE, 12, 0)];
  if (nr >= <u32>expected.length || cmd != expected[nr]) return -ENOTTY;
  // S T G Q X H, each once for the quantum (odd nr) and once for the qset (even nr).
  const kinds: u32[] = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5];
  return sizeIoctl(kinds[nr], (nr + 1) % 2, <usize>arg);
}

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.open = scull_open.index;
  fops.read = scull_read.index;
  fops.write = scull_write.index;
  fops.unlocked_ioctl = scull_ioctl.index;
  fops.llseek = scull_llseek.index;
  const got = register_chrdev(<u32>scull_major, "scull", fops);
  if (got < 0) return got;
  major = scull_major == 0 ? <u32>got : <u32>scull_major;
  for (let i = 0; i < scull_nr_devs; i++) {
    devs.push(new ScullDev(scull_quantum, scull_qset));
    device_create(major, <u32>i, `scull${i}`);
  }
  pr_info("scull: %d devices on major %u\n", scull_nr_devs, major);
  return 0;
}

export function cleanup_module(): void {
  for (let i = 0; i < scull_nr_devs; i++) device_destroy(major, <u32>i);
  unregister_chrdev(major, "scull");
}
