// counter_user: stacks on counter, calling its exported symbols directly (a wasm-to-wasm call).

import { pr_info } from "../../abi/include/kernel";
import { counter_add, counter_get } from "../include/counter";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Uses the counter module's symbols");

export let step: i32 = 5;
module_param(step, int, 0o444);
MODULE_PARM_DESC(step, "How much to add to the counter at load");

export function init_module(): i32 {
  const after = counter_add(step);
  pr_info("counter_user: added %d, counter_add returned %d, counter_get says %d\n", step, after, counter_get());
  return 0;
}

export function cleanup_module(): void {
  pr_info("counter_user: leaving the counter at %d\n", counter_get());
}
