// The KUnit test module `wasm-lkm init` writes for each type of project (src/NAME_test.ts, as a Linux module
// has its NAME_kunit.c): a suite whose cases call what the module exports, run when it loads, by
// `npm run kunit` (wasm-lkm kunit run, as kunit.py run) and first thing in `npm test`.

import { exportedSymbols, type ModuleType } from "./modules.js";

interface Suite {
  /** What the suite tests, for the file's first line. */
  readonly about: string;
  /** The kernel constants (errnos) the cases expect. */
  readonly kernel: readonly string[];
  /** Declarations before the cases: constants, the suite's init. */
  readonly setup: string;
  /** The cases' functions; each is named NAME_..., and each runs as a case of the suite. */
  readonly cases: string;
  /** The suite's init hook, run before each case, or none. */
  readonly init?: string;
}

function misc(name: string): Suite {
  return {
    about: "its greetings, counted as another module asks for them",
    kernel: ["EINVAL"],
    init: `${name}_test_init`,
    setup: `/** The greetings before the case: ${name} counts on across cases, from those it gave when loaded. */
let before: i32 = 0;

function ${name}_test_init(test: kunit): i32 {
  before = ${name}_greetings();
  return 0;
}
`,
    cases: `function ${name}_greet_counts_each_greeting(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_greet(2), before + 2);
  KUNIT_EXPECT_EQ(test, ${name}_greetings(), before + 2);
}

function ${name}_greet_zero_times_greets_no_one(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_greet(0), before);
}

function ${name}_greet_refuses_a_negative_count(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_greet(-1), -EINVAL);
  KUNIT_EXPECT_EQ(test, ${name}_greetings(), before);
}
`,
  };
}

function chrdev(name: string): Suite {
  return {
    about: "how much of a write the device takes",
    kernel: ["ENOSPC"],
    setup: `/** The device's size, SIZE in ${name}.ts. */
const SIZE: i32 = 4096;
`,
    cases: `function ${name}_write_room_takes_what_fits(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_write_room(0, 10), 10);
  KUNIT_EXPECT_EQ(test, ${name}_write_room(SIZE - 1, 1), 1);
}

function ${name}_write_room_stops_at_the_end(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_write_room(SIZE - 10, 100), 10);
  KUNIT_EXPECT_EQ(test, ${name}_write_room(0, SIZE + 1), SIZE);
}

function ${name}_write_room_is_enospc_from_the_end(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_write_room(SIZE, 1), -ENOSPC);
  KUNIT_EXPECT_EQ(test, ${name}_write_room(SIZE + 100, 1), -ENOSPC);
}
`,
  };
}

function fs(name: string): Suite {
  return {
    about: "how much of the file greeting a read gets",
    kernel: [],
    setup: `/** The file's length with the parameter greeting as it is by default (kunit run gives none). */
const LEN: i32 = String.UTF8.byteLength("Hello from ${name}\\n");
`,
    cases: `function ${name}_read_len_reads_the_whole_file(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_read_len(0, 4096), LEN);
}

function ${name}_read_len_stops_at_the_end(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_read_len(0, 5), 5);
  KUNIT_EXPECT_EQ(test, ${name}_read_len(6, 4096), LEN - 6);
}

function ${name}_read_len_is_0_from_the_end(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_read_len(LEN, 1), 0);
  KUNIT_EXPECT_EQ(test, ${name}_read_len(LEN + 1, 1), 0);
}
`,
  };
}

function syscall(name: string): Suite {
  return {
    about: "what the call returns for each message length",
    kernel: ["EFAULT", "EINVAL"],
    setup: `/** The size of ${name}'s message buffer, MAX in ${name}.ts. */
const MAX: i32 = 256;
`,
    cases: `function ${name}_msg_len_is_the_length(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_msg_len(0), 0);
  KUNIT_EXPECT_EQ(test, ${name}_msg_len(5), 5);
  KUNIT_EXPECT_EQ(test, ${name}_msg_len(MAX - 1), MAX - 1);
}

function ${name}_msg_len_refuses_a_full_buffer(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_msg_len(MAX), -EINVAL);
}

function ${name}_msg_len_passes_on_efault(test: kunit): void {
  KUNIT_EXPECT_EQ(test, ${name}_msg_len(-EFAULT), -EFAULT);
}
`,
  };
}

/** The case functions' names, in the order they are written. */
function caseNames(cases: string): string[] {
  return [...cases.matchAll(/^function (\w+)\(test: kunit\): void/gm)].map((m) => m[1]!);
}

/** The KUnit test module of a project of that type, for the module NAME. */
export function kunitSource(type: ModuleType, name: string): string {
  const suite = { misc, chrdev, fs, syscall }[type](name);
  const kernel = suite.kernel.length > 0 ? `import { ${suite.kernel.join(", ")} } from "wasm-lkm/kernel";\n` : "";
  return `// KUnit tests for ${name}: ${suite.about}.
// The cases call what ${name} exports, as another module would; ${name} loads first (the build records
// depends=${name}). npm run kunit runs them, as does npm test before its vitest tests.

import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE, KUNIT_EXPECT_EQ } from "wasm-lkm/kunit";
${kernel}import { ${exportedSymbols(type, name).join(", ")} } from "./include/${name}";

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for ${name}");

${suite.setup}
${suite.cases}
const ${name}_test_suite: kunit_suite = {
  name: "${name}",
  init: ${suite.init ?? "null"},
  exit: null,
  suite_init: null,
  suite_exit: null,
  test_cases: [
${caseNames(suite.cases).map((c) => `    KUNIT_CASE(${c}),`).join("\n")}
  ],
};

kunit_test_suites(${name}_test_suite);
`;
}
