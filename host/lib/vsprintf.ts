// vsprintf: the printf-like formatter behind printk, reading its arguments as 32-bit slots.
//
// Conversions: %d %i %u %x %X %o %c %s %p %px %% with the flags - 0 + space #, a width and a precision
// (either may be *), and the length modifiers hh and h (char and short) and l ll z t (32 bits: one slot each). %s takes an
// AssemblyScript string pointer; NULL prints "(null)" and a pointer outside the module's memory "(efault)",
// as Linux prints them. %p prints the address as 8 hex digits (the sandbox has no address to hide).
//
// As vsnprintf() into a buffer of `size`: the output is cut at size - 1 characters, and nothing past that is
// ever built, however wide a field or long a string argument is. Widths and precisions are clamped as Linux's
// set_field_width() and set_precision() clamp a `*` argument, with the WARN they give; a width or precision
// written in the format is clamped the same way (Linux lets it wrap in struct printf_spec's bit-fields).

/** A string argument's first `max` characters and its whole length; null when the pointer is outside the module's memory. */
export type StringReader = (ptr: number, max: number) => { readonly text: string; readonly length: number } | null;

/** lib/vsprintf.c: struct printf_spec keeps the width in 24 bits and the precision in 16. */
export const FIELD_WIDTH_MAX = (1 << 23) - 1;
export const PRECISION_MAX = (1 << 15) - 1;

export interface VsprintfOptions {
  /** The buffer's size: at most size - 1 characters come out (vsnprintf's NUL takes the last). */
  readonly size: number;
  /** WARN_ONCE's report of a clamped width or precision: the function that clamped and the message. */
  readonly warn?: (site: "set_field_width" | "set_precision", message: string) => void;
}

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  qualifier: string;
  conv: string;
}

/** The buffer vsnprintf writes into: whatever does not fit is dropped, padding included, before it is made. */
class Sink {
  out = "";
  constructor(private readonly room: number) {}

  /** The characters that still fit. */
  get left(): number {
    return this.room - this.out.length;
  }

  get full(): boolean {
    return this.left <= 0;
  }

  put(s: string): void {
    if (!this.full) this.out += s.length <= this.left ? s : s.slice(0, this.left);
  }

  /** n copies of c (n ≤ 0: none). */
  fill(c: string, n: number): void {
    this.put(c.repeat(Math.max(0, Math.min(n, this.left))));
  }
}

const SPEC = /%([-0+ #]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|z|t)?([diuxXocsp%])(x?)/y;

/**
 * Format fmt with the argument slots, as vsnprintf(buf, opts.size, ...) would fill buf; a conversion with no
 * slot left prints as if its argument were 0.
 */
export function vsprintf(fmt: string, args: readonly number[], readString: StringReader, opts: VsprintfOptions): string {
  const sink = new Sink(Math.max(opts.size - 1, 0));
  let next = 0;
  const arg = (): number => args[next++] ?? 0;
  for (let i = 0; i < fmt.length && !sink.full; ) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) {
      sink.put(fmt.slice(i));
      break;
    }
    sink.put(fmt.slice(i, pct));
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    if (!m) {
      sink.put("%");
      i = pct + 1;
      continue;
    }
    i = SPEC.lastIndex;
    if (m[5] === "%") {
      sink.put("%");
      continue;
    }
    const width = m[2] === undefined ? undefined : fieldWidth(m[2] === "*" ? arg() | 0 : skipAtoi(m[2]), opts);
    const precision = m[3] === undefined ? undefined : precisionOf(m[3] === "*" ? arg() | 0 : skipAtoi(m[3]), opts);
    const spec: Spec = { flags: m[1] ?? "", width, precision, qualifier: m[4] ?? "", conv: m[5]! };
    convert(sink, spec, arg(), readString);
  }
  return sink.out;
}

/** skip_atoi(): the digits as a C int, wrapping as it does ("" is 0). */
function skipAtoi(digits: string): number {
  let n = 0;
  for (let i = 0; i < digits.length; i++) n = (Math.imul(n, 10) + digits.charCodeAt(i) - 48) | 0;
  return n;
}

/** set_field_width(): a width that does not fit printf_spec's signed 24 bits is clamped, with a WARN. */
function fieldWidth(width: number, opts: VsprintfOptions): number {
  if (width >= -FIELD_WIDTH_MAX - 1 && width <= FIELD_WIDTH_MAX) return width;
  opts.warn?.("set_field_width", `field width ${width} too large`);
  return Math.sign(width) * FIELD_WIDTH_MAX;
}

