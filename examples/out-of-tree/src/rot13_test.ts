// KUnit tests for rot13's byte transform, called as another module calls it. rot13 is loaded first (the
// build records depends=rot13).

import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ, KUNIT_EXPECT_EQ_MSG } from "wasm-lkm/kunit";
import { rot13_byte } from "./include/rot13";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for rot13");

function rot13_moves_letters_13_places(test: kunit): void {
  KUNIT_EXPECT_EQ(test, rot13_byte(0x41), 0x4e); // A -> N
  KUNIT_EXPECT_EQ(test, rot13_byte(0x6e), 0x61); // n -> a
  KUNIT_EXPECT_EQ(test, rot13_byte(0x7a), 0x6d); // z -> m
}

function rot13_leaves_other_bytes(test: kunit): void {
  KUNIT_EXPECT_EQ(test, rot13_byte(0x40), 0x40); // @, just before A
  KUNIT_EXPECT_EQ(test, rot13_byte(0x5b), 0x5b); // [, just after Z
  KUNIT_EXPECT_EQ(test, rot13_byte(0x20), 0x20);
  KUNIT_EXPECT_EQ(test, rot13_byte(0xff), 0xff);
}

function rot13_twice_is_identity(test: kunit): void {
  for (let c = 0; c < 256; c++) KUNIT_EXPECT_EQ_MSG(test, rot13_byte(rot13_byte(c)), c, "byte %d", c);
}

const rot13_test_suite: kunit_suite = {
  name: "rot13",
  init: null,
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(rot13_moves_letters_13_places),
    KUNIT_CASE(rot13_leaves_other_bytes),
    KUNIT_CASE(rot13_twice_is_identity),
  ],
};

kunit_test_suites(rot13_test_suite);
