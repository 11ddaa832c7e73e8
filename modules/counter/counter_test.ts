// KUnit tests for counter (as lib/*_kunit.c test a library): its exported functions, called as a user module
// calls them. counter is loaded first (modpost records depends=counter).

import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ } from "../../abi/include/kunit";
import { counter_add, counter_get, counter_reset } from "../include/counter";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for counter");

/** Each case starts from zero, whatever the one before left. */
function counter_test_init(test: kunit): i32 {
  counter_reset();
  return 0;
}

function counter_add_returns_new_value(test: kunit): void {
  KUNIT_EXPECT_EQ(test, counter_add(2), 2);
  KUNIT_EXPECT_EQ(test, counter_add(3), 5);
}

function counter_add_takes_negatives(test: kunit): void {
  counter_add(1);
  KUNIT_EXPECT_EQ(test, counter_add(-4), -3);
}

function counter_get_reads_without_changing(test: kunit): void {
  counter_add(7);
  KUNIT_EXPECT_EQ(test, counter_get(), 7);
  KUNIT_EXPECT_EQ(test, counter_get(), 7);
}

function counter_reset_zeroes(test: kunit): void {
  counter_add(9);
  counter_reset();
  KUNIT_EXPECT_EQ(test, counter_get(), 0);
}

function counter_add_wraps_at_i32(test: kunit): void {
  counter_add(i32.MAX_VALUE);
  KUNIT_EXPECT_EQ(test, counter_add(1), i32.MIN_VALUE);
}

const counter_test_suite: kunit_suite = {
  name: "counter",
  init: counter_test_init,
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(counter_add_returns_new_value),
    KUNIT_CASE(counter_add_takes_negatives),
    KUNIT_CASE(counter_get_reads_without_changing),
    KUNIT_CASE(counter_reset_zeroes),
    KUNIT_CASE(counter_add_wraps_at_i32),
  ],
};

kunit_test_suites(counter_test_suite);
