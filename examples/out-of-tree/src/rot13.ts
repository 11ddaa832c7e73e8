// rot13: a system call, number `nr`. rot13(buf, len) turns the len bytes at buf, in the caller's memory,
// into their ROT13 (letters 13 places on, the rest as they are) and returns len; EFAULT for a bad buffer,
// EINVAL for a negative len or one over MAX.

import {
  copy_from_user, copy_to_user, EFAULT, EINVAL, pr_info, syscall_register, syscall_unregister,
} from "wasm-lkm/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The rot13 authors");
MODULE_DESCRIPTION("A system call that ROT13s its caller's buffer");
MODULE_VERSION("0.1.0");

export let nr: i32 = 335;
module_param(nr, int, 0o444);
MODULE_PARM_DESC(nr, "The system call number to take (a free slot; 335 is the first hole in x86_64's table)");

const MAX: i32 = 4096;
const buf = new Uint8Array(MAX);

/** One byte's ROT13: A-Z and a-z 13 places on, wrapping; any other byte as it is. */
export function rot13_byte(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return 0x41 + ((c - 0x41 + 13) % 26);
  if (c >= 0x61 && c <= 0x7a) return 0x61 + ((c - 0x61 + 13) % 26);
  return c;
}
EXPORT_SYMBOL(rot13_byte);

/** A system call gets six 32-bit arguments and returns a value or a negative errno; the caller's memory is reached by copying. */
function sys_rot13(ubuf: i32, len: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 {
  if (len < 0 || len > MAX) return -EINVAL;
  if (copy_from_user(buf.dataStart, <usize>ubuf, <usize>len) != 0) return -EFAULT;
  for (let i = 0; i < len; i++) buf[i] = <u8>rot13_byte(buf[i]);
  if (copy_to_user(<usize>ubuf, buf.dataStart, <usize>len) != 0) return -EFAULT;
  return len;
}

export function init_module(): i32 {
  const err = syscall_register(nr, sys_rot13.index);
  if (err < 0) return err;
  pr_info("rot13: system call %d installed\n", nr);
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(nr);
}
