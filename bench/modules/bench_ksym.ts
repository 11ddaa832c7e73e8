// bench_ksym: loops of calls from a module into the base kernel, bound as the loader binds kernel symbols.

import { get_jiffies, GFP_KERNEL, kfree, kmalloc, module_put, pr_info } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Loops of base-kernel symbol calls, for npm run bench");

/** module_put(NULL) returns at once, in Linux and here: the call itself is all there is to measure. */
export function bench_ksym_trivial(n: i32): i32 {
  for (let i = 0; i < n; i++) module_put(0);
  return n;
}
EXPORT_SYMBOL(bench_ksym_trivial);

/** get_jiffies() is the kernel core's wasm function (host/kernel/core.ts): a call between instances. */
export function bench_ksym_jiffies(n: i32): i32 {
  let acc: u32 = 0;
  for (let i = 0; i < n; i++) acc += get_jiffies();
  return <i32>acc;
}
EXPORT_SYMBOL(bench_ksym_jiffies);

export function bench_ksym_printk(n: i32): i32 {
  for (let i = 0; i < n; i++) pr_info("bench\n");
  return n;
}
EXPORT_SYMBOL(bench_ksym_printk);

export function bench_ksym_kmalloc(n: i32): i32 {
  for (let i = 0; i < n; i++) kfree(kmalloc(64, GFP_KERNEL));
  return n;
}
EXPORT_SYMBOL(bench_ksym_kmalloc);
