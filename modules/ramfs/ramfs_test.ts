// KUnit tests for ramfs's directories (ramfs_dir.ts): the readdir positions that let rm -r unlink as it lists.

import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ, KUNIT_EXPECT_FALSE, KUNIT_EXPECT_STREQ, KUNIT_EXPECT_TRUE } from "../../abi/include/kunit";
import { Dir } from "./ramfs_dir";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for ramfs's directories");

function ramfs_dir_positions_start_after_dots(test: kunit): void {
  const d = new Dir();
  d.link("a", 10);
  d.link("b", 11);
  KUNIT_EXPECT_EQ(test, d.entries.get("a").offset, 2);
  KUNIT_EXPECT_EQ(test, d.entries.get("b").offset, 3);
  KUNIT_EXPECT_EQ(test, d.size, 2);
}

function ramfs_dir_relink_moves_to_the_end(test: kunit): void {
  const d = new Dir();
  d.link("a", 10);
  d.link("b", 11);
  d.link("a", 12);
  KUNIT_EXPECT_EQ(test, d.get("a"), <u32>12);
  KUNIT_EXPECT_EQ(test, d.entries.get("a").offset, 4);
  KUNIT_EXPECT_STREQ(test, d.entries.keys()[0], "b");
}

function ramfs_dir_positions_are_never_reused(test: kunit): void {
  const d = new Dir();
  d.link("a", 10);
  d.delete("a");
  KUNIT_EXPECT_FALSE(test, d.has("a"));
  d.link("c", 13);
  KUNIT_EXPECT_EQ(test, d.entries.get("c").offset, 3);
  KUNIT_EXPECT_TRUE(test, d.has("c"));
}

const ramfs_test_suite: kunit_suite = {
  name: "ramfs_dir",
  init: null,
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(ramfs_dir_positions_start_after_dots),
    KUNIT_CASE(ramfs_dir_relink_moves_to_the_end),
    KUNIT_CASE(ramfs_dir_positions_are_never_reused),
  ],
};

kunit_test_suites(ramfs_test_suite);
