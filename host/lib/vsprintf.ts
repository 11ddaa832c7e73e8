// vsprintf: the printf-like formatter behind printk, reading its arguments as 32-bit slots.
//
// Conversions: %d %i %u %x %X %o %c %s %p %px %% with the flags - 0 + space #, a width and a precision
// (either may be *), and the length modifiers h hh l z t (all 32 bits wide on wasm32). %s takes an
// AssemblyScript string pointer; NULL prints "(null)" and a pointer outside the module's memory "(efault)",
// as Linux prints them. %p prints the address as 8 hex digits (the sandbox has no address to hide).

/** Reads a string argument; null when the pointer is outside the module's memory. */
export type StringReader = (ptr: number) => string | null;

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
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
    const spec: Spec = { flags: m[1] ?? "", width, precision, conv: m[5]! };
    out += pad(convert(spec, arg(), readString), spec);
  }
  return out;
}

function convert(spec: Spec, value: number, readString: StringReader): string {
  switch (spec.conv) {
    case "d":
    case "i":
      return signed(value | 0, spec);
    case "u":
      return unsigned((value >>> 0).toString(10), spec, "");
    case "x":
      return unsigned((value >>> 0).toString(16), spec, "0x");
    case "X":
      return unsigned((value >>> 0).toString(16).toUpperCase(), spec, "0X");
    case "o":
      return unsigned((value >>> 0).toString(8), spec, "0");
    case "c":
      return String.fromCharCode(value & 0xff);
    case "p":
      return (value >>> 0).toString(16).padStart(8, "0");
    default:
      return str(value, spec, readString);
  }
}

function str(ptr: number, spec: Spec, readString: StringReader): string {
  const s = ptr === 0 ? "(null)" : readString(ptr >>> 0) ?? "(efault)";
  return spec.precision === undefined ? s : s.slice(0, spec.precision);
}

function withPrecision(digits: string, spec: Spec): string {
  if (spec.precision === undefined) return digits;
  if (spec.precision === 0 && digits === "0") return "";
  return digits.padStart(spec.precision, "0");
}

function signed(n: number, spec: Spec): string {
  const sign = n < 0 ? "-" : spec.flags.includes("+") ? "+" : spec.flags.includes(" ") ? " " : "";
  return sign + withPrecision(Math.abs(n).toString(10), spec);
}

function unsigned(digits: string, spec: Spec, altPrefix: string): string {
  const body = withPrecision(digits, spec);
  return spec.flags.includes("#") && digits !== "0" ? altPrefix + body : body;
}

function pad(s: string, spec: Spec): string {
  const width = spec.width ?? 0;
  const left = spec.flags.includes("-") || width < 0;
  const w = Math.abs(width);
  if (s.length >= w) return s;
  if (left) return s.padEnd(w);
  const zero = spec.flags.includes("0") && spec.precision === undefined && !"cs".includes(spec.conv);
  if (!zero) return s.padStart(w);
  const sign = /^[-+ ]|^0[xX]/.exec(s)?.[0] ?? "";
  return sign + s.slice(sign.length).padStart(w - sign.length, "0");
}
