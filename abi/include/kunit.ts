// KUnit for modules (include/kunit/test.h): test cases, suites, and the checks they make.
//
//   function add_test(test: kunit): void {
//     KUNIT_EXPECT_EQ(test, counter_add(2), 2);
//   }
//   const counter_test_suite: kunit_suite = { name: "counter", test_cases: [KUNIT_CASE(add_test)] };
//   kunit_test_suites(counter_test_suite);
//
// The suites run once the module is live, each case in turn, reported in the kernel log as KTAP. A failed
// KUNIT_EXPECT_* fails its case and the case goes on; a failed KUNIT_ASSERT_* (or kunit_skip) also ends it,
// and exit and the freeing of its kunit_kzalloc blocks still run. A trap in a case fails that case only.
// The checks and the printk-like calls are generated into ./kunit_macros; modpost tells each where it stands and how its
// operands read (scripts/mod/kunit.ts), through __kunit_at.

import {
  __kunit_abort, __kunit_assert_message, __kunit_fail_binary, __kunit_fail_binary_ptr, __kunit_fail_binary_str, __kunit_fail_mem,
  __kunit_fail_ptr_not_err, __kunit_fail_unary, __kunit_test_case, __kunit_test_suite, __GFP_ZERO, __printk_arg, GFP_KERNEL,
  KUNIT_ASSERTION, kunit, kunit_kfree, kunit_kmalloc,
} from "./kernel";

export { kunit, kunit_kfree, kunit_kmalloc };
export * from "./kunit_macros";

/** A test case: run_case(test) makes checks on `test`. KUNIT_CASE(fn) names it after its function. */
export class kunit_case {
  constructor(
    readonly run_case: (test: kunit) => void,
    readonly name: string,
  ) {}
}

/** KUNIT_CASE(fn): the case fn, named "fn" (modpost fills in the name, as C's #fn does). */
export function KUNIT_CASE(run_case: (test: kunit) => void, name: string = ""): kunit_case {
  return new kunit_case(run_case, name);
}

/**
 * A test suite. init(test) runs before each case (non-zero fails the case without running it) and exit(test)
 * after it; suite_init(suite) before the first case (non-zero fails the suite) and suite_exit(suite) after the
 * last. Unused functions are null (asc lets an object literal leave them out; tsc, and so an editor, wants each
 * written).
 */
export class kunit_suite {
  name: string = "";
  init: ((test: kunit) => i32) | null = null;
  exit: ((test: kunit) => void) | null = null;
  suite_init: ((suite: kunit_suite) => i32) | null = null;
  suite_exit: ((suite: kunit_suite) => void) | null = null;
  test_cases: kunit_case[] = [];
}

function fnIndex<F>(fn: F | null): usize {
  // @ts-ignore: a function reference's table index
  return fn ? <usize>fn.index : 0;
}

/** Register one suite; the kernel keeps its functions' table indices, so the suite object stays pinned. */
function register(suite: kunit_suite): void {
  const ptr = changetype<usize>(suite);
  // @ts-ignore: AssemblyScript's runtime builtin, which its declarations for tsc leave out
  __pin(ptr);
  const id = __kunit_test_suite(ptr, suite.name, fnIndex(suite.init), fnIndex(suite.exit), fnIndex(suite.suite_init), fnIndex(suite.suite_exit));
  if (id < 0) return;
  for (let i = 0; i < suite.test_cases.length; i++) {
    const c = suite.test_cases[i];
    __kunit_test_case(id, c.name, <usize>c.run_case.index);
  }
}

/** kunit_test_suites(&a, &b...): the module's suites, run in this order once it is live. Call it at the top level. */
export function kunit_test_suites(
  s0: kunit_suite, s1: kunit_suite | null = null, s2: kunit_suite | null = null, s3: kunit_suite | null = null,
  s4: kunit_suite | null = null, s5: kunit_suite | null = null, s6: kunit_suite | null = null, s7: kunit_suite | null = null,
): void {
  register(s0);
  const rest = [s1, s2, s3, s4, s5, s6, s7];
  for (let i = 0; i < rest.length; i++) {
    const s = rest[i];
    if (s) register(s);
  }
}

