// Spinlocks and rwlocks in modules (abi/include/spinlock.ts, rwlock.ts): their results on the lock in module
// memory, and CONFIG_DEBUG_SPINLOCK's reports (host/kernel/locking/spinlock_debug.ts), each an Oops of the
// module only.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../../host/init/main.js";
import { dmesg, insmodOops, kunitCaseResults, moduleFixtures } from "../../helpers.js";

const HELPERS = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE } from "@abi/include/kunit";
import * as K from "@abi/include/kunit";
import {
  DEFINE_SPINLOCK, spin_is_locked, spin_lock, spin_lock_bh, spin_lock_init, spin_lock_irq, spin_lock_irqsave, spin_trylock,
  spin_unlock, spin_unlock_bh, spin_unlock_irq, spin_unlock_irqrestore, spinlock_t,
} from "@abi/include/spinlock";
MODULE_LICENSE("GPL");
const lock = DEFINE_SPINLOCK();
function defined(test: kunit): void {
  const at = changetype<usize>(lock);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at), 1);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at, 4), 0xdead4ead);
  K.KUNIT_EXPECT_EQ(test, load<i32>(at, 8), -1);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at, 12), 0xffffffff);
  K.KUNIT_EXPECT_FALSE(test, spin_is_locked(lock));
}
function lock_unlock(test: kunit): void {
  spin_lock(lock);
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(lock));
  K.KUNIT_EXPECT_EQ(test, lock.owner_cpu, 0);
  spin_unlock(lock);
  K.KUNIT_EXPECT_FALSE(test, spin_is_locked(lock));
  K.KUNIT_EXPECT_EQ(test, lock.owner_cpu, -1);
  K.KUNIT_EXPECT_EQ(test, lock.owner, 0xffffffff);
}
function trylock(test: kunit): void {
  K.KUNIT_EXPECT_TRUE(test, spin_trylock(lock));
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(lock));
  spin_unlock(lock);
  K.KUNIT_EXPECT_FALSE(test, spin_is_locked(lock));
}
function irqsave(test: kunit): void {
  const flags = spin_lock_irqsave(lock);
  K.KUNIT_EXPECT_EQ(test, flags, <usize>0);
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(lock));
  spin_unlock_irqrestore(lock, flags);
  spin_lock_irq(lock);
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(lock));
  spin_unlock_irq(lock);
  spin_lock_bh(lock);
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(lock));
  spin_unlock_bh(lock);
  K.KUNIT_EXPECT_FALSE(test, spin_is_locked(lock));
}
function init_over_garbage(test: kunit): void {
  const l = changetype<spinlock_t>(K.kunit_kzalloc(test, 16));
  memory.fill(changetype<usize>(l), 0x5a, 16);
  spin_lock_init(l);
  spin_lock(l);
  K.KUNIT_EXPECT_TRUE(test, spin_is_locked(l));
  spin_unlock(l);
}
const suite: kunit_suite = {
  name: "spinlock",
  test_cases: [KUNIT_CASE(defined), KUNIT_CASE(lock_unlock), KUNIT_CASE(trylock), KUNIT_CASE(irqsave), KUNIT_CASE(init_over_garbage)],
};
kunit_test_suites(suite);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** init_module breaks its lock as mode says, after logging the lock's address. */
const BROKEN = `
import { GFP_KERNEL, kzalloc, pr_info } from "@abi/include/kernel";
import { DEFINE_SPINLOCK, spin_lock, spin_trylock, spin_unlock, spinlock_t } from "@abi/include/spinlock";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0);
const lock = DEFINE_SPINLOCK();
export function init_module(): i32 {
  pr_info("lock=%x\\n", changetype<usize>(lock));
  if (mode == 1) { spin_lock(lock); spin_lock(lock); }
  if (mode == 2) { spin_lock(lock); spin_unlock(lock); spin_unlock(lock); }
  if (mode == 3) {
    const raw = changetype<spinlock_t>(kzalloc(16, GFP_KERNEL));
    pr_info("lock=%x\\n", changetype<usize>(raw));
    spin_lock(raw);
  }
  if (mode == 4) { spin_lock(lock); spin_trylock(lock); }
  if (mode == 5) spin_lock(changetype<spinlock_t>(0));
  return 0;
}
export function cleanup_module(): void {}
`;

