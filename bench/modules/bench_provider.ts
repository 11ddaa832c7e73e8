// bench_provider: exports the symbol bench_user calls across the module boundary.

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("The callee of the module-to-module figures, for npm run bench");

/** The same work as bench_intra's bench_callee, so the two figures differ only in how the call is bound. */
export function bench_target(x: i32): i32 {
  return x + 1;
}
EXPORT_SYMBOL(bench_target);
