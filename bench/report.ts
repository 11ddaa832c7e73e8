// The terminal report: the figures' table, the call-kept checks, skips, findings and the targets.

import type { BenchResults, ReferenceCheck, ReportedFigure } from "./run.js";
import type { Stats } from "./path.js";
import type { TargetResult } from "./targets.js";

/** A number to 3 significant digits, without exponent notation. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return "-";
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function statCells(s: Stats | undefined): string[] {
  return s ? [fmt(s.median), fmt(s.min), fmt(s.max)] : ["", "", ""];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

function figureRow(f: ReportedFigure): string[] {
  return [f.label, ...statCells(f.stats), f.net ? fmt(f.net.median) : "", f.unit, f.id];
}

function targetLine(t: TargetResult): string {
  const mark = t.met === null ? "·" : t.met ? "✓" : "✗";
  const value = t.value === null ? t.note ?? "not measured" : `${fmt(t.value)} ${t.unit} (limit ${t.limit} ${t.unit}: ${t.formula})`;
  return `${mark} ${t.label}: ${value}`;
}

function runLine(r: BenchResults): string {
  return `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.os}, load average ${fmt(r.machine.loadAverage)}; ` +
    `Node ${r.node}, V8 ${r.v8}; ${r.date}${r.quick ? " (quick)" : ""}`;
}

function tierLines(r: BenchResults): string[] {
  return r.figures.filter((f) => f.tier || f.call?.loop === "wasm").map((f) => {
    if (!f.tier) return `  · ${f.id}: not checked (the loop runs inside the peer's runtime, out of reach)`;
    const { before, after } = f.tier;
    const how = before === after ? after : `${after} once V8 was asked to tier it up (was ${before})`;
    return `  ${after === "turbofan" ? "✓" : "✗"} ${f.id}: ${how}`;
  });
}

function referenceLine(c: ReferenceCheck): string {
  const what = `intra.direct's p10 ${fmt(c.direct.p10)} ns against its empty loop's p90 ${fmt(c.empty.p90)} ns`;
  return c.kept ? `✓ the reference call is kept: ${what}` : `✗ the reference call is gone (inlined?): ${what}; the run is void`;
}

export function reportLines(r: BenchResults): string[] {
  const out = [
    `wasm-lkm bench: ${runLine(r)}`,
    "",
    ...table(["figure", "median", "min", "max", "net", "unit", "id"], r.figures.map(figureRow)),
    "",
    "net: the median less the median of its empty loop (wasm, C or JS), i.e. the call alone.",
    "",
    "call kept (the loop's emitted code still makes the call):",
    ...r.checks.map((c) => `  ${c.kept ? "✓" : "✗"} ${c.id}: ${c.where} loops over ${c.instruction}`),
  ];
  out.push("", "optimised (the code each timed wasm loop ran, after its warm-up):", ...tierLines(r));
  if (r.reference) out.push("", referenceLine(r.reference));
  if (r.skips.length) out.push("", "skipped:", ...r.skips.map((s) => `  ${s.id}: ${s.reason}`));
  if (r.findings.length) out.push("", "found:", ...r.findings.map((f) => `  ${f.label}: ${f.value}`));
  out.push("", "targets:", ...r.targets.map((t) => `  ${targetLine(t)}`));
  return out;
}

/** The same in Markdown, for the block of bench/README.md that a full run rewrites. */
export function markdownLines(r: BenchResults): string[] {
  const cells = (row: readonly string[]) => `| ${row.join(" | ")} |`;
  return [
    `From \`npm run bench\` on ${runLine(r)}.`,
    "",
    cells(["figure", "median", "min", "max", "net", "unit"]),
    cells(["---", "---:", "---:", "---:", "---:", "---"]),
    ...r.figures.map((f) => cells(figureRow(f).slice(0, 6).map((c) => c.replace(/\|/g, "\\|")))),
    "",
    "Targets:",
    "",
    ...r.targets.map((t) => `- ${targetLine(t)}`),
    "",
    "Found:",
    "",
    ...r.findings.map((f) => `- ${f.label}: ${f.value}`),
    ...r.skips.map((s) => `- skipped ${s.id}: ${s.reason}`),
  ];
}
