// Spinlocks for modules (include/linux/spinlock.h), as Linux builds them for one CPU with CONFIG_DEBUG_SPINLOCK.
//
//   const dev_lock = DEFINE_SPINLOCK();
//   spin_lock(dev_lock);
//   ... the list or counters the lock guards ...
//   spin_unlock(dev_lock);
//
// On one CPU a spinlock has nothing to wait for: module code is never preempted, and no interrupt reaches
// a module while any module code runs (host/irq/manage.ts holds an edge pending until the kernel returns),
// so every lock here is inline code on the lock word in the module's own memory, with no call. What it
// keeps is kernel/locking/spinlock_debug.c's checks: a lock never initialised (bad magic), taken twice
// (recursion), released when free (already unlocked), or a trylock of a held lock (which cannot happen
// on one CPU). A failed check calls the kernel's spin_bug, which logs Linux's report and oopses the
// module: where Linux reports and carries on (or spins for ever), a sandbox stops the module that broke
// its lock. The irqsave forms return the flags local_irq_save would: 0, interrupts being off for module
// code; spin_unlock_irqrestore takes them back and changes nothing.

import {
  SPIN_SLOCK_UNLOCKED, spin_bug, SPINLOCK_MAGIC, SPINLOCK_OWNER_CURRENT, SPINLOCK_OWNER_INIT, spinlock_t,
} from "./kernel";

export { spinlock_t };

/** spin_lock_init(): a free lock, whatever was in its memory. */
// @ts-ignore: decorator
@inline export function spin_lock_init(lock: spinlock_t): void {
  lock.slock = SPIN_SLOCK_UNLOCKED;
  lock.magic = SPINLOCK_MAGIC;
  lock.owner = SPINLOCK_OWNER_INIT;
  lock.owner_cpu = -1;
}

/** DEFINE_SPINLOCK(name): `const name = DEFINE_SPINLOCK();` at the top level, a free lock that lives as long as the module. */
export function DEFINE_SPINLOCK(): spinlock_t {
  const lock = new spinlock_t();
  spin_lock_init(lock);
  return lock;
}

/** debug_spin_lock_before() and after, and the lock word taken. */
// @ts-ignore: decorator
@inline export function spin_lock(lock: spinlock_t): void {
  if (lock.magic != SPINLOCK_MAGIC) spin_bug(lock, "bad magic");
  if (lock.owner == SPINLOCK_OWNER_CURRENT) spin_bug(lock, "recursion");
  if (lock.owner_cpu == 0) spin_bug(lock, "cpu recursion");
  lock.slock = 0;
  lock.owner_cpu = 0;
  lock.owner = SPINLOCK_OWNER_CURRENT;
}

/** debug_spin_unlock(), and the lock word released. */
// @ts-ignore: decorator
@inline export function spin_unlock(lock: spinlock_t): void {
  if (lock.magic != SPINLOCK_MAGIC) spin_bug(lock, "bad magic");
  if (lock.slock != 0) spin_bug(lock, "already unlocked");
  if (lock.owner != SPINLOCK_OWNER_CURRENT) spin_bug(lock, "wrong owner");
  if (lock.owner_cpu != 0) spin_bug(lock, "wrong CPU");
  lock.owner = SPINLOCK_OWNER_INIT;
  lock.owner_cpu = -1;
  lock.slock = SPIN_SLOCK_UNLOCKED;
}

/** spin_trylock(): true with the lock taken. A held lock cannot be waited out on one CPU: "trylock failure on UP". */
// @ts-ignore: decorator
@inline export function spin_trylock(lock: spinlock_t): bool {
  if (lock.slock == 0) {
    spin_bug(lock, "trylock failure on UP");
    return false;
  }
  lock.slock = 0;
  lock.owner_cpu = 0;
  lock.owner = SPINLOCK_OWNER_CURRENT;
  return true;
}

/** spin_is_locked(): whether the lock is held. */
// @ts-ignore: decorator
@inline export function spin_is_locked(lock: spinlock_t): bool {
  return lock.slock == 0;
}

/** spin_lock_bh(): bottom halves (timers here) never run in the middle of module code, so spin_lock(). */
// @ts-ignore: decorator
@inline export function spin_lock_bh(lock: spinlock_t): void {
  spin_lock(lock);
}

// @ts-ignore: decorator
@inline export function spin_unlock_bh(lock: spinlock_t): void {
  spin_unlock(lock);
}

/** spin_lock_irqsave(lock, flags) as `const flags = spin_lock_irqsave(lock);`: the saved flags, 0 (interrupts off). */
// @ts-ignore: decorator
@inline export function spin_lock_irqsave(lock: spinlock_t): usize {
  spin_lock(lock);
  return 0;
}

/** spin_unlock_irqrestore(lock, flags): flags as spin_lock_irqsave gave them. */
// @ts-ignore: decorator
@inline export function spin_unlock_irqrestore(lock: spinlock_t, flags: usize): void {
  spin_unlock(lock);
}

/** spin_lock_irq() and spin_unlock_irq(): interrupts are off for module code already. */
// @ts-ignore: decorator
@inline export function spin_lock_irq(lock: spinlock_t): void {
  spin_lock(lock);
}

// @ts-ignore: decorator
@inline export function spin_unlock_irq(lock: spinlock_t): void {
  spin_unlock(lock);
}

// <linux/spinlock.h> brings <linux/rwlock.h> with it.
export * from "./rwlock";
