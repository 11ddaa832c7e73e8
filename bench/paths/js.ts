// The JS baseline: a JS function calling another, in optimised (TurboFan) code, in a child process.
//
// TurboFan would inline a callee this small, leaving nothing to measure, so the child runs with
// --no-turbo-inlining, and with --trace-turbo-inlining so the parent can check that nothing was inlined;
// --allow-natives-syntax lets it confirm the loop really was optimised (%GetOptimizationStatus).

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { perCall, type Timed, type TimingContext } from "../measure.js";
import { childScript, type BenchPath, type PathResult } from "../path.js";

const SELF = fileURLToPath(import.meta.url);
const CHILD = childScript("js");
const FLAGS = ["--allow-natives-syntax", "--no-turbo-inlining", "--trace-turbo-inlining"];
/** V8's OptimizationStatus bit for code TurboFan compiled. */
const TURBOFANNED = 1 << 6;

interface ChildReport {
  readonly empty: Timed;
  readonly call: Timed;
  readonly turbofanned: boolean;
}

function jsCallee(x: number): number {
  return x + 1;
}

function jsCallLoop(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = jsCallee(acc);
  return acc;
}

function jsEmptyLoop(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc = acc + 1;
  return acc;
}

async function child(ctx: TimingContext): Promise<ChildReport> {
  const status = new Function("f", "return %GetOptimizationStatus(f);") as (f: unknown) => number;
  // Optimise both loops before timing: a short (quick) run on a busy machine may otherwise end before
  // TurboFan gets to them, and the figure would be the interpreter's.
  const optimise = new Function("f", "%PrepareFunctionForOptimization(f); f(1000); %OptimizeFunctionOnNextCall(f); f(1000);");
  optimise(jsCallLoop);
  optimise(jsEmptyLoop);
  const call = await perCall(ctx, jsCallLoop);
  const empty = await perCall(ctx, jsEmptyLoop);
  return { empty, call, turbofanned: (status(jsCallLoop) & TURBOFANNED) !== 0 };
}

export const js: BenchPath = {
  name: "js",
  async run(ctx): Promise<Partial<PathResult>> {
    const out = execFileSync(process.execPath, [...FLAGS, CHILD, String(ctx.runs), String(ctx.runMs)], { encoding: "utf8" });
    const lines = out.trim().split("\n");
    const report = JSON.parse(lines.pop()!) as ChildReport;
    const inlined = lines.some((l) => /^Inlining .*jsCallee.* into /.test(l));
    return {
      figures: [
        { id: "js.empty", label: "JS empty loop (per iteration)", unit: "ns", ...report.empty },
        { id: "js.call", label: "JS → JS call (TurboFan, not inlined)", unit: "ns", call: { family: "baseline", loop: "js" }, ...report.call },
      ],
      checks: [
        {
          id: "js.call",
          where: `jsCallLoop (${report.turbofanned ? "TurboFan" : "not optimised"}, --trace-turbo-inlining)`,
          instruction: "call jsCallee",
          kept: report.turbofanned && !inlined,
        },
      ],
    };
  },
};

if (process.argv[1] === SELF) {
  const [runs, runMs] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await child({ runs: runs!, runMs: runMs! })));
}
