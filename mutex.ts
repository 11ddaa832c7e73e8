// Mutexes by package name: `import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from "wasm-lkm/mutex"` in a
// module's source, resolved as ./kernel.ts is (Linux's <linux/mutex.h>).
export * from "./abi/include/mutex";
