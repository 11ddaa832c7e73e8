// fat names (fs/fat/dir.c, fs/vfat/namei_vfat.c, fs/fat/namei_msdos.c): 8.3 short names as stored and
// shown, the long-name (LFN) slots with their checksum, and the short names vfat makes for long ones.

/** Code page 437's characters 0x80-0xff, as Linux's nls_cp437 maps them. */
const CP437_HIGH: string =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠╣═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

/** Characters a long name may not hold (vfat_bad_char), besides those below 0x20. */
const BAD_LONG = "*?<>|\":/\\";
/** Characters a short name may not hold; vfat makes them '_' (vfat_replace_char), msdos refuses them. */
const BAD_SHORT = "+=,;[] ";
export const ATTR_RO: u8 = 0x01;
export const ATTR_VOLUME: u8 = 0x08;
export const ATTR_DIR: u8 = 0x10;
export const ATTR_ARCH: u8 = 0x20;
export const ATTR_EXT: u8 = 0x0f;
export const CASE_LOWER_BASE: u8 = 0x08;
export const CASE_LOWER_EXT: u8 = 0x10;
export const DELETED: u8 = 0xe5;
/** Long-name slots a name may take: 20 × 13 = 260 UCS-2 characters, of which 255 are used. */
export const MAX_LFN_SLOTS: i32 = 20;

/** shortname=: how 8.3 names are shown (DISPLAY) and made (CREATE), as VFAT_SFN_* */
export const SFN_DISPLAY_WIN95: i32 = 0x01;
export const SFN_DISPLAY_WINNT: i32 = 0x02;
export const SFN_DISPLAY_LOWER: i32 = 0x04;
export const SFN_CREATE_WIN95: i32 = 0x100;
export const SFN_CREATE_WINNT: i32 = 0x200;

/** The Unicode character of a code page 437 byte. */
export function cp437ToChar(b: u8): i32 {
  return b < 0x80 ? <i32>b : CP437_HIGH.charCodeAt(<i32>b - 0x80);
}

/** The code page 437 byte of a character, or -1 if it has none. */
export function charToCp437(c: i32): i32 {
  if (c < 0x80) return c;
  const i = CP437_HIGH.indexOf(String.fromCharCode(c));
  return i < 0 ? -1 : i + 0x80;
}

/** The other case of a character, where code page 437 has it (nls_cp437's charset2lower and charset2upper). */
function otherCase(c: i32, upper: bool): i32 {
  if (c < 0x80) return upper ? (c >= 0x61 && c <= 0x7a ? c - 0x20 : c) : c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  const s = String.fromCharCode(c);
  const o = upper ? s.toUpperCase() : s.toLowerCase();
  return o.length == 1 && charToCp437(o.charCodeAt(0)) >= 0 ? o.charCodeAt(0) : c;
}

function toUpper(c: i32): i32 {
  return otherCase(c, true);
}

function toLower(c: i32): i32 {
  return otherCase(c, false);
}

function isLower(c: i32): bool {
  return toUpper(c) != c;
}

function isUpper(c: i32): bool {
  return toLower(c) != c;
}

/** fat_checksum(): the short name's checksum every long-name slot of it carries. */
export function checksum(name: Uint8Array): u8 {
  let s: u8 = 0;
  for (let i = 0; i < 11; i++) s = (((s & 1) << 7) | (s >> 1)) + name[i];
  return s;
}

/**
 * A short entry's 11 name bytes as shown: base and extension trimmed of their padding, lowercased as
 * `lower` says (the NT case bits under shortname=winnt or mixed, everything under lower or on msdos).
 */
export function shortDisplay(raw: Uint8Array, lcase: u8, display: i32): string {
  let base = "";
  let ext = "";
  const lowerBase = (display & SFN_DISPLAY_LOWER) != 0 || ((display & SFN_DISPLAY_WINNT) != 0 && (lcase & CASE_LOWER_BASE) != 0);
  const lowerExt = (display & SFN_DISPLAY_LOWER) != 0 || ((display & SFN_DISPLAY_WINNT) != 0 && (lcase & CASE_LOWER_EXT) != 0);
  let baseLen = 8;
  while (baseLen > 0 && raw[baseLen - 1] == 0x20) baseLen--;
  let extLen = 3;
  while (extLen > 0 && raw[8 + extLen - 1] == 0x20) extLen--;
  for (let i = 0; i < baseLen; i++) {
    const b: u8 = i == 0 && raw[0] == 0x05 ? DELETED : raw[i];
    const c = cp437ToChar(b);
    base += String.fromCharCode(lowerBase ? toLower(c) : c);
  }
  for (let i = 0; i < extLen; i++) {
    const c = cp437ToChar(raw[8 + i]);
    ext += String.fromCharCode(lowerExt ? toLower(c) : c);
  }
  return extLen > 0 ? base + "." + ext : base;
}

