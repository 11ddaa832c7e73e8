import { readdirSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { leb128, readSections, WasmFormatError } from "../../abi/wasm.js";
import { instrument, tickTable } from "../../host/module/instrument.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { wat } from "../exec_helpers.js";
import { loadBytes } from "../helpers.js";

const TICK = { module: "watchdog", name: "tick" } as const;

/** What the watchdog's tick throws to stop the code. */
class Stop extends Error {}

/** A tick returning `budget`, throwing Stop from its `stopAt`th call on; `calls` counts them. */
function ticker(budget: number, stopAt = Infinity, onCall: () => void = () => {}) {
  const t = {
    calls: 0,
    tick: (): number => {
      t.calls++;
      onCall();
      if (t.calls >= stopAt) throw new Stop(`tick ${t.calls}`);
      return budget;
    },
  };
  return t;
}

function run(bytes: Uint8Array, tick: () => number, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return new WebAssembly.Instance(module, { ...imports, [TICK.module]: { [TICK.name]: tickTable(tick) } }).exports;
}

function instrumented(text: string, moduleName = "fixture"): Uint8Array {
  return instrument(wat(text), { tick: TICK, moduleName });
}

/** WAT with every feature binaryen knows, which V8 in Node 20 does not all accept. */
function watAllFeatures(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    mod.setFeatures(binaryen.Features.All);
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

/** WAT assembled with a name section (binaryen's debug info: module, function and local names). */
function watWithNames(text: string): Uint8Array {
  binaryen.setDebugInfo(true);
  try {
    return wat(text);
  } finally {
    binaryen.setDebugInfo(false);
  }
}

type Fn = (...args: number[]) => unknown;

// A small assembler for binaries binaryen would not write (every element segment form, malformed code).
const vec = (items: readonly (readonly number[])[]) => [...leb128(items.length), ...items.flat()];
const section = (id: number, payload: readonly number[]) => [id, ...leb128(payload.length), ...payload];
const str = (s: string) => [s.length, ...Buffer.from(s)];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const assemble = (...sections: number[][]) => Uint8Array.from([...HEADER, ...sections.flat()]);
const body = (code: readonly number[]) => [...leb128(code.length + 1), 0x00, ...code];

/** A binary of one function () -> () whose code (after its locals) is `code`. */
function withCode(code: number[]): Uint8Array {
  const memory = section(5, vec([[0, 1]]));
  return assemble(section(1, vec([[0x60, 0, 0]])), section(3, vec([[0]])), memory, section(10, vec([body(code)])));
}

// The offset of the first instruction in withCode's binary: header 8, type 6, function 4, memory 5, then the code
// section's id, size and count, the body's size and its locals.
const CODE_AT = 8 + 6 + 4 + 5 + 5;

describe("instrument: loops", () => {
  it("stops an endless (loop (br 0)), calling tick again each time the budget runs out", () => {
    let i: WebAssembly.Global | undefined;
    const seen: number[] = [];
    const t = ticker(3, 5, () => seen.push(i!.value as number));
    const exports = run(instrumented(`(module
      (global $i (export "i") (mut i32) (i32.const 0))
      (func (export "spin") (loop $l (global.set $i (i32.add (global.get $i) (i32.const 1))) (br $l))))`), t.tick);
    i = exports.i as WebAssembly.Global;
    expect(() => (exports.spin as Fn)()).toThrow(Stop);
    expect(t.calls).toBe(5);
    // The first check finds the budget at 0. The small body is copied 8 times, so the check comes every 8th
    // iteration, charging more than a budget of 3: every check calls tick.
    expect(seen).toEqual([0, 8, 16, 24, 32]);
  });

  it("stops an endless br_if loop and an endless br_table loop", () => {
    const exports = (stopAt: number) => run(instrumented(`(module
      (func (export "br_if") (param $n i32) (loop $l (br_if $l (i32.ne (local.get $n) (i32.const 0)))))
      (func (export "br_table") (loop $l (block $out (br_table $l $out (i32.const 0))))))`), ticker(2, stopAt).tick);
    expect(() => (exports(7).br_if as Fn)(1)).toThrow("tick 7");
    expect(() => (exports(4).br_table as Fn)()).toThrow("tick 4");
  });

  it("leaves a finite loop's result alone", () => {
    const text = `(module (func (export "sum") (param $n i32) (result i32) (local $s i32)
      (loop $l (local.set $s (i32.add (local.get $s) (local.get $n)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $s)))`;
    const t = ticker(1);
    const sum = run(instrumented(text), t.tick).sum as Fn;
    expect(sum(100)).toBe((run(wat(text), () => 0).sum as Fn)(100));
    // One check on entering the loop, then one every 8 iterations (its 8 copies).
    expect(t.calls).toBe(Math.ceil(100 / 8));
  });

  it("keeps stopping the code after tick has thrown once: a catch_all cannot resume the loop", () => {
    const t = ticker(5, 3);
    const exports = run(instrumented(`(module (func (export "stubborn")
      (loop $again (try (do (loop $spin (br $spin))) (catch_all)) (br $again))))`), t.tick);
    expect(() => (exports.stubborn as Fn)()).toThrow(Stop);
    // The third call threw inside the try; the budget was not reset, so the outer loop's header called tick again.
    expect(t.calls).toBe(4);
  });
});

describe("instrument: calls", () => {
  it("stops endless mutual recursion without loops", () => {
    const t = ticker(3, 4);
    const exports = run(instrumented(`(module
      (func $ping (export "ping") (call $pong))
      (func $pong (call $ping)))`), t.tick);
    expect(() => (exports.ping as Fn)()).toThrow("tick 4");
  });

  it("stops endless recursion through call_indirect", () => {
    const exports = run(instrumented(`(module
      (type $v (func))
      (table 1 funcref)
      (elem (i32.const 0) $self)
      (func $self (export "self") (call_indirect (type $v) (i32.const 0))))`), ticker(3, 4).tick);
    expect(() => (exports.self as Fn)()).toThrow("tick 4");
  });

  it("stops an endless chain of tail calls, which never runs out of stack", () => {
    const text = `(module (func $f (export "f") (param i32) (return_call $f (local.get 0))))`;
    const exports = run(instrumented(text), ticker(10, 3).tick);
    expect(() => (exports.f as Fn)(0)).toThrow("tick 3");
  });

  it("gives a leaf function without a loop no check", () => {
    const t = ticker(1);
    const exports = run(instrumented(`(module
      (func (export "leaf") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.mul (local.get 0) (i32.const 3))) (else (i32.const 7)))))`), t.tick);
    const leaf = exports.leaf as Fn;
    expect([leaf(0), leaf(5)]).toEqual([7, 15]);
    expect(t.calls).toBe(0);
  });
});

/** `n` copies of an instruction that adds 1000 to the global $g: 8 bytes of code each. */
const straight = (n: number) => "(global.set $g (i32.add (global.get $g) (i32.const 1000)))".repeat(n);

/** The iterations between two ticks of a loop that counts them in the exported global `i`, stopped at the 6th tick. */
function iterationsBetweenTicks(text: string, budget: number, entry: string, imports: WebAssembly.Imports = {}): number[] {
  let i: WebAssembly.Global | undefined;
  const seen: number[] = [];
  const exports = run(instrumented(text), ticker(budget, 6, () => seen.push(i!.value as number)).tick, imports);
  i = exports.i as WebAssembly.Global;
  expect(() => (exports[entry] as Fn)()).toThrow(Stop);
  return seen.slice(1).map((n, k) => n - seen[k]!);
}

describe("instrument: what a check charges", () => {
  it("charges a loop with a huge body its size: tick comes within budget / size iterations", () => {
    // 250 instructions of 8 bytes: a 2,000-byte body, charged at every iteration (too big to copy).
    const gaps = iterationsBetweenTicks(`(module (global $g (mut i32) (i32.const 0))
      (global $i (export "i") (mut i32) (i32.const 0))
      (func (export "spin") (loop $l ${straight(250)} (global.set $i (i32.add (global.get $i) (i32.const 1))) (br $l))))`,
      20_000, "spin");
    expect(gaps).toHaveLength(5);
    for (const gap of gaps) expect(gap).toBeGreaterThan(0);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(20_000 / 2_000);
  });

  it("charges a loop the code of the small leaf it calls, and a call it cannot see into as a whole leaf's worth", () => {
    const text = `(module (import "env" "f" (func $imp))
      (global $g (mut i32) (i32.const 0))
      (global $i (export "i") (mut i32) (i32.const 0))
      (func $leaf ${straight(100)})
      (func (export "local") (loop $l (call $leaf) (global.set $i (i32.add (global.get $i) (i32.const 1))) (br $l)))
      (func (export "imported") (loop $l (call $imp) (global.set $i (i32.add (global.get $i) (i32.const 1))) (br $l))))`;
    const imports = { env: { f: () => {} } };
    // $leaf is 800 bytes and has no check of its own; an import is charged 1,024 bytes.
    for (const gap of iterationsBetweenTicks(text, 40_000, "local", imports)) expect(gap).toBeLessThanOrEqual(40_000 / 800);
    for (const gap of iterationsBetweenTicks(text, 40_000, "imported", imports)) expect(gap).toBeLessThanOrEqual(40_000 / 1024);
  });

  it("gives a leaf function longer than 1 KiB a check at its entry, charging its size", () => {
    const t = ticker(1);
    const exports = run(instrumented(`(module (global $g (export "g") (mut i32) (i32.const 0))
      (func (export "big") ${straight(200)}))`), t.tick);
    (exports.big as Fn)();
    expect((exports.g as WebAssembly.Global).value).toBe(200_000);
    expect(t.calls).toBe(1);
  });

  it("stops nested endless loops, the inner one finite or endless, and keeps nested finite loops' results", () => {
    const text = `(module (global $i (export "i") (mut i32) (i32.const 0))
      (func (export "outer") (local $j i32)
        (loop $outer (local.set $j (i32.const 0))
          (loop $inner (global.set $i (i32.add (global.get $i) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 5))))
          (br $outer)))
      (func (export "inner") (loop $outer (loop $inner (br $inner)) (br $outer)))
      (func (export "grid") (param $n i32) (param $m i32) (result i32) (local $a i32) (local $b i32) (local $s i32)
        (block $done (loop $rows
          (br_if $done (i32.ge_s (local.get $a) (local.get $n)))
          (local.set $b (i32.const 0))
          (block $next (loop $cols
            (br_if $next (i32.ge_s (local.get $b) (local.get $m)))
            (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3)) (i32.add (local.get $a) (local.get $b))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $cols)))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $rows)))
        (local.get $s)))`;
    expect(() => (run(instrumented(text), ticker(1000, 4).tick).outer as Fn)()).toThrow("tick 4");
    expect(() => (run(instrumented(text), ticker(1000, 4).tick).inner as Fn)()).toThrow("tick 4");
    const bare = run(wat(text), () => 0).grid as Fn;
    const checked = run(instrumented(text), ticker(7).tick).grid as Fn;
    for (const [n, m] of [[0, 0], [1, 1], [3, 17], [9, 8], [13, 0], [20, 31]] as const) expect(checked(n, m)).toBe(bare(n, m));
  });

  it("stops a loop whose body only calls a function that loops, finitely or not", () => {
    const text = `(module (global $i (export "i") (mut i32) (i32.const 0))
      (func $three (local $j i32)
        (loop $l (br_if $l (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 3)))))
      (func $forever (loop $l (br $l)))
      (func (export "calls_finite") (loop $l (call $three) (br $l)))
      (func (export "calls_endless") (loop $l (call $forever) (br $l))))`;
    expect(() => (run(instrumented(text), ticker(100, 5).tick).calls_finite as Fn)()).toThrow("tick 5");
    expect(() => (run(instrumented(text), ticker(100, 5).tick).calls_endless as Fn)()).toThrow("tick 5");
  });

  it("stops a call tree that grows without a loop (two recursive calls a level), and lets deep recursion finish", () => {
    const text = `(module
      (func $tree (export "tree") (param $d i32) (result i32)
        (if (result i32) (i32.eqz (local.get $d)) (then (i32.const 1))
          (else (i32.add (call $tree (i32.sub (local.get $d) (i32.const 1))) (call $tree (i32.sub (local.get $d) (i32.const 1)))))))
      (func $sum (export "sum") (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
          (else (i32.add (local.get $n) (call $sum (i32.sub (local.get $n) (i32.const 1))))))))`;
    // 2^50 calls, none of them in a loop: each call's entry check charges it.
    expect(() => (run(instrumented(text), ticker(10_000, 5).tick).tree as Fn)(50)).toThrow("tick 5");
    const t = ticker(10_000);
    expect((run(instrumented(text), t.tick).sum as Fn)(5000)).toBe(5000 * 5001 / 2);
    expect(t.calls).toBeGreaterThan(1);
  });

  it("keeps every way out of a copied loop: a value to an outer block, br_table within, to the loop and out, return", () => {
    const text = `(module (func (export "exits") (param $n i32) (param $k i32) (result i32) (local $i i32) (local $s i32)
      (block $exit
        (return (block $found (result i32)
          (loop $l (result i32)
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (block $odd
              (br_if $odd (i32.and (local.get $i) (i32.const 1)))
              (local.set $s (i32.add (local.get $s) (local.get $i))))
            (drop (br_if $found (i32.mul (local.get $s) (i32.const 10)) (i32.eq (local.get $i) (local.get $k))))
            (if (i32.eq (local.get $i) (i32.const 50)) (then (return (i32.const -1))))
            (block $next
              (br_table $l $next $exit
                (select (i32.const 0) (select (i32.const 2) (i32.const 1) (i32.eq (local.get $n) (i32.const 13)))
                  (i32.lt_s (local.get $i) (local.get $n)))))
            (local.get $s)))))
      (i32.const -2)))`;
    const bare = run(wat(text), () => 0).exits as Fn;
    const checked = run(instrumented(text), ticker(3).tick).exits as Fn;
    const results = (f: Fn) => [0, 1, 2, 7, 8, 9, 13, 16, 17, 40, 60].flatMap((n) => [0, 5, 8, 100].map((k) => f(n, k)));
    expect(results(checked)).toEqual(results(bare));
    // Every way out is taken: falling off the loop with $s, $found with 10 × $s (k = 5, 8), return -1 (i = 50),
    // $exit then -2 (n = 13); the loop is continued while i < n.
    expect(new Set(results(bare))).toEqual(new Set([0, 2, 12, 20, 72, 420, 60, 200, -1, -2]));
  });
});

// Imports a function and a global, so that the budget global is not global 0; its table moves up past the tick table,
// and its element segments of forms 0 and 4 are written naming it. (binaryen
// writes element segments in forms 0, 1 and 4 or 6 only; the other forms are assembled by hand below.)
const EVERYTHING = `(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (type $bin (func (param i32 i32) (result i32)))
  (table $t 8 funcref)
  (elem (i32.const 0) $mul $sub)
  (elem $later func $neg $fortytwo)
  (elem (table $t) (i32.const 5) funcref (ref.func $sub) (ref.null func))
  (global $fref funcref (ref.func $mul))
  (global $started (mut i32) (i32.const 0))
  (start $init)
  (func $init (global.set $started (call $add (global.get $base) (i32.const 7))))
  (func $mul (type $bin) (i32.mul (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $neg (type $bin) (i32.sub (i32.const 0) (local.get 0)))
  (func $fortytwo (result i32) (i32.const 42))
  (func (export "started") (result i32) (global.get $started))
  (func (export "direct") (param i32 i32) (result i32) (call $add (call $mul (local.get 0) (local.get 1)) (local.get 1)))
  (func (export "indirect") (param i32 i32 i32) (result i32)
    (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "via_global") (param i32 i32) (result i32)
    (table.set $t (i32.const 2) (global.get $fref))
    (call_indirect (type $bin) (local.get 0) (local.get 1) (i32.const 2)))
  (func (export "passive") (param i32) (result i32)
    (table.init $t $later (i32.const 3) (i32.const 0) (i32.const 1))
    (call_indirect (type $bin) (local.get 0) (i32.const 0) (i32.const 3)))
  (func (export "ref_func") (result i32)
    (table.set $t (i32.const 7) (ref.func $fortytwo))
    (call_indirect (result i32) (i32.const 7)))
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0))) (return (i32.const 10))) (return (i32.const 20)))
    (i32.const 30))
  (func $swap (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "pair") (param i32) (result i32)
    (block $pair (result i32 i32) (call $swap (local.get 0) (i32.const 100)))
    (i32.sub))
  (func $fact (export "fact") (param $n i32) (result i32)
    (if (result i32) (i32.le_s (local.get $n) (i32.const 1)) (then (i32.const 1))
      (else (i32.mul (local.get $n) (call $fact (i32.sub (local.get $n) (i32.const 1)))))))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l (result i32)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (local.get $n)))
      (local.get $i))))`;

const CALLS: [string, number[]][] = [
  ["started", []], ["direct", [6, 7]], ["indirect", [0, 6, 7]], ["indirect", [1, 6, 7]], ["indirect", [5, 6, 7]],
  ["via_global", [6, 7]], ["passive", [9]], ["ref_func", []], ["switch", [0]], ["switch", [1]], ["switch", [2]],
  ["switch", [9]], ["swap", [1, 2]], ["pair", [3]], ["fact", [10]], ["count", [0]], ["count", [25]],
];

// Instructions of proposals later than V8 in Node 20 knows (typed function references, the new exception handling,
// multi-memory), and SIMD, threads, bulk memory; a table with an initialiser expression.
const LATER = `(module
  (type $ii (func (param i32) (result i32)))
  (tag $e (param i32))
  (memory $m0 1 1 shared)
  (memory $m1 1)
  (elem declare func $id)
  (table $typed 1 1 (ref $ii) (ref.func $id))
  (func $id (type $ii) (local.get 0))
  (func (export "refs") (param $x i32) (result i32) (local $r (ref null $ii))
    (local.set $r (ref.func $id))
    (drop (call_ref $ii (i32.const 1) (ref.as_non_null (local.get $r))))
    (block $null (br_on_null $null (local.get $r)) (drop))
    (drop (block $b (result (ref $ii)) (br_on_non_null $b (local.get $r)) (unreachable)))
    (drop (block $caught (result i32) (try_table (catch $e $caught) (throw $e (i32.const 1))) (i32.const 0)))
    (throw_ref (block $all (result exnref) (try_table (catch_all_ref $all) (throw $e (i32.const 1))) (unreachable))))
  (func (export "tail") (param $x i32) (result i32) (return_call_ref $ii (local.get $x) (ref.func $id)))
  (func (export "simd") (param $x i32) (result i32)
    (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i32x4 1 2 3 4) (v128.const i64x2 0 0)))
    (drop (i32x4.extract_lane 2 (v128.load8_lane 3 (i32.const 0) (v128.const i64x2 0 0))))
    (drop (i32.atomic.rmw.add $m0 offset=8 (i32.const 0) (i32.const 1)))
    (atomic.fence)
    (memory.copy $m0 $m1 (i32.const 0) (i32.const 0) (i32.const 0))
    (drop (i32.load $m1 offset=4 (i32.const 0)))
    (drop (i32.trunc_sat_f32_s (f32.const 1.5)))
    (drop (i32.extend8_s (i32.const 255)))
    (drop (select (result i32) (i32.const 1) (i32.const 2) (local.get $x)))
    (loop $l (br_if $l (i32.const 0)))
    (local.get $x)))`;

describe("instrument: behaviour", () => {
  it("changes no exported function's results (calls, tables, elements of every kind, start, ref.func, multi-value)", () => {
    const base = new WebAssembly.Global({ value: "i32" }, 1000);
    const imports = { env: { add: (a: number, b: number) => a + b, base } };
    const t = ticker(2);
    const before = run(wat(EVERYTHING), () => 0, imports);
    const after = run(instrument(wat(EVERYTHING), { tick: TICK, moduleName: "everything" }), t.tick, imports);
    const results = (exports: WebAssembly.Exports) => CALLS.map(([name, args]) => (exports[name] as Fn)(...args));
    expect(results(after)).toEqual(results(before));
    // The fixture does what its names say: start, direct, the three slots of the active segments, the funcref global,
    // the passive segment, ref.func.
    expect(results(after).slice(0, 8)).toEqual([1007, 49, 42, -1, -1, 42, -9, 42]);
    expect(t.calls).toBeGreaterThan(0);
  });

  it("leaves the instructions of later proposals intact (binaryen validates the result)", () => {
    const out = binaryen.readBinary(instrument(watAllFeatures(LATER), { tick: TICK, moduleName: "later" }));
    try {
      out.setFeatures(binaryen.Features.All);
      expect(out.validate()).toBe(1);
      // One check each at the entries of refs (call_ref) and tail (return_call_ref), and one in simd's loop.
      expect(out.emitText().match(/i32\.le_s/g)).toHaveLength(3);
    } finally {
      out.dispose();
    }
  });
});

// Function 0 is an import; f1..f4 return 1..4; 5 calls table slot i; 6 fills slots 5 and 6 from the passive segments;
// 7 puts ref.func 3 in slot 9 and takes ref.func 4, which only the declarative segments allow.
const ELEMENT_FORMS = assemble(
  section(1, vec([[0x60, 0, 1, 0x7f], [0x60, 0, 0], [0x60, 1, 0x7f, 1, 0x7f]])),
  section(2, vec([[...str("env"), ...str("imp"), 0x00, 0]])),
  section(3, vec([[0], [0], [0], [0], [2], [1], [1]])),
  section(4, vec([[0x70, 0x00, 10]])),
  section(7, vec([[...str("t"), 0x01, 0], [...str("call"), 0x00, 5], [...str("init"), 0x00, 6], [...str("refs"), 0x00, 7]])),
  section(9, vec([
    [0x00, 0x41, 0, 0x0b, ...vec([[1]])], //                                        active, table 0: slot 0 = f1
    [0x01, 0x00, ...vec([[2]])], //                                                 passive
    [0x02, 0x00, 0x41, 1, 0x0b, 0x00, ...vec([[2], [0]])], //                       active, table 0 named: slots 1, 2 = f2, import
    [0x03, 0x00, ...vec([[3]])], //                                                 declarative
    [0x04, 0x41, 3, 0x0b, ...vec([[0xd2, 3, 0x0b], [0xd0, 0x70, 0x0b]])], //        active, expressions: slots 3, 4 = f3, null
    [0x05, 0x70, ...vec([[0xd2, 1, 0x0b]])], //                                     passive, expressions
    [0x06, 0x00, 0x41, 8, 0x0b, 0x70, ...vec([[0xd2, 4, 0x0b]])], //                active, table named, expressions: slot 8 = f4
    [0x07, 0x70, ...vec([[0xd2, 4, 0x0b]])], //                                     declarative, expressions
  ])),
  section(10, vec([
    body([0x41, 1, 0x0b]), body([0x41, 2, 0x0b]), body([0x41, 3, 0x0b]), body([0x41, 4, 0x0b]),
    body([0x20, 0, 0x11, 0, 0, 0x0b]),
    body([0x41, 5, 0x41, 0, 0x41, 1, 0xfc, 12, 1, 0, 0x41, 6, 0x41, 0, 0x41, 1, 0xfc, 12, 5, 0, 0x0b]),
    body([0x41, 9, 0xd2, 3, 0x26, 0, 0xd2, 4, 0x1a, 0x0b]),
  ])),
);

describe("instrument: element segments", () => {
  it("renumbers the tables of element segments in all 8 forms, writing forms 0 and 4 as 2 and 6", () => {
    const slots = (bytes: Uint8Array) => {
      const exports = run(bytes, () => 1, { env: { imp: () => 100 } });
      (exports.init as Fn)();
      (exports.refs as Fn)();
      const table = exports.t as WebAssembly.Table;
      return [...Array(10).keys()].map((i) => (table.get(i) === null ? null : (exports.call as Fn)(i)));
    };
    const expected = [1, 2, 100, 3, null, 2, 1, null, 4, 3];
    expect(slots(ELEMENT_FORMS)).toEqual(expected);
    expect(slots(instrument(ELEMENT_FORMS, { tick: TICK, moduleName: "forms" }))).toEqual(expected);
  });
});

// Table 0 imported, table 1 defined and exported: the tick table comes between them, as table 1.
const TABLES = `(module
  (import "env" "shared" (table $shared 2 funcref))
  (type $r (func (result i32)))
  (table $own 3 funcref)
  (elem (table $shared) (i32.const 0) func $one)
  (elem (table $own) (i32.const 1) func $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "shared") (result i32) (call_indirect $shared (type $r) (i32.const 0)))
  (func (export "own") (result i32) (call_indirect $own (type $r) (i32.const 1)))
  (func (export "size") (result i32) (table.size $own))
  (func (export "copy") (result i32)
    (table.copy $own $shared (i32.const 2) (i32.const 0) (i32.const 1))
    (call_indirect $own (type $r) (i32.const 2)))
  (export "table" (table $own)))`;

describe("instrument: the tick table", () => {
  it("comes after the imported tables: the defined ones, their uses and their exports move up past it", () => {
    const shared = new WebAssembly.Table({ element: "anyfunc", initial: 2 });
    const t = ticker(1);
    const exports = run(instrument(watWithNames(TABLES), { tick: TICK, moduleName: "tables" }), t.tick, { env: { shared } });
    expect([(exports.shared as Fn)(), (exports.own as Fn)(), (exports.size as Fn)(), (exports.copy as Fn)()]).toEqual([1, 2, 3, 1]);
    expect((exports.table as WebAssembly.Table).length).toBe(3);
    const mod = binaryen.readBinary(instrument(watWithNames(TABLES), { tick: TICK, moduleName: "tables" }));
    try {
      const names = [0, 1, 2].map((i) => binaryen.getTableInfo(mod.getTableByIndex(i)));
      expect(names.map((n) => [n.name, n.module, n.base])).toEqual([["shared", "env", "shared"], [expect.any(String), TICK.module, TICK.name], ["own", "", ""]]);
    } finally {
      mod.dispose();
    }
  });

  it("cannot be named by the binary's code: a table index past its tables stays past them", () => {
    // No tables: call_indirect of table 0, invalid before, would be the tick table's index if not renumbered.
    const calls = withCode([0x41, 0x00, 0x11, 0x00, 0x00, 0x0b]) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(calls)).toBe(false);
    expect(WebAssembly.validate(instrument(calls, { tick: TICK, moduleName: "m" }) as Uint8Array<ArrayBuffer>)).toBe(false);
    const sets = withCode([0x41, 0x00, 0xd0, 0x70, 0x26, 0x00, 0x0b]) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(sets)).toBe(false);
    expect(WebAssembly.validate(instrument(sets, { tick: TICK, moduleName: "m" }) as Uint8Array<ArrayBuffer>)).toBe(false);
  });

  it("refuses a binary that imports anything from the tick's module itself", () => {
    const imports = (kind: number[]) => assemble(section(2, vec([[...str("watchdog"), ...str("tick"), ...kind]])));
    expect(outcome(imports([0x01, 0x70, 0x00, 0x01]))).toBe("import watchdog.tick: module watchdog is the kernel's at offset 11");
    expect(outcome(assemble(section(1, vec([[0x60, 0, 1, 0x7f]])), section(2, vec([[...str("watchdog"), ...str("x"), 0x00, 0]])))))
      .toBe("import watchdog.x: module watchdog is the kernel's at offset 18");
  });
});

