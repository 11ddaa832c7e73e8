// counter: a module that exports symbols for others to stack on (one of them GPL-only).

import { pr_info } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("A shared counter other modules add to");
MODULE_VERSION("1.0");

let value: i32 = 0;

/** Add n to the counter; returns the new value. */
export function counter_add(n: i32): i32 {
  value += n;
  return value;
}
EXPORT_SYMBOL(counter_add);

export function counter_get(): i32 {
  return value;
}
EXPORT_SYMBOL(counter_get);

export function counter_reset(): void {
  value = 0;
}
EXPORT_SYMBOL_GPL(counter_reset);

export function init_module(): i32 {
  pr_info("counter: ready at %d\n", value);
  return 0;
}

export function cleanup_module(): void {
  pr_info("counter: unloading at %d\n", value);
}
