// The Extism plugin the bench calls for its peer figures: a loop of host-function calls, and a no-op export.

import { Host } from "@extism/as-pdk";

// @ts-ignore: decorator
@external("extism:host/user", "bench_add_one")
declare function bench_add_one(x: i32): i32;

export function bench_noop(): i32 {
  return 0;
}

/** Input: the number of host-function calls to make; output: their chained result. */
export function bench_host(): i32 {
  const n = I32.parseInt(Host.inputString());
  let acc = 0;
  for (let i = 0; i < n; i++) acc = bench_add_one(acc);
  Host.outputString(acc.toString());
  return 0;
}

export function bench_abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}