/** kunit_kzalloc(): a zeroed block the case holds until it ends; freed then, however the case ends. */
export function kunit_kzalloc(test: kunit, size: usize, flags: u32 = GFP_KERNEL): usize {
  return kunit_kmalloc(test, size, flags | __GFP_ZERO);
}

/** KUNIT_SUCCEED(test): a check that always passes. */
export function KUNIT_SUCCEED(test: kunit): void {}

// The checks' machinery: where a check stands and how its operands read, given by modpost before the check runs.
let left_text: string = "";
let right_text: string = "";

/** _KUNIT_SAVE_LOC() and the check's #left, #right: modpost wraps each check's test argument in this call. */
// @ts-ignore: decorator
@global export function __kunit_at(test: kunit, loc: string, left: string = "", right: string = ""): kunit {
  test.last_seen = loc;
  left_text = left;
  right_text = right;
  return test;
}

/** A failed check's end: an assertion ends the case. */
function failed(test: kunit, type: i32): void {
  if (type == KUNIT_ASSERTION) __kunit_abort(test);
}

/** A _MSG check's message, given to the kernel only when the check fails; returns whether it passed. */
export function __kunit_msg<A, B, C, D, E, F>(test: kunit, pass: bool, fmt: string, a: A, b: B, c: C, d: D, e: E, f: F): bool {
  if (!pass) __kunit_assert_message(test, fmt, __printk_arg<A>(a), __printk_arg<B>(b), __printk_arg<C>(c), __printk_arg<D>(d), __printk_arg<E>(e), __printk_arg<F>(f));
  return pass;
}

export function __kunit_int<T>(test: kunit, type: i32, op: string, pass: bool, left: T, right: T): void {
  if (isInteger<T>()) {
    if (pass) return;
    __kunit_fail_binary(test, type, test.last_seen, op, left_text, <i64>left, right_text, <i64>right);
    failed(test, type);
  } else {
    ERROR("KUNIT_*_EQ, _NE, _LT, _LE, _GT and _GE compare integers: PTR_EQ compares references, STREQ strings, MEMEQ memory");
  }
}

export function __kunit_ptr(test: kunit, type: i32, op: string, pass: bool, left: usize, right: usize): void {
  if (pass) return;
  __kunit_fail_binary_ptr(test, type, test.last_seen, op, left_text, left, right_text, right);
  failed(test, type);
}

export function __kunit_null(test: kunit, type: i32, op: string, pass: bool, ptr: usize): void {
  if (pass) return;
  __kunit_fail_binary_ptr(test, type, test.last_seen, op, left_text, ptr, "NULL", 0);
  failed(test, type);
}

export function __kunit_str(test: kunit, type: i32, op: string, pass: bool, left: string, right: string): void {
  if (pass) return;
  __kunit_fail_binary_str(test, type, test.last_seen, op, left_text, left, right_text, right);
  failed(test, type);
}

/** memcmp() for MEMEQ: a NULL side never compares equal (nor unequal), as test.h's check has it. */
export function __kunit_memcmp(left: usize, right: usize, size: usize): i32 {
  if (left == 0 || right == 0) return i32.MIN_VALUE;
  return memory.compare(left, right, size);
}

export function __kunit_mem(test: kunit, type: i32, op: string, pass: bool, left: usize, right: usize, size: usize): void {
  if (pass && left != 0 && right != 0) return;
  __kunit_fail_mem(test, type, test.last_seen, op, left_text, left, right_text, right, size);
  failed(test, type);
}

export function __kunit_bool(test: kunit, type: i32, pass: bool, expected_true: bool): void {
  if (pass) return;
  __kunit_fail_unary(test, type, test.last_seen, left_text, expected_true);
  failed(test, type);
}

/** IS_ERR_OR_NULL(): NULL, or one of the top MAX_ERRNO (4095) addresses, where ERR_PTR(-errno) points. */
export function __kunit_is_err_or_null(ptr: usize): bool {
  return ptr == 0 || ptr >= <usize>-4095;
}

export function __kunit_not_err(test: kunit, type: i32, pass: bool, ptr: usize): void {
  if (pass) return;
  __kunit_fail_ptr_not_err(test, type, test.last_seen, left_text, ptr);
  failed(test, type);
}
