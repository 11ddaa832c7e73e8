// Module to kernel: base-kernel symbols called from a module, bound as the loader binds them (JS functions,
// and the kernel core's wasm functions for the symbols it holds: get_jiffies, the module references), the
// header's inline spinlock and list helpers (no call: the figure is what their debug checks cost), and
// kmalloc + kfree once more in a kernel booted with slub_debug, whose checked TypeScript path it was before
// the fast path, timed in the same run.

import { benchKernel, pairedWithReference, REFERENCE, symbolFn } from "../lkm.js";
import { perCallEach } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";
import type { Kernel } from "../../host/init/main.js";

type Loop = (n: number) => number;

/** Each loop, the kernel symbol it calls and what the row says. */
const LOOPS = [
  { id: "kernel.trivial", fn: "bench_ksym_trivial", sym: "current_pid", label: "module → kernel (JS): current_pid()" },
  { id: "kernel.jiffies", fn: "bench_ksym_jiffies", sym: "get_jiffies", label: "module → kernel core (wasm): get_jiffies()" },
  { id: "kernel.module_put", fn: "bench_ksym_module_put", sym: "module_put", label: "module → kernel core (wasm): module_put(NULL)" },
  {
    id: "kernel.module_ref",
    fn: "bench_ksym_module_ref",
    sym: "module_put",
    label: "module → kernel core (wasm): try_module_get + module_put (THIS_MODULE)",
  },
  { id: "kernel.printk", fn: "bench_ksym_printk", sym: "_printk", label: 'module → kernel: printk("bench\\n")' },
  { id: "kernel.kmalloc", fn: "bench_ksym_kmalloc", sym: "kmalloc", label: "module → kernel: kmalloc(64) + kfree" },
] as const;

/** The header's inline helpers: no call to keep, so each loop is checked to still write module memory. */
const INLINE = [
  { id: "kernel.spin_lock", fn: "bench_ksym_spin_lock", instruction: "i32.store", label: "module (inline, debug checks): spin_lock + spin_unlock" },
  { id: "kernel.list", fn: "bench_ksym_list", instruction: "i32.store", label: "module (inline, debug checks): list_add + list_del" },
] as const;

/** kmalloc + kfree through the kernel's checked path, as every module's were before the fast path. */
const CHECKED = {
  id: "kernel.kmalloc_checked",
  fn: "bench_ksym_kmalloc",
  sym: "kmalloc",
  label: "module → kernel (JS, slub_debug): kmalloc(64) + kfree",
} as const;

/** The wasm functions of other instances the loops call: the kernel core's get_jiffies and bench_ksym's kmalloc fast path. */
function callees(k: Kernel): Record<string, ((...args: never[]) => unknown)[]> {
  const fast = k.modules.find("bench_ksym")?.slab.fastPath()?.symbols;
  const fn = (value: WebAssembly.ImportValue | undefined) => (typeof value === "function" ? [value as (...args: never[]) => unknown] : []);
  return {
    "kernel.jiffies": fn(k.core.symbols.get("get_jiffies")),
    "kernel.kmalloc": [...fn(fast?.get("kmalloc")), ...fn(fast?.get("kfree"))],
  };
}

export const kernel: BenchPath = {
  name: "kernel",
  async run(ctx) {
    const k = await benchKernel(ctx, [REFERENCE.module, "bench_ksym"]);
    const checked = await benchKernel(ctx, [REFERENCE.module, "bench_ksym"], { cmdline: "slub_debug" });
    const binary = await ctx.benchModule("bench_ksym");
    const loops = Object.fromEntries([
      [REFERENCE.id, symbolFn<Loop>(k, REFERENCE.loop)],
      ...[...LOOPS, ...INLINE].map((l) => [l.id, symbolFn<Loop>(k, l.fn)]),
      [CHECKED.id, symbolFn<Loop>(checked, CHECKED.fn)],
    ]);
    const timed = await perCallEach(ctx, loops, { start: 100, callees: callees(k) });
    const figures: Figure[] = [...LOOPS, ...INLINE, CHECKED].map((l) => ({
      id: l.id,
      label: l.label,
      unit: "ns",
      call: { family: "wasm-lkm", loop: "wasm" },
      paired: pairedWithReference(timed[l.id]!, timed[REFERENCE.id]!),
      ...timed[l.id]!,
    }));
    return {
      figures,
      loops: [
        ...[...LOOPS, CHECKED].map((l) => ({ id: l.id, binary, func: l.fn, instruction: `call ${l.sym}` })),
        ...INLINE.map((l) => ({ id: l.id, binary, func: l.fn, instruction: l.instruction })),
        { id: "kernel.kmalloc", binary, func: "bench_ksym_kmalloc", instruction: "call kfree" },
        { id: "kernel.module_ref", binary, func: "bench_ksym_module_ref", instruction: "call try_module_get" },
      ],
    };
  },
};
