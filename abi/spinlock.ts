// spinlock_t and rwlock_t as CONFIG_DEBUG_SPINLOCK lays them out on one CPU (include/linux/spinlock_types.h,
// spinlock_types_up.h, rwlock_types.h).

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

/** rwlock_t->magic of an initialised lock (RWLOCK_MAGIC): anything else is "bad magic". */
export const RWLOCK_MAGIC = 0xdeaf1eed;

/**
 * rwlock_t's raw_lock as qrwlock counts it (asm-generic/qrwlock_types.h): 0 free, _QW_LOCKED while written,
 * _QR_BIAS per reader. UP Linux keeps no count at all; this one lets a trylock of a held lock be reported.
 */
export const RW_LOCK_WRITE_LOCKED = 0xff;
export const RW_LOCK_READER_BIAS = 0x200;
