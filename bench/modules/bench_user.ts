// bench_user: a loop of calls to another module's exported symbol.

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Loops of module-to-module calls, for npm run bench");

// @ts-ignore: decorator
@external("kernel", "bench_target")
declare function bench_target(x: i32): i32;

export function bench_user_call(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = bench_target(acc);
  return acc;
}
EXPORT_SYMBOL(bench_user_call);
