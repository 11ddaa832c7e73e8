// bench_intra: calls that stay inside one module, a direct call and call_indirect through the table.

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Loops of calls inside one module, for npm run bench");

/** The callee of every loop here; the bench keeps it out of line with binaryen's no-inline pass. */
export function bench_callee(x: i32): i32 {
  return x + 1;
}

/** The loop with the callee's work done in place: what a call costs on top of it. */
export function bench_intra_empty(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = acc + 1;
  return acc;
}
EXPORT_SYMBOL(bench_intra_empty);

export function bench_intra_direct(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = bench_callee(acc);
  return acc;
}
EXPORT_SYMBOL(bench_intra_direct);

/** `fn` comes from the host, so no pass can turn the call_indirect back into a direct call. */
export function bench_intra_indirect(n: i32, fn: u32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = call_indirect<i32>(fn, acc);
  return acc;
}
EXPORT_SYMBOL(bench_intra_indirect);

export function bench_intra_callee_index(): u32 {
  return bench_callee.index;
}
EXPORT_SYMBOL(bench_intra_callee_index);
