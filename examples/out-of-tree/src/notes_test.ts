// KUnit tests for notes: its exported functions, called as another module calls them. notes is loaded first
// (the build records depends=notes).

import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ } from "wasm-lkm/kunit";
import { EINVAL, SEEK_CUR, SEEK_END, SEEK_SET } from "wasm-lkm/kernel";
import { notes_seek, notes_used } from "./include/notes";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for notes");

function notes_starts_empty(test: kunit): void {
  KUNIT_EXPECT_EQ(test, notes_used(), 0);
}

function notes_seek_set_goes_to_the_offset(test: kunit): void {
  KUNIT_EXPECT_EQ(test, notes_seek(5, 10, 3, SEEK_SET), 3);
  KUNIT_EXPECT_EQ(test, notes_seek(5, 10, 20, SEEK_SET), 20);
}

function notes_seek_cur_and_end_count_from_there(test: kunit): void {
  KUNIT_EXPECT_EQ(test, notes_seek(5, 10, -1, SEEK_CUR), 4);
  KUNIT_EXPECT_EQ(test, notes_seek(5, 10, -2, SEEK_END), 8);
}

function notes_seek_refuses_bad_whence_and_negative_offsets(test: kunit): void {
  KUNIT_EXPECT_EQ(test, notes_seek(0, 10, 0, 7), -EINVAL);
  KUNIT_EXPECT_EQ(test, notes_seek(0, 10, -1, SEEK_SET), -EINVAL);
  KUNIT_EXPECT_EQ(test, notes_seek(2, 10, -3, SEEK_CUR), -EINVAL);
}

const notes_test_suite: kunit_suite = {
  name: "notes",
  init: null,
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
    KUNIT_CASE(notes_starts_empty),
    KUNIT_CASE(notes_seek_set_goes_to_the_offset),
    KUNIT_CASE(notes_seek_cur_and_end_count_from_there),
    KUNIT_CASE(notes_seek_refuses_bad_whence_and_negative_offsets),
  ],
};

kunit_test_suites(notes_test_suite);
