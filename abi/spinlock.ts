// spinlock_t as CONFIG_DEBUG_SPINLOCK lays it out on one CPU (include/linux/spinlock_types.h, spinlock_types_up.h).

/** raw_spinlock->magic of an initialised lock: anything else is "bad magic". */
export const SPINLOCK_MAGIC = 0xdead4ead;

/** raw_spinlock->owner of a free lock ((void *)-1L). */
export const SPINLOCK_OWNER_INIT = 0xffffffff;

/**
 * raw_spinlock->owner of a held lock: "current". Naming the task would cost a call into the kernel on every
 * lock; with one CPU and no preemption the holder is whoever runs module code, and a report names that task.
 */
export const SPINLOCK_OWNER_CURRENT = 1;

/** arch_spinlock_t's slock on UP: 1 free, 0 held (__ARCH_SPIN_LOCK_UNLOCKED is { 1 }). */
export const SPIN_SLOCK_UNLOCKED = 1;
