// hello: the classic first module; greets at load and says goodbye at unload.

import { pr_info } from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Say hello to whom you like, as often as you like");
MODULE_VERSION("1.0");

export let who: string = "world";
module_param(who, charp, 0o644);
MODULE_PARM_DESC(who, "Whom to greet");

export let count: i32 = 1;
module_param(count, int, 0o444);
MODULE_PARM_DESC(count, "How many times to greet");

export function init_module(): i32 {
  for (let i = 0; i < count; i++) pr_info("Hello, %s!\n", who);
  return 0;
}

export function cleanup_module(): void {
  pr_info("Goodbye, %s.\n", who);
}