describe("instrument: names", () => {
  const text = (moduleName: string) => `(module ${moduleName}
    (import "env" "f" (func $imp))
    (func $inner (param $depth i32) (call $imp))
    (func $outer (export "outer") (call $inner (i32.const 0))))`;

  /** The stack of what tick throws, as V8 formats it (vitest's own format leaves out the function indices). */
  function stackOf(bytes: Uint8Array): string {
    const t = ticker(1, 2);
    const exports = run(bytes, t.tick, { env: { f: () => t.tick() } });
    const vitestFormat = Error.prepareStackTrace;
    Reflect.deleteProperty(Error, "prepareStackTrace");
    try {
      (exports.outer as Fn)();
    } catch (e) {
      if (e instanceof Stop) return e.stack ?? "";
    } finally {
      Error.prepareStackTrace = vitestFormat;
    }
    throw new Error("tick did not stop the code");
  }

  it("names opts.moduleName in V8's frames where the binary's name section says another name", () => {
    const stack = stackOf(instrument(watWithNames(text("$other")), { tick: TICK, moduleName: "mymod" }));
    expect(stack).toContain("wasm://wasm/mymod-");
    expect(stack).not.toContain("other");
  });

  it("names opts.moduleName in V8's frames where the binary has no name section", () => {
    const bytes = wat(text(""));
    expect(readSections(bytes).some((s) => s.name === "name")).toBe(false);
    expect(stackOf(instrument(bytes, { tick: TICK, moduleName: "plain" }))).toContain("wasm://wasm/plain-");
  });

  it("keeps the function and local names on their functions, whose indices do not change", () => {
    const out = instrument(watWithNames(text("$other")), { tick: TICK, moduleName: "mymod" });
    const stack = stackOf(out);
    expect(stack).toMatch(/at mymod\.inner \(wasm:\/\/wasm\/mymod-[0-9a-f]+:wasm-function\[1\]/);
    expect(stack).toMatch(/at mymod\.outer \(wasm:\/\/wasm\/mymod-[0-9a-f]+:wasm-function\[2\]/);
    const mod = binaryen.readBinary(out);
    try {
      expect(mod.emitText()).toMatch(/\(func \$inner \(param \$depth i32\)/);
    } finally {
      mod.dispose();
    }
  });
});

const BUILT = readdirSync(BUILD_DIR).filter((f) => f.endsWith(".wasm")).map((f) => f.slice(0, -5));

describe("instrument: built modules", () => {
  it.each(BUILT)("instruments %s to a valid binary with the same imports and exports plus tick", (name) => {
    const bytes = loadBytes(name);
    const out = instrument(bytes, { tick: TICK, moduleName: name }) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(out)).toBe(true);
    const before = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    const after = new WebAssembly.Module(out);
    const tick = { ...TICK, kind: "table" };
    expect(WebAssembly.Module.imports(after)).toEqual([...WebAssembly.Module.imports(before), tick]);
    expect(WebAssembly.Module.exports(after)).toEqual(WebAssembly.Module.exports(before));
  });
});

/** The outcome of instrumenting malformed bytes: "ok", or the WasmFormatError's message; anything else is thrown. */
function outcome(bytes: Uint8Array): string {
  try {
    instrument(bytes, { tick: TICK, moduleName: "m" });
    return "ok";
  } catch (e) {
    if (e instanceof WasmFormatError) return e.message;
    throw e;
  }
}

describe("instrument: malformed input", () => {
  it("refuses every truncation of a built module with a WasmFormatError, except at a section boundary", () => {
    const bytes = loadBytes("ramfs");
    const boundaries = new Set([8, ...readSections(bytes).map((s) => s.offset! + s.payload.length)]);
    const strided = Array.from({ length: Math.ceil((bytes.length - 3000) / 37) }, (_, i) => 3000 + 37 * i);
    const lengths = [...Array(3000).keys(), ...strided];
    const wrong = lengths.filter((n) => (outcome(bytes.subarray(0, n)) === "ok") !== boundaries.has(n));
    expect(wrong).toEqual([]);
  });

  it("throws only WasmFormatError for random byte flips, and what V8 accepts stays valid", () => {
    let seed = 0x2545f491;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
    };
    const originals = [loadBytes("counter"), wat(EVERYTHING), watAllFeatures(LATER)];
    let valid = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(originals[i % originals.length]!);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      let out: Uint8Array;
      try {
        out = instrument(bytes, { tick: TICK, moduleName: "m" });
      } catch (e) {
        expect(e).toBeInstanceOf(WasmFormatError);
        expect((e as Error).message).toMatch(/ at offset \d+$|^bad magic number$|^unsupported version$/);
        continue;
      }
      if (!WebAssembly.validate(bytes)) continue;
      valid++;
      expect(WebAssembly.validate(out as Uint8Array<ArrayBuffer>)).toBe(true);
    }
    expect(valid).toBeGreaterThan(100);
  });

  it("refuses absurd LEB128 lengths and counts", () => {
    const binary = (...bytes: number[]) => Uint8Array.from([...HEADER, ...bytes]);
    expect(outcome(binary(0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00))).toBe("length 4294967295 runs past the end at offset 14");
    expect(outcome(binary(0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00))).toBe("LEB128 too long at offset 9");
    expect(outcome(binary(0x01, 0xff, 0xff, 0xff, 0xff, 0x7f))).toBe("integer too large at offset 9");
    expect(outcome(binary(0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f))).toBe("unexpected end at offset 15");
    expect(outcome(withCode([0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x0b]))).toBe(`unexpected end at offset ${CODE_AT + 8}`);
  });

  it("refuses an unknown opcode, naming it and its offset", () => {
    expect(outcome(withCode([0x01, 0x16, 0x0b]))).toBe(`unknown opcode 0x16 at offset ${CODE_AT + 1}`);
    expect(outcome(withCode([0x01, 0x01, 0xfd, 0x9a, 0x01, 0x0b]))).toBe(`unknown opcode 0xfd 154 at offset ${CODE_AT + 2}`);
    expect(outcome(withCode([0xfc, 0x12, 0x0b]))).toBe(`unknown opcode 0xfc 18 at offset ${CODE_AT}`);
    expect(outcome(withCode([0xfb, 0x01, 0x0b]))).toBe(`unsupported GC instruction 0xfb 1 at offset ${CODE_AT}`);
    expect(outcome(withCode([0x01]))).toBe(`unexpected end at offset ${CODE_AT + 1}`);
  });

  it("refuses a global index past the binary's globals, which would name the budget once it is added", () => {
    expect(outcome(withCode([0x41, 0x7f, 0x24, 0x00, 0x0b]))).toBe(`global index 0 out of range at offset ${CODE_AT + 3}`);
    const global = section(6, vec([[0x7f, 0x00, 0x41, 0x00, 0x0b]]));
    const exported = assemble(global, section(7, vec([[...str("g"), 0x03, 1]])));
    expect(outcome(exported)).toBe("global index 1 out of range at offset 22");
  });

  it("knows every opcode V8 knows", () => {
    // Relaxed SIMD is behind a flag in Node 20: V8 names those "not available".
    const unknownToV8 = /invalid (numeric |simd |atomic )?opcode|opcode not available/i;
    const opcodes = [
      ...Array.from({ length: 256 }, (_, op) => [op]).filter(([op]) => op! < 0xfb || op === 0xff),
      ...Array.from({ length: 32 }, (_, sub) => [0xfc, sub]),
      ...Array.from({ length: 0x120 }, (_, sub) => [0xfd, ...(sub < 128 ? [sub] : [0x80 | (sub & 0x7f), sub >> 7])]),
      ...Array.from({ length: 128 }, (_, sub) => [0xfe, sub]),
    ];
    const missed = opcodes.filter((op) => {
      const bytes = withCode([...op, ...Array<number>(24).fill(0), 0x0b]) as Uint8Array<ArrayBuffer>;
      try {
        new WebAssembly.Module(bytes);
      } catch (e) {
        if (unknownToV8.test((e as Error).message)) return false;
      }
      return outcome(bytes).startsWith("unknown opcode");
    });
    expect(missed).toEqual([]);
  });
});