const RW_HELPERS = `
import { kunit, kunit_suite, kunit_test_suites, KUNIT_CASE } from "@abi/include/kunit";
import * as K from "@abi/include/kunit";
import {
  DEFINE_RWLOCK, read_lock, read_lock_bh, read_lock_irqsave, read_trylock, read_unlock, read_unlock_bh,
  read_unlock_irqrestore, rwlock_init, rwlock_t, write_lock, write_lock_bh, write_lock_irqsave, write_trylock,
  write_unlock, write_unlock_bh, write_unlock_irqrestore,
} from "@abi/include/spinlock";
MODULE_LICENSE("GPL");
const lock = DEFINE_RWLOCK();
function defined(test: kunit): void {
  const at = changetype<usize>(lock);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at), 0);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at, 4), 0xdeaf1eed);
  K.KUNIT_EXPECT_EQ(test, load<i32>(at, 8), -1);
  K.KUNIT_EXPECT_EQ(test, load<u32>(at, 12), 0xffffffff);
}
function readers(test: kunit): void {
  read_lock(lock);
  read_lock(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0x400);
  K.KUNIT_EXPECT_EQ(test, lock.owner_cpu, -1);
  K.KUNIT_EXPECT_TRUE(test, read_trylock(lock));
  read_unlock(lock);
  read_unlock(lock);
  read_unlock(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0);
}
function writer(test: kunit): void {
  write_lock(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0xff);
  K.KUNIT_EXPECT_EQ(test, lock.owner_cpu, 0);
  K.KUNIT_EXPECT_EQ(test, lock.owner, 1);
  write_unlock(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0);
  K.KUNIT_EXPECT_EQ(test, lock.owner_cpu, -1);
  K.KUNIT_EXPECT_EQ(test, lock.owner, 0xffffffff);
  K.KUNIT_EXPECT_TRUE(test, write_trylock(lock));
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0xff);
  write_unlock(lock);
}
function irqsave_bh(test: kunit): void {
  let flags = read_lock_irqsave(lock);
  K.KUNIT_EXPECT_EQ(test, flags, <usize>0);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0x200);
  read_unlock_irqrestore(lock, flags);
  flags = write_lock_irqsave(lock);
  K.KUNIT_EXPECT_EQ(test, flags, <usize>0);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0xff);
  write_unlock_irqrestore(lock, flags);
  read_lock_bh(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0x200);
  read_unlock_bh(lock);
  write_lock_bh(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0xff);
  write_unlock_bh(lock);
  K.KUNIT_EXPECT_EQ(test, lock.raw_lock, 0);
}
function init_over_garbage(test: kunit): void {
  const l = changetype<rwlock_t>(K.kunit_kzalloc(test, 16));
  memory.fill(changetype<usize>(l), 0x5a, 16);
  rwlock_init(l);
  write_lock(l);
  K.KUNIT_EXPECT_EQ(test, l.raw_lock, 0xff);
  write_unlock(l);
}
const suite: kunit_suite = {
  name: "rwlock",
  test_cases: [KUNIT_CASE(defined), KUNIT_CASE(readers), KUNIT_CASE(writer), KUNIT_CASE(irqsave_bh), KUNIT_CASE(init_over_garbage)],
};
kunit_test_suites(suite);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;

/** init_module breaks its rwlock as mode says, after logging the lock's address. */
const RW_BROKEN = `
import { GFP_KERNEL, kzalloc, pr_info } from "@abi/include/kernel";
import { DEFINE_RWLOCK, read_lock, read_trylock, rwlock_t, write_lock, write_trylock, write_unlock } from "@abi/include/spinlock";
MODULE_LICENSE("GPL");
export let mode: i32 = 0;
module_param(mode, int, 0);
const lock = DEFINE_RWLOCK();
export function init_module(): i32 {
  pr_info("lock=%x\\n", changetype<usize>(lock));
  if (mode == 1) { write_lock(lock); write_lock(lock); }
  if (mode == 2) { write_lock(lock); write_unlock(lock); write_unlock(lock); }
  if (mode == 3) {
    const raw = changetype<rwlock_t>(kzalloc(16, GFP_KERNEL));
    pr_info("lock=%x\\n", changetype<usize>(raw));
    read_lock(raw);
  }
  if (mode == 4) { read_lock(lock); write_trylock(lock); }
  if (mode == 5) { write_lock(lock); read_trylock(lock); }
  if (mode == 6) write_lock(changetype<rwlock_t>(0));
  return 0;
}
export function cleanup_module(): void {}
`;

const fixtures = moduleFixtures("spinlock", {
  spin_helpers: HELPERS, spin_broken: BROKEN, rwlock_helpers: RW_HELPERS, rwlock_broken: RW_BROKEN,
});

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("spinlock helpers", () => {
  it("take and release the lock word in the module's memory, as the UP build with CONFIG_DEBUG_SPINLOCK does", () => {
    k.insmod(fixtures.get("spin_helpers")!);
    expect(kunitCaseResults(k)).toEqual([
      "    ok 1 defined", "    ok 2 lock_unlock", "    ok 3 trylock", "    ok 4 irqsave", "    ok 5 init_over_garbage",
    ]);
  });
});

/** Insmod spin_broken (or name) with mode=n, which must oops in init_module; returns the lock's address in hex and what it logged. */
function broken(mode: number, name = "spin_broken"): { lock: string; log: string[] } {
  const log = insmodOops(k, name, fixtures.get(name)!, `mode=${mode}`);
  const lock = log.filter((l) => l.startsWith("lock="))
    .map((l) => l.slice(5))
    .pop()!;
  return { lock, log: log.filter((l) => !l.startsWith("lock=")) };
}

describe("CONFIG_DEBUG_SPINLOCK's checks", () => {
  it("report a lock taken twice as recursion, with spin_dump's lines, and oops the module", () => {
    const { lock, log } = broken(1);
    expect(log.slice(0, 3)).toEqual([
      "BUG: spinlock recursion on CPU#0, insmod/1",
      ` lock: 0x${lock}, .magic: dead4ead, .owner: insmod/1, .owner_cpu: 0`,
      "kernel BUG at init_module [spin_broken]!",
    ]);
    expect(log).toContain("Oops: invalid opcode: 0000 [#1]");
    expect(k.taint.test("DIE")).toBe(true);
  });

  it("report an unlock of a free lock as already unlocked", () => {
    const { lock, log } = broken(2);
    expect(log.slice(0, 2)).toEqual([
      "BUG: spinlock already unlocked on CPU#0, insmod/1",
      ` lock: 0x${lock}, .magic: dead4ead, .owner: <none>/-1, .owner_cpu: -1`,
    ]);
  });

  it("report a lock never initialised as bad magic", () => {
    const { lock, log } = broken(3);
    expect(log.slice(0, 2)).toEqual([
      "BUG: spinlock bad magic on CPU#0, insmod/1",
      ` lock: 0x${lock}, .magic: 00000000, .owner: <none>/-1, .owner_cpu: 0`,
    ]);
  });

  it("report a trylock of a held lock as a trylock failure on UP", () => {
    const { lock, log } = broken(4);
    expect(log.slice(0, 2)).toEqual([
      "BUG: spinlock trylock failure on UP on CPU#0, insmod/1",
      ` lock: 0x${lock}, .magic: dead4ead, .owner: insmod/1, .owner_cpu: 0`,
    ]);
  });

  it("oops the module, with no error of the host's, when the lock is a NULL pointer", () => {
    const { log } = broken(5);
    expect(log[0]).toBe("BUG: wasm trap in spin_broken: memory access out of bounds");
  });

  it("leave the kernel and other modules working", () => {
    broken(1);
    k.insmod(fixtures.get("spin_helpers")!);
    expect(k.modules.list().map((m) => m.name)).toEqual(["spin_helpers", "hello"]);
    k.rmmod("hello");
    expect(dmesg(k)).toContain("ok 1 spinlock");
  });
});

describe("rwlock helpers", () => {
  it("count readers and take the writer on the lock in the module's memory, as the UP build with CONFIG_DEBUG_SPINLOCK does", () => {
    k.insmod(fixtures.get("rwlock_helpers")!);
    expect(kunitCaseResults(k)).toEqual([
      "    ok 1 defined", "    ok 2 readers", "    ok 3 writer", "    ok 4 irqsave_bh", "    ok 5 init_over_garbage",
    ]);
  });
});

describe("CONFIG_DEBUG_SPINLOCK's rwlock checks", () => {
  it("report a write lock taken twice as recursion, with rwlock_bug's line, and oops the module", () => {
    const { lock, log } = broken(1, "rwlock_broken");
    expect(log.slice(0, 2)).toEqual([
      `BUG: rwlock recursion on CPU#0, insmod/1, ${lock.padStart(8, "0")}`,
      "kernel BUG at init_module [rwlock_broken]!",
    ]);
    expect(log).toContain("Oops: invalid opcode: 0000 [#1]");
    expect(k.taint.test("DIE")).toBe(true);
  });

  it("report a write unlock with no writer as wrong owner", () => {
    const { lock, log } = broken(2, "rwlock_broken");
    expect(log[0]).toBe(`BUG: rwlock wrong owner on CPU#0, insmod/1, ${lock.padStart(8, "0")}`);
  });

  it("report a lock never initialised as bad magic", () => {
    const { lock, log } = broken(3, "rwlock_broken");
    expect(log[0]).toBe(`BUG: rwlock bad magic on CPU#0, insmod/1, ${lock.padStart(8, "0")}`);
  });

  it("report a write_trylock under a reader and a read_trylock under the writer as trylock failures on UP", () => {
    for (const mode of [4, 5]) {
      k = new Kernel();
      const { lock, log } = broken(mode, "rwlock_broken");
      expect(log[0]).toBe(`BUG: rwlock trylock failure on UP on CPU#0, insmod/1, ${lock.padStart(8, "0")}`);
    }
  });

  it("oops the module, with no error of the host's, when the lock is a NULL pointer", () => {
    const { log } = broken(6, "rwlock_broken");
    expect(log[0]).toBe("BUG: wasm trap in rwlock_broken: memory access out of bounds");
  });
});