/** set_precision(): one that does not fit 16 signed bits is clamped with a WARN; a negative one is 0, as format_decode() makes it. */
function precisionOf(precision: number, opts: VsprintfOptions): number {
  if (precision < -PRECISION_MAX - 1 || precision > PRECISION_MAX) {
    opts.warn?.("set_precision", `precision ${precision} too large`);
    return Math.min(Math.max(precision, 0), PRECISION_MAX);
  }
  return Math.max(precision, 0);
}

function convert(sink: Sink, spec: Spec, value: number, readString: StringReader): void {
  switch (spec.conv) {
    case "d":
    case "i":
      return number(sink, spec, truncate(value, spec.qualifier, true), 10);
    case "u":
      return number(sink, spec, truncate(value, spec.qualifier, false), 10);
    case "x":
    case "X":
      return number(sink, spec, truncate(value, spec.qualifier, false), 16);
    case "o":
      return number(sink, spec, truncate(value, spec.qualifier, false), 8);
    case "c":
      return widen(sink, String.fromCharCode(value & 0xff), 1, spec);
    case "p":
      return widen(sink, (value >>> 0).toString(16).padStart(8, "0"), 8, spec);
    default:
      return str(sink, value, spec, readString);
  }
}

/** The h and hh qualifiers narrow the argument to short and char, as the C promotion is undone. */
function truncate(value: number, qualifier: string, signed: boolean): number {
  const bits = qualifier === "hh" ? 8 : qualifier === "h" ? 16 : 32;
  const shift = 32 - bits;
  return signed ? (value << shift) >> shift : (value << shift) >>> shift;
}

/** string(): a %s argument, of which no more is read than the precision allows or the buffer still holds. */
function str(sink: Sink, ptr: number, spec: Spec, readString: StringReader): void {
  const limit = spec.precision ?? Infinity;
  const arg = ptr === 0 ? null : readString(ptr >>> 0, Math.min(limit, sink.left));
  const s = ptr === 0 ? { text: "(null)", length: 6 } : arg ?? { text: "(efault)", length: 8 };
  widen(sink, s.text.slice(0, limit), Math.min(s.length, limit), spec);
}

/**
 * number() from lib/vsprintf.c, whose rules differ from C's: a zero is always printed (even at precision
 * 0), %#x of 0 is "0x0", and the 0 flag pads to the field width even when a precision is given.
 */
function number(sink: Sink, spec: Spec, value: number, base: 8 | 10 | 16): void {
  const left = spec.flags.includes("-") || (spec.width ?? 0) < 0;
  const zeropad = spec.flags.includes("0") && !left;
  let width = Math.abs(spec.width ?? 0);
  let sign = "";
  if (spec.conv === "d" || spec.conv === "i") {
    if (value < 0) sign = "-";
    else if (spec.flags.includes("+")) sign = "+";
    else if (spec.flags.includes(" ")) sign = " ";
  }
  width -= sign.length;
  const isZero = value === 0;
  let digits = Math.abs(value).toString(base);
  if (spec.conv === "X") digits = digits.toUpperCase();
  const special = spec.flags.includes("#") && base !== 10;
  const prefix = !special ? "" : base === 16 ? (spec.conv === "X" ? "0X" : "0x") : isZero ? "" : "0";
  if (special) width -= base === 16 ? 2 : isZero ? 0 : 1;
  const precision = Math.max(spec.precision ?? 0, digits.length);
  width -= precision;
  if (!left && !zeropad) sink.fill(" ", width);
  sink.put(sign + prefix);
  if (zeropad) sink.fill("0", width);
  sink.fill("0", precision - digits.length);
  sink.put(digits);
  if (left) sink.fill(" ", width);
}

/** widen_string(): s (the first characters of `length`) padded to the field width with spaces (the 0 flag does not apply to %c, %s and %p). */
function widen(sink: Sink, s: string, length: number, spec: Spec): void {
  const width = spec.width ?? 0;
  const left = spec.flags.includes("-") || width < 0;
  if (!left) sink.fill(" ", Math.abs(width) - length);
  sink.put(s);
  if (left) sink.fill(" ", Math.abs(width) - length);
}
