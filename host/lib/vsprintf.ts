// vsprintf: the printf-like formatter behind printk, reading its arguments as 32-bit slots.
//
// Conversions: %d %i %u %x %X %o %c %s %p %px %% with the flags - 0 + space #, a width and a precision
// (either may be *), and the length modifiers hh and h (char and short) and l ll z t (32 bits: one slot each). %s takes an
// AssemblyScript string pointer; NULL prints "(null)" and a pointer outside the module's memory "(efault)",
// as Linux prints them. %p prints the address as 8 hex digits (the sandbox has no address to hide).

/** Reads a string argument; null when the pointer is outside the module's memory. */
export type StringReader = (ptr: number) => string | null;

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  qualifier: string;
  conv: string;
}

const SPEC = /%([-0+ #]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|z|t)?([diuxXocsp%])(x?)/y;

/** Format fmt with the argument slots; a conversion with no slot left prints as if its argument were 0. */
export function vsprintf(fmt: string, args: readonly number[], readString: StringReader): string {
  let out = "";
  let next = 0;
  const arg = (): number => args[next++] ?? 0;
  for (let i = 0; i < fmt.length; ) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) return out + fmt.slice(i);
    out += fmt.slice(i, pct);
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    if (!m) {
      out += "%";
      i = pct + 1;
      continue;
    }
    i = SPEC.lastIndex;
    if (m[5] === "%") {
      out += "%";
      continue;
    }
    const width = m[2] === "*" ? arg() | 0 : m[2] === undefined ? undefined : Number(m[2]);
    const precision = m[3] === "*" ? arg() | 0 : m[3] === undefined ? undefined : Number(m[3] || "0");
    const spec: Spec = { flags: m[1] ?? "", width, precision, qualifier: m[4] ?? "", conv: m[5]! };
    out += convert(spec, arg(), readString);
  }
  return out;
}

function convert(spec: Spec, value: number, readString: StringReader): string {
  switch (spec.conv) {
    case "d":
    case "i":
      return number(spec, truncate(value, spec.qualifier, true), 10);
    case "u":
      return number(spec, truncate(value, spec.qualifier, false), 10);
    case "x":
    case "X":
      return number(spec, truncate(value, spec.qualifier, false), 16);
    case "o":
      return number(spec, truncate(value, spec.qualifier, false), 8);
    case "c":
      return widen(String.fromCharCode(value & 0xff), spec);
    case "p":
      return widen((value >>> 0).toString(16).padStart(8, "0"), spec);
    default:
      return widen(str(value, spec, readString), spec);
  }
}

/** The h and hh qualifiers narrow the argument to short and char, as the C promotion is undone. */
function truncate(value: number, qualifier: string, signed: boolean): number {
  const bits = qualifier === "hh" ? 8 : qualifier === "h" ? 16 : 32;
  const shift = 32 - bits;
  return signed ? (value << shift) >> shift : (value << shift) >>> shift;
}

function str(ptr: number, spec: Spec, readString: StringReader): string {
  const s = ptr === 0 ? "(null)" : readString(ptr >>> 0) ?? "(efault)";
  return spec.precision === undefined ? s : s.slice(0, spec.precision);
}

/**
 * number() from lib/vsprintf.c, whose rules differ from C's: a zero is always printed (even at precision
 * 0), %#x of 0 is "0x0", and the 0 flag pads to the field width even when a precision is given.
 */
function number(spec: Spec, value: number, base: 8 | 10 | 16): string {
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
  const fill = Math.max(width, 0);
  const body = sign + prefix + (zeropad ? "0".repeat(fill) : "") + digits.padStart(precision, "0");
  if (left) return body + " ".repeat(fill);
  return zeropad ? body : " ".repeat(fill) + body;
}

/** widen_string(): pad to the field width with spaces (the 0 flag does not apply to %c, %s and %p). */
function widen(s: string, spec: Spec): string {
  const width = spec.width ?? 0;
  const w = Math.abs(width);
  if (s.length >= w) return s;
  return spec.flags.includes("-") || width < 0 ? s.padEnd(w) : s.padStart(w);
}
