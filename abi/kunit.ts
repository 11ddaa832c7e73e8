// KUnit's constants, as the kernel and a test module share them (include/kunit/assert.h, include/kunit/test.h).

/** enum kunit_assert_type: a failed ASSERT ends its test case, a failed EXPECT only marks it failed. */
export const KUNIT_ASSERTION = 0;
export const KUNIT_EXPECTATION = 1;

/** KUNIT_STATUS_COMMENT_SIZE: a skip reason is cut to this many bytes, its NUL included. */
export const KUNIT_STATUS_COMMENT_SIZE = 256;

/**
 * The checks of include/kunit/test.h, KUNIT_EXPECT_<NAME> and KUNIT_ASSERT_<NAME>, each with a _MSG form that
 * adds a printk-style message: their family (how they compare and report) and operator.
 */
export const KUNIT_CHECKS = {
  EQ: ["int", "=="], NE: ["int", "!="], LT: ["int", "<"], LE: ["int", "<="], GT: ["int", ">"], GE: ["int", ">="],
  PTR_EQ: ["ptr", "=="], PTR_NE: ["ptr", "!="], NULL: ["null", "=="], NOT_NULL: ["null", "!="],
  STREQ: ["str", "=="], STRNEQ: ["str", "!="], MEMEQ: ["mem", "=="], MEMNEQ: ["mem", "!="],
  TRUE: ["bool", "true"], FALSE: ["bool", "false"], NOT_ERR_OR_NULL: ["not_err", ""],
} as const;

export type KunitCheckFamily = (typeof KUNIT_CHECKS)[keyof typeof KUNIT_CHECKS][0];

/** How many operands' source texts a failure of each family shows: modpost hands them to the check. */
export const KUNIT_CHECK_TEXTS: Record<KunitCheckFamily, 1 | 2> = { int: 2, ptr: 2, null: 1, str: 2, mem: 2, bool: 1, not_err: 1 };
