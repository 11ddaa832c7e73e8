// Proof that a loop still makes its call: the loop's instructions, read from the binary printed as text.
//
// jco's print (from jco-transpile, the library jco itself uses) is wasm-tools' printer: one instruction a line, blocks closed by `end`, functions named from
// the name section (`$bench/modules/bench_intra/bench_intra_direct`; here by the last path segment).

import { print } from "@bytecodealliance/jco-transpile/wasm-tools";
import type { CallCheck, LoopCall } from "./path.js";

/** A binary's functions as text: their bodies by short name, and every function's short name by index. */
interface FunctionTexts {
  readonly bodies: ReadonlyMap<string, readonly string[]>;
  /** Imports print without a $name (binaryen keeps none), so calls to them read `call 3`. */
  readonly byIndex: ReadonlyMap<string, string>;
}

const FUNC = /^\s*\(func \$(\S+) \(;(\d+);\)/;
const IMPORT = /^\s*\(import "[^"]*" "([^"]*)" \(func (?:\$\S+ )?\(;(\d+);\)/;
const BLOCK_START = /^(block|loop|if|try)\b/;

function shortName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

async function functionTexts(binary: Uint8Array): Promise<FunctionTexts> {
  const bodies = new Map<string, string[]>();
  const byIndex = new Map<string, string>();
  let body: string[] | null = null;
  for (const line of (await print(binary)).split("\n")) {
    const imp = IMPORT.exec(line);
    const func = FUNC.exec(line);
    if (imp) byIndex.set(imp[2]!, imp[1]!);
    else if (func) {
      byIndex.set(func[2]!, shortName(func[1]!));
      body = [];
      bodies.set(shortName(func[1]!), body);
    } else if (body && line === "  )") body = null;
    else body?.push(line.trim());
  }
  return { bodies, byIndex };
}

/** The instructions inside each loop of a function body, nested blocks included. */
function loops(body: readonly string[]): string[][] {
  return body.flatMap((line, at) => (line.startsWith("loop") ? [blockBody(body.slice(at + 1))] : []));
}

/** The lines up to the `end` that closes the block just opened. */
function blockBody(rest: readonly string[]): string[] {
  const inside: string[] = [];
  let depth = 1;
  for (const line of rest) {
    if (BLOCK_START.test(line)) depth++;
    else if (line === "end" || line.startsWith("end ")) depth--;
    if (depth === 0) break;
    inside.push(line);
  }
  return inside;
}

function matches(texts: FunctionTexts, line: string, op: string, callee: string | undefined): boolean {
  const [lineOp, target] = line.split(/\s+/);
  if (lineOp !== op) return false;
  if (callee === undefined) return true;
  if (target === undefined) return false;
  const name = target.startsWith("$") ? shortName(target.slice(1)) : texts.byIndex.get(target);
  return name === callee;
}

/** Whether a loop of the function contains the instruction (a call matched on the callee's short name). */
function checkLoop(texts: FunctionTexts, l: LoopCall): CallCheck {
  const [op, callee] = l.instruction.split(" ") as [string, string | undefined];
  const kept = loops(texts.bodies.get(l.func) ?? []).some((loop) => loop.some((line) => matches(texts, line, op, callee)));
  return { id: l.id, where: l.func, instruction: l.instruction, kept };
}

/** Check every loop, printing each binary once. */
export async function checkLoops(calls: readonly LoopCall[]): Promise<CallCheck[]> {
  const texts = new Map<Uint8Array, FunctionTexts>();
  const out: CallCheck[] = [];
  for (const l of calls) {
    if (!texts.has(l.binary)) texts.set(l.binary, await functionTexts(l.binary));
    out.push(checkLoop(texts.get(l.binary)!, l));
  }
  return out;
}
