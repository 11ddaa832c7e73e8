// An example KUnit suite, as lib/kunit/kunit-example-test.c is Linux's: each kind of check, init and exit,
// per-case data in test.priv, kunit_kzalloc, and skipping. Every case passes or is skipped.

import { GFP_KERNEL } from "../../abi/include/kernel";
import {
  kunit, kunit_info, kunit_kzalloc, kunit_mark_skipped, kunit_skip, kunit_suite, kunit_test_suites, KUNIT_ASSERT_GT, KUNIT_ASSERT_NOT_ERR_OR_NULL,
  KUNIT_CASE, KUNIT_EXPECT_EQ, KUNIT_EXPECT_FALSE, KUNIT_EXPECT_GE, KUNIT_EXPECT_LE, KUNIT_EXPECT_LT, KUNIT_EXPECT_MEMEQ, KUNIT_EXPECT_MEMNEQ,
  KUNIT_EXPECT_NE, KUNIT_EXPECT_NOT_NULL, KUNIT_EXPECT_NULL, KUNIT_EXPECT_PTR_EQ, KUNIT_EXPECT_PTR_NE, KUNIT_EXPECT_STREQ, KUNIT_EXPECT_STRNEQ,
  KUNIT_EXPECT_TRUE, KUNIT_SUCCEED,
} from "../../abi/include/kunit";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example KUnit test suite");

/** init: runs before each case; what it returns non-zero fails the case. Here it hands each case a buffer. */
function example_test_init(test: kunit): i32 {
  kunit_info(test, "initializing\n");
  test.priv = kunit_kzalloc(test, 16, GFP_KERNEL);
  return test.priv == 0 ? -12 : 0;
}

/** suite_init: runs once, before the first case. */
function example_test_init_suite(suite: kunit_suite): i32 {
  return suite.test_cases.length > 0 ? 0 : -22;
}

/** The simplest case: one expectation. */
function example_simple_test(test: kunit): void {
  KUNIT_EXPECT_EQ(test, 1 + 1, 2);
}

/** A case skipped at its start: nothing after kunit_skip runs. */
function example_skip_test(test: kunit): void {
  kunit_info(test, "you should not see a line below.");
  kunit_skip(test, "this test should be skipped");
  KUNIT_EXPECT_EQ(test, 1 + 1, 3);
}

/** A case marked skipped that still runs to its end. */
function example_mark_skipped_test(test: kunit): void {
  kunit_info(test, "you should see a line below.");
  kunit_mark_skipped(test, "this test should be skipped");
  kunit_info(test, "you should see this line.");
}

/** Every kind of check, each passing. */
function example_all_expect_macros_test(test: kunit): void {
  const buf = test.priv;
  const other = kunit_kzalloc(test, 16);
  KUNIT_EXPECT_TRUE(test, 1 < 2);
  KUNIT_EXPECT_FALSE(test, 2 < 1);
  KUNIT_EXPECT_EQ(test, 1, 1);
  KUNIT_EXPECT_NE(test, 1, 0);
  KUNIT_EXPECT_LT(test, 0, 1);
  KUNIT_EXPECT_LE(test, 1, 1);
  KUNIT_EXPECT_GE(test, 1, 1);
  KUNIT_EXPECT_NOT_NULL(test, buf);
  KUNIT_EXPECT_NULL(test, <usize>0);
  KUNIT_EXPECT_PTR_EQ(test, buf, test.priv);
  KUNIT_EXPECT_PTR_NE(test, buf, other);
  KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
  KUNIT_EXPECT_STREQ(test, "hi", "h" + "i");
  KUNIT_EXPECT_STRNEQ(test, "hi", "bye");
  KUNIT_EXPECT_MEMEQ(test, buf, other, 16);
  store<u8>(other, 1);
  KUNIT_EXPECT_MEMNEQ(test, buf, other, 16);
  KUNIT_ASSERT_GT(test, 2, 1);
  KUNIT_SUCCEED(test);
}

const example_test_suite: kunit_suite = {
  name: "example",
  init: example_test_init,
  suite_init: example_test_init_suite,
  exit: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(example_simple_test),
    KUNIT_CASE(example_skip_test),
    KUNIT_CASE(example_mark_skipped_test),
    KUNIT_CASE(example_all_expect_macros_test),
  ],
};

kunit_test_suites(example_test_suite);
