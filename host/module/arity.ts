// JS functions given to a module as imports, each with exactly as many parameters as the module declares.
//
// V8 11.3 (Node 20) compiles a wasm-to-JS wrapper for each signature a module imports while compiling it, for a
// JS function of that many parameters. An import bound to a function of another arity (a variadic printk, a
// closure that ignores trailing arguments) needs another wrapper, compiled with TurboFan when the module is
// instantiated: for hello's _printk, about 0.08 ms of each cold insmod, a tenth of the whole. An adapter of the
// declared arity gets the wrapper already made; V8 inlines the function it calls.

type Fn = (...args: never[]) => unknown;
type Callee = (...args: unknown[]) => unknown;

// One adapter per arity: each calls f with what it was given, as many as the import declares.
const ADAPTERS: readonly ((f: Callee) => Fn)[] = [
  (f) => () => f(),
  (f) => (a) => f(a),
  (f) => (a, b) => f(a, b),
  (f) => (a, b, c) => f(a, b, c),
  (f) => (a, b, c, d) => f(a, b, c, d),
  (f) => (a, b, c, d, e) => f(a, b, c, d, e),
  (f) => (a, b, c, d, e, g) => f(a, b, c, d, e, g),
  (f) => (a, b, c, d, e, g, h) => f(a, b, c, d, e, g, h),
  (f) => (a, b, c, d, e, g, h, i) => f(a, b, c, d, e, g, h, i),
  (f) => (a, b, c, d, e, g, h, i, j) => f(a, b, c, d, e, g, h, i, j),
  (f) => (a, b, c, d, e, g, h, i, j, l) => f(a, b, c, d, e, g, h, i, j, l),
  (f) => (a, b, c, d, e, g, h, i, j, l, m) => f(a, b, c, d, e, g, h, i, j, l, m),
  (f) => (a, b, c, d, e, g, h, i, j, l, m, n) => f(a, b, c, d, e, g, h, i, j, l, m, n),
];

/**
 * A JS import value with `arity` parameters: itself when it has them (or is not a function), else an adapter.
 * Only for JS functions: a wasm function is linked directly, and an adapter would hide a signature mismatch.
 */
export function withArity(value: WebAssembly.ImportValue, arity: number | undefined): WebAssembly.ImportValue {
  if (typeof value !== "function" || arity === undefined || value.length === arity) return value;
  const adapt = ADAPTERS[arity];
  return adapt ? adapt(value as Callee) : value;
}
