// Lists by package name: `import { LIST_HEAD, list_add, list_del } from "wasm-lkm/list"` in a module's source,
// resolved as ./kernel.ts is (Linux's <linux/list.h>).
export * from "./abi/include/list";
