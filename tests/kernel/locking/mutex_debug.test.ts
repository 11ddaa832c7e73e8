// Mutexes in modules (abi/include/mutex.ts): their results on the mutex in module memory, and
// CONFIG_DEBUG_MUTEXES's and lockdep's reports (host/kernel/locking/mutex_debug.ts), each an Oops of the module only.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../../host/init/main.js";
import { insmodOops, kunitCaseResults, moduleFixtures } from "../../helpers.js";

const HELPERS = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE } from "@abi/include/kunit";
import * as K from "@abi/include/kunit";
import {
  DEFINE_MUTEX, mutex, mutex_destroy, mutex_init, mutex_is_locked, mutex_lock, mutex_lock_interruptible,
  mutex_trylock, mutex_unlock,
} from "@abi/include/mutex";
MODULE_LICENSE("GPL");
const lock = DEFINE_MUTEX();
function defined(test: kunit): void {
  const at = changetype<usize>(lock);
  K.KUNIT_EXPECT_EQ(test, load<usize>(at), <usize>0);
  K.KUNIT_EXPECT_EQ(test, load<usize>(at, 4), at);
  K.KUNIT_EXPECT_FALSE(test, mutex_is_locked(lock));
}
function lock_unlock(test: kunit): void {
  mutex_lock(lock);
  K.KUNIT_EXPECT_TRUE(test, mutex_is_locked(lock));
  K.KUNIT_EXPECT_EQ(test, lock.owner, <usize>1);
  mutex_unlock(lock);
  K.KUNIT_EXPECT_FALSE(test, mutex_is_locked(lock));
  K.KUNIT_EXPECT_EQ(test, mutex_lock_interruptible(lock), 0);
  K.KUNIT_EXPECT_TRUE(test, mutex_is_locked(lock));
  mutex_unlock(lock);
}
function trylock(test: kunit): void {
  K.KUNIT_EXPECT_TRUE(test, mutex_trylock(lock));
  K.KUNIT_EXPECT_FALSE(test, mutex_trylock(lock));
  K.KUNIT_EXPECT_TRUE(test, mutex_is_locked(lock));
  mutex_unlock(lock);
  K.KUNIT_EXPECT_FALSE(test, mutex_is_locked(lock));
}
function init_destroy(test: kunit): void {
  const m = changetype<mutex>(K.kunit_kzalloc(test, 8));
  memory.fill(changetype<usize>(m), 0x5a, 8);
  mutex_init(m);
  mutex_lock(m);
  K.KUNIT_EXPECT_TRUE(test, mutex_is_locked(m));
  mutex_unlock(m);
  mutex_destroy(m);
  K.KUNIT_EXPECT_EQ(test, m.magic, <usize>0);
}
const suite: kunit_suite = {
  name: "mutex",
  test_cases: [KUNIT_CASE(defined), KUNIT_CASE(lock_unlock), KUNIT_CASE(trylock), KUNIT_CASE(init_destroy)],
};
kunit_test_suites(suite);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** init_module misuses its mutex as mode says, after logging the mutex's address. */
const BROKEN = `
import { GFP_KERNEL, kzalloc, pr_info } from "@abi/include/kernel";
import { DEFINE_MUTEX, mutex, mutex_destroy, mutex_lock, mutex_unlock } from "@abi/include/mutex";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0);
const lock = DEFINE_MUTEX();
export function init_module(): i32 {
  pr_info("lock=%x\\n", changetype<usize>(lock));
  if (mode == 1) { mutex_lock(lock); mutex_lock(lock); }
  if (mode == 2) mutex_unlock(lock);
  if (mode == 3) mutex_lock(changetype<mutex>(kzalloc(8, GFP_KERNEL)));
  if (mode == 4) { mutex_lock(lock); mutex_destroy(lock); }
  return 0;
}
export function cleanup_module(): void {}
`;

const fixtures = moduleFixtures("mutex", { mutex_helpers: HELPERS, mutex_broken: BROKEN });

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("mutex helpers", () => {
  it("take and release the mutex in the module's memory, with CONFIG_DEBUG_MUTEXES's magic", () => {
    k.insmod(fixtures.get("mutex_helpers")!);
    expect(kunitCaseResults(k)).toEqual(["    ok 1 defined", "    ok 2 lock_unlock", "    ok 3 trylock", "    ok 4 init_destroy"]);
  });
});

/** What mutex_broken logged when mode=n oopsed its init_module, and its mutex's address as %p. */
function misuse(mode: number): { lock: string; log: string[] } {
  const log = insmodOops(k, "mutex_broken", fixtures.get("mutex_broken")!, `mode=${mode}`);
  const lock = log.find((l) => l.startsWith("lock="))!.slice(5).padStart(8, "0");
  return { lock, log: log.filter((l) => !l.startsWith("lock=")) };
}

describe("CONFIG_DEBUG_MUTEXES's and lockdep's checks", () => {
  it("report a mutex_lock of a held mutex as lockdep's possible recursive locking, and oops the module instead of hanging", () => {
    const { lock, log } = misuse(1);
    expect(log.slice(0, 22)).toEqual([
      "", "============================================", "WARNING: possible recursive locking detected",
      "--------------------------------------------", "insmod/1 is trying to acquire lock:", `${lock} (${lock})`,
      "", "but task is already holding lock:", `${lock} (${lock})`, "", "other info that might help us debug this:",
      " Possible unsafe locking scenario:", "", "       CPU0", "       ----", `  lock(${lock});`, `  lock(${lock});`,
      "", " *** DEADLOCK ***", "", " May be due to missing lock nesting notation", "",
    ]);
    expect(log[22]).toBe("kernel BUG at init_module [mutex_broken]!");
    expect(log).toContain("Oops: invalid opcode: 0000 [#1]");
    expect(k.taint.test("DIE")).toBe(true);
  });

  it("warn of an unlock of a mutex the task does not hold, as __mutex_unlock_slowpath does", () => {
    const { log } = misuse(2);
    expect(log.slice(0, 3)).toEqual([
      "------------[ cut here ]------------", "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)",
      "WARNING: CPU: 0 PID: 1 at kernel/locking/mutex.c __mutex_unlock_slowpath",
    ]);
    expect(log).toContain("kernel BUG at init_module [mutex_broken]!");
    expect(k.taint.test("WARN")).toBe(true);
  });

  it("warn of a mutex never initialised as a magic mismatch", () => {
    const { log } = misuse(3);
    expect(log.slice(1, 3)).toEqual([
      "DEBUG_LOCKS_WARN_ON(lock->magic != lock)", "WARNING: CPU: 0 PID: 1 at kernel/locking/mutex.c __mutex_lock_common",
    ]);
  });

  it("warn of mutex_destroy of a held mutex", () => {
    const { log } = misuse(4);
    expect(log.slice(1, 3)).toEqual([
      "DEBUG_LOCKS_WARN_ON(mutex_is_locked(lock))", "WARNING: CPU: 0 PID: 1 at kernel/locking/mutex-debug.c mutex_destroy",
    ]);
  });

  it("leave the kernel and other modules working", () => {
    misuse(1);
    k.insmod(fixtures.get("mutex_helpers")!);
    expect(k.modules.list().map((m) => m.name)).toEqual(["mutex_helpers", "hello"]);
  });
});
