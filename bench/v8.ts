// What the bench asks of V8 itself: no wasm-into-wasm inlining (so a reference call stays a call on every V8),
// and its natives, to tell whether a timed wasm loop runs optimised (TurboFan) code or is still on Liftoff.
//
// Both are V8 flags set when this file is first imported, before any bench module is compiled:
// `v8.setFlagsFromString` works in the test suite's workers too, where no command-line flag can be given.

import { spawnSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";

/** The V8 flags this Node knows, from `node --v8-options`. */
function knownFlags(): Set<string> {
  const out = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout ?? "";
  return new Set([...out.matchAll(/^\s+--([a-z0-9-]+)/gm)].map((m) => m[1]!));
}

/** The flags set, as given; a flag this V8 lacks is left out (wasm-inlining: V8 12.4, Node 22's, has only
 *  --experimental-wasm-inlining, which is off). */
export const V8_FLAGS: readonly string[] = (() => {
  const known = knownFlags();
  const flags = ["--allow-natives-syntax", ...(known.has("wasm-inlining") ? ["--no-wasm-inlining"] : [])];
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
})();

/** The code a wasm function runs now. */
export type Tier = "turbofan" | "liftoff" | "uncompiled";

type Native = (f: unknown) => boolean;
const native = (name: string): Native => new Function("f", `return %${name}(f);`) as Native;
const isTurboFan = native("IsTurboFanFunction");
const isLiftoff = native("IsLiftoffFunction");
const tierUp = native("WasmTierUpFunction");

/**
 * Whether f is a wasm function exported to JS (V8 names those by their function index and shows no
 * source): the natives abort the process on anything else, so only these are asked about.
 */
export function isWasmFunction(f: unknown): f is (...args: never[]) => unknown {
  return typeof f === "function" && /^\d+$/.test(f.name) && Function.prototype.toString.call(f).endsWith("{ [native code] }");
}

export function tier(f: (...args: never[]) => unknown): Tier {
  return isTurboFan(f) ? "turbofan" : isLiftoff(f) ? "liftoff" : "uncompiled";
}

/**
 * f's tier after a warm-up, and after asking V8 to tier it up if it was not optimised: V8 11.3 leaves some
 * hot loops on Liftoff for a whole run (3–5× slower), which timing alone cannot tell from a slow call.
 */
export function optimise(f: (...args: never[]) => unknown): { readonly before: Tier; readonly after: Tier } {
  const before = tier(f);
  if (before !== "turbofan") tierUp(f);
  return { before, after: tier(f) };
}
