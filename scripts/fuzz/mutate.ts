// The fuzzer's inputs: a built module mutated one way, chosen by a PRNG seeded from (seed, index) alone,
// so any input of a campaign can be made again without the ones before it.

import { decodeModinfo, encodeModinfo, encodeNamedU32, SECTION_MODINFO, SECTION_PARAM, SECTION_KSYMTAB, SECTION_VERSIONS } from "../../abi/module.js";
import { concat, leb128, readSections, type Section } from "../../abi/wasm.js";

/** A module of the corpus: its file name and bytes. */
export interface Seed {
  readonly file: string;
  readonly bytes: Uint8Array;
}

export interface FuzzInput {
  readonly bytes: Uint8Array;
  /** What was done, to which module: "hello.wasm: truncated at 812". */
  readonly what: string;
}

type Random = () => number;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const below = (rnd: Random, n: number): number => Math.floor(rnd() * n);
const pick = <T>(rnd: Random, items: readonly T[]): T => items[below(rnd, items.length)]!;

/** A section as bytes go: its name as raw bytes (custom sections), so a name need not be UTF-8. */
interface RawSection {
  readonly id: number;
  readonly name?: Uint8Array;
  readonly payload: Uint8Array;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function toRaw(s: Section): RawSection {
  return s.id === 0 ? { id: 0, name: utf8(s.name ?? ""), payload: s.payload } : { id: s.id, payload: s.payload };
}

/** One section's bytes; `size` overrides the size field (an absurd length), `nameLength` the custom name's. */
function encodeRaw(s: RawSection, size?: number[], nameLength?: number[]): Uint8Array {
  const name = s.name ? concat([new Uint8Array(nameLength ?? leb128(s.name.length)), s.name]) : new Uint8Array();
  return concat([new Uint8Array([s.id, ...(size ?? leb128(name.length + s.payload.length))]), name, s.payload]);
}

const HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function binary(sections: readonly RawSection[], encode: (s: RawSection, i: number) => Uint8Array = (s) => encodeRaw(s)): Uint8Array {
  return concat([HEADER, ...sections.map(encode)]);
}

function flipBits(rnd: Random, bytes: Uint8Array, from: number, to: number): { bytes: Uint8Array; flips: number } {
  const out = bytes.slice();
  const flips = 1 + below(rnd, 4);
  if (to <= from) return { bytes: out, flips: 0 };
  for (let i = 0; i < flips; i++) out[from + below(rnd, to - from)]! ^= 1 << below(rnd, 8);
  return { bytes: out, flips };
}

/** Names a module, a parameter or a symbol should never get away with (and a few it should). */
const HOSTILE_NAMES = [
  "hello/parameters", "../../tmp/x", "a\nb", "counter 4096 0 - Live 0x0000000000000000\nfake", "x".repeat(4096),
  "..", ".", "", " ", "a b", "n".repeat(55), "n".repeat(56), "dash-name", "caf\u00e9", "tab\tname", "nul\u0000name",
];

/** Byte strings that are not UTF-8: a lone continuation byte, an overlong '/', a surrogate, a cut sequence. */
const BAD_UTF8 = [[0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** Absurd LEB128 sizes: u32 max, 2^32 (too large), six bytes (too long), and the 2^31 a signed reader trips on. */
const ABSURD_LEBS = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x10], [0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x08]];

type Mutator = (rnd: Random, seed: Seed, sections: readonly RawSection[]) => FuzzInput;

const customIndexes = (ss: readonly RawSection[]) => ss.flatMap((s, i) => (s.id === 0 ? [i] : []));
const sectionName = (s: RawSection): string => (s.id === 0 ? new TextDecoder().decode(s.name) : `section ${s.id}`);

/** Replace section i. */
function withSection(ss: readonly RawSection[], i: number, s: RawSection): RawSection[] {
  return ss.map((x, j) => (j === i ? s : x));
}

/** Rewrite a custom section found by name; the edit gets its payload (absent: empty). */
function editCustom(ss: readonly RawSection[], name: string, edit: (payload: Uint8Array) => Uint8Array): RawSection[] {
  const i = ss.findIndex((s) => s.id === 0 && sectionName(s) === name);
  if (i < 0) return [...ss, { id: 0, name: utf8(name), payload: edit(new Uint8Array()) }];
  return withSection(ss, i, { ...ss[i]!, payload: edit(ss[i]!.payload) });
}

const MUTATORS: readonly [string, Mutator][] = [
  ["truncate", (rnd, seed, ss) => {
    const ends = ss.reduce<number[]>((acc, s) => [...acc, acc[acc.length - 1]! + encodeRaw(s).length], [HEADER.length]);
    const at = rnd() < 0.3 ? Math.max(0, pick(rnd, ends) + below(rnd, 7) - 3) : below(rnd, seed.bytes.length);
    return { bytes: seed.bytes.slice(0, at), what: `truncated at ${at}` };
  }],
  ["flip code", (rnd, _seed, ss) => {
    const i = ss.findIndex((s) => s.id === 10);
    const { bytes, flips } = flipBits(rnd, ss[i]!.payload, 0, ss[i]!.payload.length);
    return { bytes: binary(withSection(ss, i, { ...ss[i]!, payload: bytes })), what: `${flips} bits flipped in the code` };
  }],
  ["flip custom", (rnd, _seed, ss) => {
    const i = pick(rnd, customIndexes(ss));
    const s = ss[i]!;
    const { bytes, flips } = flipBits(rnd, s.payload, 0, s.payload.length);
    return { bytes: binary(withSection(ss, i, { ...s, payload: bytes })), what: `${flips} bits flipped in ${sectionName(s)}` };
  }],
  ["flip anywhere", (rnd, seed) => {
    const { bytes, flips } = flipBits(rnd, seed.bytes, rnd() < 0.05 ? 0 : HEADER.length, seed.bytes.length);
    return { bytes, what: `${flips} bits flipped anywhere` };
  }],
  ["absurd length", (rnd, _seed, ss) => {
    const i = below(rnd, ss.length);
    const leb = pick(rnd, ABSURD_LEBS);
    const where = ss[i]!.id === 0 ? pick(rnd, ["size", "name length"]) : pick(rnd, ["size", "vector count"]);
    const bytes = binary(ss, (s, j) => {
      if (j !== i) return encodeRaw(s);
      if (where === "size") return encodeRaw(s, leb);
      if (where === "name length") return encodeRaw(s, undefined, leb);
      return encodeRaw({ ...s, payload: concat([new Uint8Array(leb), s.payload]) });
    });
    return { bytes, what: `absurd ${where} in ${sectionName(ss[i]!)}` };
  }],
  ["duplicate", (rnd, _seed, ss) => {
    const i = below(rnd, ss.length);
    return { bytes: binary([...ss.slice(0, i + 1), ss[i]!, ...ss.slice(i + 1)]), what: `${sectionName(ss[i]!)} twice` };
  }],
  ["reorder", (rnd, _seed, ss) => {
    const i = below(rnd, ss.length);
    const j = below(rnd, ss.length);
    const out = [...ss];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return { bytes: binary(out), what: `${sectionName(ss[i]!)} swapped with ${sectionName(ss[j]!)}` };
  }],
  ["non-UTF-8 section name", (rnd, _seed, ss) => {
    const i = pick(rnd, customIndexes(ss));
    const bad = pick(rnd, BAD_UTF8);
    const name = rnd() < 0.5 ? new Uint8Array(bad) : concat([ss[i]!.name!, new Uint8Array(bad)]);
    return { bytes: binary(withSection(ss, i, { ...ss[i]!, name })), what: `non-UTF-8 name for ${sectionName(ss[i]!)}` };
  }],
  ["non-UTF-8 value", (rnd, _seed, ss) => {
    const name = pick(rnd, [SECTION_MODINFO, SECTION_VERSIONS, SECTION_KSYMTAB, SECTION_PARAM]);
    const bad = new Uint8Array(pick(rnd, BAD_UTF8));
    const out = editCustom(ss, name, (p) => {
      const at = below(rnd, p.length + 1);
      return concat([p.subarray(0, at), bad, p.subarray(at)]);
    });
    return { bytes: binary(out), what: `non-UTF-8 bytes in ${name}` };
  }],
  ["hostile module name", (rnd, _seed, ss) => {
    const name = pick(rnd, HOSTILE_NAMES);
    const out = editCustom(ss, SECTION_MODINFO, (p) =>
      encodeModinfo((decodeModinfo(p) ?? []).map(([k, v]) => [k, k === "name" ? name : v] as const)));
    return { bytes: binary(out), what: `module name ${JSON.stringify(name.length > 64 ? `${name.slice(0, 8)}...(${name.length})` : name)}` };
  }],
  ["hostile parameter name", (rnd, _seed, ss) => {
    const name = pick(rnd, HOSTILE_NAMES);
    const where = pick(rnd, [SECTION_PARAM, "parmtype"]);
    const out = where === SECTION_PARAM
      ? editCustom(ss, SECTION_PARAM, (p) => concat([p, encodeNamedU32([{ name, value: 0o644 }])]))
      : editCustom(ss, SECTION_MODINFO, (p) => encodeModinfo([...(decodeModinfo(p) ?? []), ["parmtype", `${name}:int`]]));
    return { bytes: binary(out), what: `parameter ${JSON.stringify(name.slice(0, 64))} in ${where}` };
  }],
  ["hostile symbol name", (rnd, _seed, ss) => {
    const name = pick(rnd, HOSTILE_NAMES);
    const where = pick(rnd, [SECTION_KSYMTAB, SECTION_VERSIONS]);
    const out = editCustom(ss, where, (p) => concat([p, encodeNamedU32([{ name, value: 0x12345678 }])]));
    return { bytes: binary(out), what: `symbol ${JSON.stringify(name.slice(0, 64))} in ${where}` };
  }],
];

/** The seed mixed with the index (a 32-bit hash), so input i does not depend on inputs 0..i-1. */
function inputSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.imul(h, 0x27d4eb2f) >>> 0;
}

/** Input `index` of the campaign `seed` over the corpus (which must not be empty). */
export function fuzzInput(corpus: readonly Seed[], seed: number, index: number): FuzzInput {
  const rnd = mulberry32(inputSeed(seed, index));
  const base = pick(rnd, corpus);
  const [, mutate] = pick(rnd, MUTATORS);
  const input = mutate(rnd, base, readSections(base.bytes).map(toRaw));
  return { bytes: input.bytes, what: `${base.file}: ${input.what}` };
}
