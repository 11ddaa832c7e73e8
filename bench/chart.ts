// The SVG chart of the call-path figures: one bar per path (median), min–max whiskers, a log scale.

import type { Family } from "./path.js";
import type { ReportedFigure } from "./run.js";
import { fmt } from "./report.js";

const COLORS: Record<Family, string> = { baseline: "#8c8c8c", "wasm-lkm": "#2f6fb3", peer: "#d9822b" };
const ROW = 24;
const LABEL_WIDTH = 330;
const PLOT_WIDTH = 520;
const TOP = 48;

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The chart of every call figure, or null when the run made none. */
export function callChart(figures: readonly ReportedFigure[], title: string): string | null {
  const calls = figures.filter((f) => f.call);
  if (calls.length === 0) return null;
  const lo = Math.floor(Math.log10(Math.min(...calls.map((f) => f.stats.min))));
  const hi = Math.ceil(Math.log10(Math.max(...calls.map((f) => f.stats.max))));
  const x = (ns: number) => LABEL_WIDTH + ((Math.log10(ns) - lo) / (hi - lo)) * PLOT_WIDTH;
  const height = TOP + calls.length * ROW + 40;
  const width = LABEL_WIDTH + PLOT_WIDTH + 90;
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="38" fill="#555">ns per call, median of the runs (bars) with min–max (whiskers); log scale. ` +
      `<tspan fill="${COLORS.baseline}">■ baseline</tspan> <tspan fill="${COLORS["wasm-lkm"]}">■ wasm-lkm</tspan> ` +
      `<tspan fill="${COLORS.peer}">■ peer</tspan></text>`,
    ...ticks.map((t) => {
      const tx = x(t).toFixed(1);
      const bottom = TOP + calls.length * ROW;
      return `<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${bottom}" stroke="#ddd"/>` +
        `<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t.toLocaleString("en-US", { maximumFractionDigits: 3 })}</text>`;
    }),
    ...calls.map((f, i) => bar(f, TOP + i * ROW, x(10 ** lo), x)),
    "</svg>",
  ];
  return parts.join("\n") + "\n";
}

function bar(f: ReportedFigure, y: number, x0: number, x: (ns: number) => number): string {
  const { min, median, max } = f.stats;
  const mid = y + ROW / 2;
  return [
    `<text x="${LABEL_WIDTH - 8}" y="${mid + 4}" text-anchor="end">${escape(f.label)}</text>`,
    `<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${(x(median) - x0).toFixed(1)}" height="${ROW - 8}" fill="${COLORS[f.call!.family]}"/>`,
    `<line x1="${x(min).toFixed(1)}" y1="${mid}" x2="${x(max).toFixed(1)}" y2="${mid}" stroke="black"/>`,
    `<text x="${(x(max) + 6).toFixed(1)}" y="${mid + 4}">${fmt(median)}</text>`,
  ].join("");
}
