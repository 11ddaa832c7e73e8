// bench_ksym: loops of calls from a module into the base kernel, bound as the loader binds kernel symbols.

import { current_pid, get_jiffies, GFP_KERNEL, kfree, kmalloc, module_put, pr_info, THIS_MODULE, try_module_get } from "../../abi/include/kernel";
import { INIT_LIST_HEAD, LIST_HEAD, list_add, list_del, list_head } from "../../abi/include/list";
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "../../abi/include/spinlock";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Loops of base-kernel symbol calls, for npm run bench");

/** current_pid() is a JS function that reads the current task's pid: a wasm → JS import and next to no work. */
export function bench_ksym_trivial(n: i32): i32 {
  let acc: u32 = 0;
  for (let i = 0; i < n; i++) acc += current_pid();
  return <i32>acc;
}
EXPORT_SYMBOL(bench_ksym_trivial);

/** module_put(NULL) returns at once, in Linux and here: the call into the kernel core is all there is to measure. */
export function bench_ksym_module_put(n: i32): i32 {
  for (let i = 0; i < n; i++) module_put(0);
  return n;
}
EXPORT_SYMBOL(bench_ksym_module_put);

/** A reference taken and dropped on this module: the kernel core's fast paths, each a call. */
export function bench_ksym_module_ref(n: i32): i32 {
  for (let i = 0; i < n; i++) {
    try_module_get(THIS_MODULE);
    module_put(THIS_MODULE);
  }
  return n;
}
EXPORT_SYMBOL(bench_ksym_module_ref);

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

const bench_lock = DEFINE_SPINLOCK();

/** spin_lock + spin_unlock: inline code on the lock word (abi/include/spinlock.ts), its debug checks and no call. */
export function bench_ksym_spin_lock(n: i32): i32 {
  for (let i = 0; i < n; i++) {
    spin_lock(bench_lock);
    spin_unlock(bench_lock);
  }
  return n;
}
EXPORT_SYMBOL(bench_ksym_spin_lock);

const bench_list = LIST_HEAD();
const bench_entry = new list_head();
INIT_LIST_HEAD(bench_entry);

/** list_add + list_del of one entry on a list in module memory: inline code with CONFIG_DEBUG_LIST's checks (abi/include/list.ts). */
export function bench_ksym_list(n: i32): i32 {
  for (let i = 0; i < n; i++) {
    list_add(bench_entry, bench_list);
    list_del(bench_entry);
  }
  return n;
}
EXPORT_SYMBOL(bench_ksym_list);