/** The UCS-2 name without trailing dots and spaces (vfat_striptail_len): "foo." is "foo". */
export function stripTail(name: string): string {
  let n = name.length;
  while (n > 0 && (name.charCodeAt(n - 1) == 0x2e || name.charCodeAt(n - 1) == 0x20)) n--;
  return name.substring(0, n);
}

/** vfat_valid_longname(): 0, -EINVAL (a character FAT forbids, or nothing left) or -ENAMETOOLONG. */
export function validLong(name: string): i32 {
  if (name.length == 0) return -22;
  if (name.length > 255) return -36;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || BAD_LONG.indexOf(String.fromCharCode(c)) >= 0) return -22;
  }
  return 0;
}

/** The long-name slots of `name` for a short entry of checksum `sum`, in disk order (the last part first). */
export function lfnSlots(name: string, sum: u8): Uint8Array {
  const n = (name.length + 12) / 13;
  const out = new Uint8Array(n * 32);
  for (let k = 0; k < n; k++) {
    const ord = k + 1;
    const at = (n - 1 - k) * 32;
    out[at] = <u8>(ord | (ord == n ? 0x40 : 0));
    out[at + 11] = ATTR_EXT;
    out[at + 13] = sum;
    for (let j = 0; j < 13; j++) {
      const i = k * 13 + j;
      const unit: i32 = i < name.length ? name.charCodeAt(i) : i == name.length ? 0 : 0xffff;
      const off = at + (j < 5 ? 1 + j * 2 : j < 11 ? 14 + (j - 5) * 2 : 28 + (j - 11) * 2);
      out[off] = <u8>(unit & 0xff);
      out[off + 1] = <u8>(unit >> 8);
    }
  }
  return out;
}

/** The 13 UCS-2 characters a long-name slot holds, up to its terminating NUL. */
export function lfnPart(slot: Uint8Array, at: i32): string {
  let s = "";
  for (let j = 0; j < 13; j++) {
    const off = at + (j < 5 ? 1 + j * 2 : j < 11 ? 14 + (j - 5) * 2 : 28 + (j - 11) * 2);
    const unit = <i32>slot[off] | (<i32>slot[off + 1] << 8);
    if (unit == 0) break;
    s += String.fromCharCode(unit);
  }
  return s;
}

/** A short name being made: its 11 bytes, case bits, and whether it stands for the long name exactly. */
export class ShortName {
  raw: Uint8Array = new Uint8Array(11);
  lcase: u8 = 0;
  /** The name is this 8.3 name with no loss (only its case may differ). */
  exact: bool = true;
  baseUpper: bool = true;
  baseLower: bool = true;
  extUpper: bool = true;
  extLower: bool = true;
  baseLen: i32 = 0;
}

/** One character of a short name: its cp437 byte uppercased, or '_' (and not exact) where FAT has none. */
function shortChar(c: i32, s: ShortName, inBase: bool): u8 {
  if (isLower(c)) {
    if (inBase) s.baseUpper = false;
    else s.extUpper = false;
  } else if (isUpper(c)) {
    if (inBase) s.baseLower = false;
    else s.extLower = false;
  }
  const b = charToCp437(toUpper(c));
  if (b < 0x20 || b == 0x2e || BAD_SHORT.indexOf(String.fromCharCode(c)) >= 0 || BAD_LONG.indexOf(String.fromCharCode(c)) >= 0) {
    s.exact = false;
    return 0x5f;
  }
  return <u8>(b == 0xe5 ? 0x05 : b);
}

/**
 * vfat_create_shortname()'s first step: the 8.3 form of a long name, uppercased; leading dots and
 * embedded dots and spaces dropped, the base cut at 8 and the extension (after the last dot) at 3.
 */
