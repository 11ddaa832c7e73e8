// counter_proprietary: a non-GPL module reaching for counter's GPL-only counter_reset; the loader refuses it.

import { pr_info } from "../../abi/include/kernel";
import { counter_reset } from "../include/counter";

MODULE_LICENSE("Proprietary");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Tries to use a GPL-only symbol without a GPL licence");

export function init_module(): i32 {
  counter_reset();
  pr_info("counter_proprietary: reset the counter\n");
  return 0;
}

export function cleanup_module(): void {}
