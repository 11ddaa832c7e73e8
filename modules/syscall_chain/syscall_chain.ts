// syscall_chain: lays itself over system call `nr` and calls on to whatever was below, counting the calls it
// passes on. The testing toolkit stacks it with a system call module to check chaining and unload order.

import { EINVAL, pr_info, syscall_call_next, syscall_override, syscall_unregister } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Overrides a system call and calls on, counting the calls");

export let nr: i32 = -1;
module_param(nr, int, 0o444);
MODULE_PARM_DESC(nr, "The system call to lay over");

export let calls: i32 = 0;
module_param(calls, int, 0o444);
MODULE_PARM_DESC(calls, "How many calls it has passed on");

function chain(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 {
  calls++;
  return syscall_call_next(nr, a0, a1, a2, a3, a4, a5);
}

export function init_module(): i32 {
  if (nr < 0) return -EINVAL;
  const err = syscall_override(nr, chain.index);
  if (err < 0) return err;
  pr_info("syscall_chain: over system call %d\n", nr);
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(nr);
}
