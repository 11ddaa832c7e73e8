// sys_hello: a new system call. sys_hello(buf, len) writes a greeting into the caller's buffer and returns its
// length; -EINVAL when len is too small, -EFAULT for a bad buffer.

import {
  copy_to_user, current_pid, EFAULT, EINVAL, pr_info, syscall_register, syscall_unregister,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Adds a system call that greets its caller");

export let nr: i32 = 335;
module_param(nr, int, 0o444);
MODULE_PARM_DESC(nr, "The system call number to take (a free slot; 335 is the first hole in x86_64's table)");

export let greeting: string = "Hello from the kernel";
module_param(greeting, charp, 0o644);
MODULE_PARM_DESC(greeting, "What the call writes, followed by the caller's pid");

function sys_hello(buf: i32, len: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 {
  const text = String.UTF8.encode(`${greeting}, pid ${current_pid()}!\n`);
  const n = text.byteLength;
  if (len < n) return -EINVAL;
  if (copy_to_user(<usize>buf, changetype<usize>(text), <usize>n) != 0) return -EFAULT;
  return n;
}

export function init_module(): i32 {
  const err = syscall_register(nr, sys_hello.index);
  if (err < 0) return err;
  pr_info("sys_hello: system call %d installed\n", nr);
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(nr);
  pr_info("sys_hello: system call %d removed\n", nr);
}
