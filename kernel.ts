// The kernel header by package name: `import { pr_info } from "wasm-lkm/kernel"` in a module's source. asc
// looks for a package import PKG/PATH at node_modules/PKG/PATH.ts, as tsc's node resolution does; the header
// brings the module macros' declarations (abi/include/module.d.ts) with it.
export * from "./abi/include/kernel";
