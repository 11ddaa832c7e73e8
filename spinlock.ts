// Spinlocks by package name: `import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from "wasm-lkm/spinlock"` in a
// module's source, resolved as ./kernel.ts is (Linux's <linux/spinlock.h>).
export * from "./abi/include/spinlock";
