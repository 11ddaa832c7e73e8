// Mutexes for modules (include/linux/mutex.h), as Linux builds them with CONFIG_DEBUG_MUTEXES and lockdep.
//
//   const dev_mutex = DEFINE_MUTEX();
//   mutex_lock(dev_mutex);
//   ... what the mutex guards, across calls that may sleep in Linux ...
//   mutex_unlock(dev_mutex);
//
// Inline code on the mutex in the module's own memory, as spinlock.ts is. Module code runs to its end without
// being preempted, so a mutex is never contended by a task that could let it go: a mutex_lock of a held
// mutex would wait for ever. Linux hangs there (lockdep first reports "possible recursive locking
// detected"); here the kernel's print_deadlock_bug logs that report and oopses the module instead. The
// other checks are CONFIG_DEBUG_MUTEXES's DEBUG_LOCKS_WARN_ON: a mutex never initialised (lock->magic !=
// lock), an unlock by a task that does not hold it, mutex_destroy of a held mutex; each a WARNING, then an
// Oops of the module. The holder is recorded as "current", not by pid, to keep the lock free of calls; a
// mutex held across system calls is treated as held by whichever task runs module code.

import { debug_locks_warn_on, mutex, print_deadlock_bug, SPINLOCK_OWNER_CURRENT } from "./kernel";

export { mutex };

/** mutex_init(): a free mutex, whatever was in its memory. */
// @ts-ignore: decorator
@inline export function mutex_init(lock: mutex): void {
  lock.owner = 0;
  lock.magic = changetype<usize>(lock);
}

/** DEFINE_MUTEX(name): `const name = DEFINE_MUTEX();` at the top level, a free mutex that lives as long as the module. */
export function DEFINE_MUTEX(): mutex {
  const lock = new mutex();
  mutex_init(lock);
  return lock;
}

/** mutex_is_locked(): whether the mutex is held. */
// @ts-ignore: decorator
@inline export function mutex_is_locked(lock: mutex): bool {
  return lock.owner != 0;
}

/** mutex_lock(): the mutex taken; a held one would never be released, which lockdep reports. */
// @ts-ignore: decorator
@inline export function mutex_lock(lock: mutex): void {
  if (lock.magic != changetype<usize>(lock)) {
    debug_locks_warn_on("kernel/locking/mutex.c __mutex_lock_common", "lock->magic != lock");
  }
  if (lock.owner != 0) print_deadlock_bug(lock);
  lock.owner = SPINLOCK_OWNER_CURRENT;
}

/** mutex_lock_interruptible(): no signal can come while module code runs, so mutex_lock() and 0. */
// @ts-ignore: decorator
@inline export function mutex_lock_interruptible(lock: mutex): i32 {
  mutex_lock(lock);
  return 0;
}

/** mutex_trylock(): true with the mutex taken, false (and nothing changed) if it is held. */
// @ts-ignore: decorator
@inline export function mutex_trylock(lock: mutex): bool {
  if (lock.magic != changetype<usize>(lock)) {
    debug_locks_warn_on("kernel/locking/mutex.c mutex_trylock", "lock->magic != lock");
  }
  if (lock.owner != 0) return false;
  lock.owner = SPINLOCK_OWNER_CURRENT;
  return true;
}

/** mutex_unlock(): debug_mutex_unlock()'s and __mutex_unlock_slowpath()'s checks, and the mutex released. */
// @ts-ignore: decorator
@inline export function mutex_unlock(lock: mutex): void {
  if (lock.magic != changetype<usize>(lock)) {
    debug_locks_warn_on("kernel/locking/mutex-debug.c debug_mutex_unlock", "lock->magic != lock");
  }
  if (lock.owner != SPINLOCK_OWNER_CURRENT) {
    debug_locks_warn_on("kernel/locking/mutex.c __mutex_unlock_slowpath", "__owner_task(owner) != current");
  }
  lock.owner = 0;
}

/** mutex_destroy(): the mutex unusable until mutex_init; destroying a held one is a bug. */
// @ts-ignore: decorator
@inline export function mutex_destroy(lock: mutex): void {
  if (mutex_is_locked(lock)) {
    debug_locks_warn_on("kernel/locking/mutex-debug.c mutex_destroy", "mutex_is_locked(lock)");
  }
  lock.magic = 0;
}
