// KUnit by package name: `import { kunit, kunit_suite, KUNIT_EXPECT_EQ } from "wasm-lkm/kunit"` in a test
// module's source, resolved as ./kernel.ts is.
export * from "./abi/include/kunit";
