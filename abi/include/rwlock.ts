// Reader-writer locks for modules (include/linux/rwlock.h), as Linux builds them for one CPU with
// CONFIG_DEBUG_SPINLOCK; wasm-lkm/spinlock exports them as <linux/spinlock.h> includes <linux/rwlock.h>.
//
//   const table_lock = DEFINE_RWLOCK();
//   read_lock(table_lock);  ... look up ...  read_unlock(table_lock);
//   write_lock(table_lock); ... change ...   write_unlock(table_lock);
//
// Inline code on the lock in the module's own memory, as spinlock.ts is and for the same reasons. The checks
// are kernel/locking/spinlock_debug.c's: a lock never initialised (bad magic), a write lock taken twice
// (recursion) or released by no writer (wrong owner), a trylock that fails (which cannot happen on one CPU).
// A failed check calls the kernel's rwlock_bug, which logs Linux's line and oopses the module. Like Linux,
// readers are not checked beyond the magic: a read_lock under the lock's own write_lock is not reported.

import {
  RW_LOCK_READER_BIAS, RW_LOCK_WRITE_LOCKED, rwlock_bug, RWLOCK_MAGIC, rwlock_t, SPINLOCK_OWNER_CURRENT, SPINLOCK_OWNER_INIT,
} from "./kernel";

export { rwlock_t };

/** rwlock_init(): a free lock, whatever was in its memory. */
// @ts-ignore: decorator
@inline export function rwlock_init(lock: rwlock_t): void {
  lock.raw_lock = 0;
  lock.magic = RWLOCK_MAGIC;
  lock.owner = SPINLOCK_OWNER_INIT;
  lock.owner_cpu = -1;
}

/** DEFINE_RWLOCK(name): `const name = DEFINE_RWLOCK();` at the top level, a free lock that lives as long as the module. */
export function DEFINE_RWLOCK(): rwlock_t {
  const lock = new rwlock_t();
  rwlock_init(lock);
  return lock;
}

/** do_raw_read_lock(): one more reader. */
// @ts-ignore: decorator
@inline export function read_lock(lock: rwlock_t): void {
  if (lock.magic != RWLOCK_MAGIC) rwlock_bug(lock, "bad magic");
  lock.raw_lock += RW_LOCK_READER_BIAS;
}

/** do_raw_read_unlock(): one reader fewer. */
// @ts-ignore: decorator
@inline export function read_unlock(lock: rwlock_t): void {
  if (lock.magic != RWLOCK_MAGIC) rwlock_bug(lock, "bad magic");
  lock.raw_lock -= RW_LOCK_READER_BIAS;
}

/** read_trylock(): true with a reader added; a written lock cannot be waited out on one CPU. */
// @ts-ignore: decorator
@inline export function read_trylock(lock: rwlock_t): bool {
  if (lock.raw_lock & RW_LOCK_WRITE_LOCKED) {
    rwlock_bug(lock, "trylock failure on UP");
    return false;
  }
  lock.raw_lock += RW_LOCK_READER_BIAS;
  return true;
}

/** debug_write_lock_before() and after, and the writer taken. */
// @ts-ignore: decorator
@inline export function write_lock(lock: rwlock_t): void {
  if (lock.magic != RWLOCK_MAGIC) rwlock_bug(lock, "bad magic");
  if (lock.owner == SPINLOCK_OWNER_CURRENT) rwlock_bug(lock, "recursion");
  if (lock.owner_cpu == 0) rwlock_bug(lock, "cpu recursion");
  lock.raw_lock |= RW_LOCK_WRITE_LOCKED;
  lock.owner_cpu = 0;
  lock.owner = SPINLOCK_OWNER_CURRENT;
}

/** debug_write_unlock(), and the writer released. */
// @ts-ignore: decorator
@inline export function write_unlock(lock: rwlock_t): void {
  if (lock.magic != RWLOCK_MAGIC) rwlock_bug(lock, "bad magic");
  if (lock.owner != SPINLOCK_OWNER_CURRENT) rwlock_bug(lock, "wrong owner");
  if (lock.owner_cpu != 0) rwlock_bug(lock, "wrong CPU");
  lock.owner = SPINLOCK_OWNER_INIT;
  lock.owner_cpu = -1;
  lock.raw_lock &= ~RW_LOCK_WRITE_LOCKED;
}

/** write_trylock(): true with the writer taken; a held lock cannot be waited out on one CPU. */
// @ts-ignore: decorator
@inline export function write_trylock(lock: rwlock_t): bool {
  if (lock.raw_lock != 0) {
    rwlock_bug(lock, "trylock failure on UP");
    return false;
  }
  lock.raw_lock = RW_LOCK_WRITE_LOCKED;
  lock.owner_cpu = 0;
  lock.owner = SPINLOCK_OWNER_CURRENT;
  return true;
}

/** read_lock_bh() and the rest: bottom halves (timers here) never run in the middle of module code. */
// @ts-ignore: decorator
@inline export function read_lock_bh(lock: rwlock_t): void {
  read_lock(lock);
}

// @ts-ignore: decorator
@inline export function read_unlock_bh(lock: rwlock_t): void {
  read_unlock(lock);
}

// @ts-ignore: decorator
@inline export function write_lock_bh(lock: rwlock_t): void {
  write_lock(lock);
}

// @ts-ignore: decorator
@inline export function write_unlock_bh(lock: rwlock_t): void {
  write_unlock(lock);
}

/** read_lock_irqsave(lock, flags) as `const flags = read_lock_irqsave(lock);`: 0, interrupts being off for module code. */
// @ts-ignore: decorator
@inline export function read_lock_irqsave(lock: rwlock_t): usize {
  read_lock(lock);
  return 0;
}

// @ts-ignore: decorator
@inline export function read_unlock_irqrestore(lock: rwlock_t, flags: usize): void {
  read_unlock(lock);
}

// @ts-ignore: decorator
@inline export function write_lock_irqsave(lock: rwlock_t): usize {
  write_lock(lock);
  return 0;
}

// @ts-ignore: decorator
@inline export function write_unlock_irqrestore(lock: rwlock_t, flags: usize): void {
  write_unlock(lock);
}