export function toShort(name: string): ShortName {
  const s = new ShortName();
  s.raw.fill(0x20);
  let start = 0;
  while (start < name.length && (name.charCodeAt(start) == 0x2e || name.charCodeAt(start) == 0x20)) start++;
  if (start > 0) s.exact = false;
  let dot = name.lastIndexOf(".");
  if (dot < start) dot = -1;
  if (dot >= 0 && name.indexOf(".", start) != dot) s.exact = false;
  const baseEnd = dot >= 0 ? dot : name.length;
  let n = 0;
  for (let i = start; i < baseEnd; i++) {
    const c = name.charCodeAt(i);
    if (c == 0x2e || c == 0x20) {
      s.exact = false;
      continue;
    }
    const b = shortChar(c, s, true);
    if (n == 8) {
      s.exact = false;
      break;
    }
    s.raw[n++] = b;
  }
  s.baseLen = n;
  if (n == 0) {
    s.exact = false;
    s.raw[0] = 0x5f;
    s.baseLen = 1;
  }
  if (dot >= 0) {
    let e = 0;
    for (let i = dot + 1; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c == 0x20) {
        s.exact = false;
        continue;
      }
      if (e == 3) {
        s.exact = false;
        break;
      }
      s.raw[8 + e++] = shortChar(c, s, false);
    }
  }
  return s;
}

/** The short name's base cut to `keep` characters and followed by `tail`, the extension kept. */
function tailed(s: ShortName, keep: i32, tail: string): Uint8Array {
  const raw = new Uint8Array(11);
  raw.set(s.raw);
  const at = min(s.baseLen, keep);
  for (let i = at; i < 8; i++) raw[i] = 0x20;
  for (let i = 0; i < tail.length; i++) raw[at + i] = <u8>tail.charCodeAt(i);
  return raw;
}

/** vfat_create_shortname()'s first tails, "~1" to "~9", the base cut at 6 characters: "LONGFI~1.TXT". */
export function withTail(s: ShortName, n: i32): Uint8Array {
  return tailed(s, 6, "~" + n.toString());
}

const HEX = "0123456789ABCDEF";

/**
 * Its tails once ~1 to ~9 are taken: the base cut at 2 characters, then four hex digits of `hash`, "~" and
 * the digit 1 + `sz` (0 to 7): "LO1A2B~3.TXT".
 */
export function withHashTail(s: ShortName, hash: u32, sz: u32): Uint8Array {
  let tail = "";
  for (let shift = 12; shift >= 0; shift -= 4) tail += HEX.charAt(<i32>((hash >> shift) & 0xf));
  return tailed(s, 2, tail + "~" + (1 + sz).toString());
}

/**
 * msdos_format_name(): an 8.3 name as msdos stores it, uppercased, the base cut at 8 and the extension at
 * 3 without complaint as msdos does; null for a name with a character msdos refuses (EINVAL).
 */
export function msdosFormat(name: string, dotsOK: bool): Uint8Array | null {
  const raw = new Uint8Array(11);
  raw.fill(0x20);
  if (name.charCodeAt(0) == 0x2e && !dotsOK) return null;
  let i = 0;
  let n = 0;
  for (; i < name.length && name.charCodeAt(i) != 0x2e; i++) {
    const c = name.charCodeAt(i);
    const b = charToCp437(toUpper(c));
    if (b < 0x20 || b < 0 || BAD_LONG.indexOf(String.fromCharCode(c)) >= 0 || BAD_SHORT.indexOf(String.fromCharCode(c)) >= 0) return null;
    if (n < 8) raw[n++] = <u8>(b == 0xe5 ? 0x05 : b);
  }
  if (n == 0) return null;
  if (i < name.length) {
    i++;
    let e = 0;
    for (; i < name.length; i++) {
      const c = name.charCodeAt(i);
      const b = charToCp437(toUpper(c));
      if (c == 0x2e || b < 0x20 || BAD_LONG.indexOf(String.fromCharCode(c)) >= 0 || BAD_SHORT.indexOf(String.fromCharCode(c)) >= 0) return null;
      if (e < 3) raw[8 + e++] = <u8>b;
    }
  }
  return raw;
}
