// The targets, reported as ratios and values next to the figures (not as failing tests).

import type { Figure } from "./path.js";

export interface TargetResult {
  readonly id: string;
  /** The target as the issue states it. */
  readonly label: string;
  /** The figures the value is made from (a ratio of two, paired where they were timed together). */
  readonly formula: string;
  readonly value: number | null;
  readonly limit: number;
  readonly unit: "×" | "ms" | "s";
  /** null: not measured in this run (the path does not exist yet, or was skipped). */
  readonly met: boolean | null;
  readonly note?: string;
}

interface TargetDef {
  readonly id: string;
  readonly label: string;
  readonly limit: number;
  readonly unit: TargetResult["unit"];
  /** A ratio of two figures' medians, or one figure's median. */
  readonly of: readonly [string, string] | readonly [string];
  /** The limit is strict (below, not at most). */
  readonly strict?: boolean;
  readonly missing?: string;
}

const TARGETS: readonly TargetDef[] = [
  { id: "module_call", label: "module-to-module call ≤ 1.2× an intra-module call", limit: 1.2, unit: "×", of: ["module.direct", "intra.direct"] },
  {
    id: "module_floor",
    label: "module-to-module call within 1.1× of V8's floor (two hand-written instances)",
    limit: 1.1,
    unit: "×",
    of: ["module.direct_bare", "module.floor"],
  },
  { id: "kernel_call", label: "module-to-kernel call ≤ 3.5× an intra-module call", limit: 3.5, unit: "×", of: ["kernel.trivial", "intra.direct"] },
  { id: "jiffies_call", label: "get_jiffies ≤ 1.8× an intra-module call", limit: 1.8, unit: "×", of: ["kernel.jiffies", "intra.direct"] },
  { id: "module_put_call", label: "module_put ≤ 1.8× an intra-module call", limit: 1.8, unit: "×", of: ["kernel.module_put", "intra.direct"] },
  {
    id: "kmalloc_fast",
    label: "kmalloc + kfree at least 5× faster than the checked path (slub_debug), in one run",
    limit: 0.2,
    unit: "×",
    of: ["kernel.kmalloc", "kernel.kmalloc_checked"],
  },
  {
    id: "kernel_vs_extism",
    label: "module-to-kernel call below Extism's host-function call",
    limit: 1,
    unit: "×",
    of: ["extism.kernel_trivial", "extism.host_fn"],
    strict: true,
  },
  {
    id: "fops_call",
    label: "kernel-to-module fops call ≤ 3× an intra-module call",
    limit: 3,
    unit: "×",
    of: ["fops.read", "intra.direct"],
  },
  {
    id: "watchdog_intra",
    label: "budget checks cost ≤ 10% on an intra-module call",
    limit: 1.1,
    unit: "×",
    of: ["watchdog.intra", "watchdog.intra_bare"],
  },
  {
    id: "watchdog_module",
    label: "budget checks cost ≤ 10% on a module-to-module call",
    limit: 1.1,
    unit: "×",
    of: ["watchdog.module", "watchdog.module_bare"],
  },
  { id: "hello_cold", label: "hello insmod + init ≤ 1 ms cold", limit: 1, unit: "ms", of: ["load.hello_cold"] },
  { id: "scale_load", label: "1,000 modules ≤ 3 s to load", limit: 3, unit: "s", of: ["scale.load_1000"] },
  {
    id: "scale_linear",
    label: "insmod of the 5,000th module within 1.2× of the 500th (loading is linear)",
    limit: 1.2,
    unit: "×",
    of: ["scale.per_module_late", "scale.per_module_early"],
  },
  ...[
    ["vfat_brd_read", "fat.vfat_brd_read", "vfat over brd"], ["vfat_loop_read", "fat.vfat_loop_read", "vfat over loop"],
    ["ext2_brd_read", "ext2.brd_read", "ext2 over brd"], ["ext2_loop_read", "ext2.loop_read", "ext2 over loop"],
  ].map(([id, figure, what]): TargetDef => ({
    id: id!,
    label: `${what} reads within 3× of ramfs's (MB/s, same run)`,
    limit: 3,
    unit: "×",
    of: [`${figure!.split(".")[0]}.ramfs_read`, figure!],
  })),
];

/** A ratio of two figures: the paired one where the first was timed alongside the second, else of medians. */
function ratio(a: Figure | undefined, b: Figure | undefined): number | undefined {
  if (!a || !b) return undefined;
  return a.paired?.id === b.id ? a.paired.ratio : a.stats.median / b.stats.median;
}

function evaluate(t: TargetDef, figures: ReadonlyMap<string, Figure>): TargetResult {
  const [a, b] = t.of.map((id) => figures.get(id));
  const value = t.of.length === 2 ? ratio(a, b) : a?.stats.median;
  const together = b !== undefined && a?.paired?.id === b.id ? ", timed together" : "";
  const formula = t.of.length === 2 ? `${t.of[0]} / ${t.of[1]}${together}` : t.of[0];
  const base = { id: t.id, label: t.label, formula, limit: t.limit, unit: t.unit };
  if (value === undefined) return { ...base, value: null, met: null, note: t.missing ?? "not measured in this run" };
  return { ...base, value, met: t.strict ? value < t.limit : value <= t.limit };
}

export function evaluateTargets(figures: readonly Figure[]): TargetResult[] {
  const byId = new Map(figures.map((f) => [f.id, f]));
  return TARGETS.map((t) => evaluate(t, byId));
}
