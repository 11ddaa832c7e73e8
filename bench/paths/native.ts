// Native baselines: bench/native/calls.c built with the machine's C compiler (cc -O2), a direct call and a
// call through a volatile function pointer; skipped with a note where there is no cc.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/paths.js";
import { stats } from "../measure.js";
import type { BenchContext, BenchPath, CallCheck, Figure, PathResult } from "../path.js";

const SOURCE = join(ROOT, "bench", "native", "calls.c");
/** The loops' order in each output line of calls.c. */
const COLUMNS = ["native.empty", "native.direct", "native.pointer"] as const;
/** A call in x86-64, AArch64 or RISC-V assembly: direct to a symbol, or through a register. */
const CALL = /^\s*(call|bl|jal)\s+_?(\w+)/;
const CALL_INDIRECT = /^\s*(call\s+\*|blr\s|jalr\s)/;

function compile(ctx: BenchContext): string | null {
  const exe = join(ctx.tmp, "calls");
  try {
    execFileSync("cc", ["-O2", "-o", exe, SOURCE], { stdio: "pipe" });
    execFileSync("cc", ["-O2", "-S", "-o", `${exe}.s`, SOURCE], { stdio: "pipe" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  return exe;
}

/** The assembly lines of one function, from its label to its .size directive (or the next label). */
function asmFunction(asm: string, name: string): string[] {
  const lines = asm.split("\n");
  const start = lines.findIndex((l) => l === `${name}:` || l === `_${name}:`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && (l.includes(".size") || /^_?\w+:$/.test(l)));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

function asmChecks(asm: string): CallCheck[] {
  const direct = asmFunction(asm, "bench_direct").some((l) => CALL.exec(l)?.[2] === "bench_callee");
  const pointer = asmFunction(asm, "bench_indirect").some((l) => CALL_INDIRECT.test(l));
  return [
    { id: "native.direct", where: "bench_direct (cc -O2 -S)", instruction: "call bench_callee", kept: direct },
    { id: "native.pointer", where: "bench_indirect (cc -O2 -S)", instruction: "call *reg", kept: pointer },
  ];
}

function figures(samples: number[][], n: number): Figure[] {
  const label = { "native.empty": "C empty loop (per iteration)", "native.direct": "C direct call", "native.pointer": "C call via function pointer" };
  return COLUMNS.map((id, col) => ({
    id,
    label: label[id],
    unit: "ns",
    stats: stats(samples.map((s) => s[col]!)),
    runs: samples.length,
    iterations: n,
    ...(id === "native.empty" ? {} : { call: { family: "baseline", loop: "c" } }),
  }));
}

export const native: BenchPath = {
  name: "native",
  async run(ctx): Promise<Partial<PathResult>> {
    const exe = compile(ctx);
    if (!exe) {
      const reason = "no C compiler (cc) on this machine";
      return { skips: COLUMNS.slice(1).map((id) => ({ id, label: id, reason })) };
    }
    // About 2 ns an iteration: the run length the other loops are calibrated to.
    const n = Math.max(1000, Math.round((ctx.runMs * 1e6) / 2));
    const out = execFileSync(exe, [String(n), String(ctx.runs)], { encoding: "utf8" });
    const samples = out.trim().split("\n").map((line) => line.split("\t").map(Number));
    return { figures: figures(samples, n), checks: asmChecks(readFileSync(`${exe}.s`, "utf8")) };
  },
};
