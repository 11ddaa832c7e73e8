// KUnit tests for scull's memory area (scull_mem.ts): where bytes live among quantum sets, and trimming.

import { kunit, kunit_suite, kunit_test_suites, KUNIT_ASSERT_NOT_NULL, KUNIT_CASE, KUNIT_EXPECT_EQ, KUNIT_EXPECT_NULL, KUNIT_EXPECT_PTR_EQ, KUNIT_EXPECT_TRUE } from "../../abi/include/kunit";
import { ScullDev } from "./scull_mem";

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("KUnit tests for scull's quantum sets");

/** A small device: 4-byte quanta, 3 quanta a set, so a set holds 12 bytes. */
function small(): ScullDev {
  return new ScullDev(4, 3);
}

function scull_follow_makes_sets_on_the_way(test: kunit): void {
  const d = small();
  const q = d.quantumAt(30, true);
  KUNIT_ASSERT_NOT_NULL(test, q);
  KUNIT_EXPECT_EQ(test, d.qsets.length, 3);
  KUNIT_EXPECT_EQ(test, q!.length, 4);
}

function scull_follow_finds_the_same_quantum(test: kunit): void {
  const d = small();
  const q = d.quantumAt(13, true);
  KUNIT_EXPECT_PTR_EQ(test, d.quantumAt(12, false), q);
  KUNIT_EXPECT_PTR_EQ(test, d.quantumAt(15, false), q);
  KUNIT_EXPECT_TRUE(test, d.quantumAt(16, true) != q);
}

function scull_follow_leaves_holes(test: kunit): void {
  const d = small();
  d.quantumAt(20, true);
  KUNIT_EXPECT_NULL(test, d.quantumAt(0, false));
  KUNIT_EXPECT_NULL(test, d.quantumAt(40, false));
  KUNIT_EXPECT_EQ(test, d.qsets.length, 2);
}

function scull_trim_empties_with_new_sizes(test: kunit): void {
  const d = small();
  d.quantumAt(100, true);
  d.size = 101;
  d.trim(8, 2);
  KUNIT_EXPECT_EQ(test, d.qsets.length, 0);
  KUNIT_EXPECT_EQ(test, d.size, 0);
  KUNIT_EXPECT_EQ(test, d.quantumAt(15, true)!.length, 8);
  KUNIT_EXPECT_EQ(test, d.qsets.length, 1);
}

const scull_test_suite: kunit_suite = {
  name: "scull",
  init: null,
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(scull_follow_makes_sets_on_the_way),
    KUNIT_CASE(scull_follow_finds_the_same_quantum),
    KUNIT_CASE(scull_follow_leaves_holes),
    KUNIT_CASE(scull_trim_empties_with_new_sizes),
  ],
};

kunit_test_suites(scull_test_suite);
