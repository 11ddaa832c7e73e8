// fnmatch as kmod uses it for aliases: *, ?, [...] sets and ranges, negation, escapes.

import { describe, expect, it } from "vitest";
import { fnmatch } from "../../host/kmod/fnmatch.js";

describe("fnmatch", () => {
  it("matches literals exactly and * against any run, the empty one included", () => {
    expect(fnmatch("fs_ramfs", "fs_ramfs")).toBe(true);
    expect(fnmatch("fs_ramfs", "fs_ramfsx")).toBe(false);
    expect(fnmatch("char_major_1_*", "char_major_1_5")).toBe(true);
    expect(fnmatch("char_major_1_*", "char_major_1_")).toBe(true);
    expect(fnmatch("char_major_1_*", "char_major_10_5")).toBe(false);
    expect(fnmatch("*a*b*", "xxaxxbxx")).toBe(true);
    expect(fnmatch("*a*b", "xxaxxbxxc")).toBe(false);
    expect(fnmatch("pci:v*d*sv*", "pci:v00008086d00001234sv0000")).toBe(true);
  });

  it("matches ? against exactly one character", () => {
    expect(fnmatch("tty?", "tty1")).toBe(true);
    expect(fnmatch("tty?", "tty")).toBe(false);
    expect(fnmatch("tty?", "tty12")).toBe(false);
  });

  it("matches sets, ranges and negated sets, with ] first as a literal", () => {
    expect(fnmatch("snd_card_[0-7]", "snd_card_5")).toBe(true);
    expect(fnmatch("snd_card_[0-7]", "snd_card_8")).toBe(false);
    expect(fnmatch("x[!0-9]", "xa")).toBe(true);
    expect(fnmatch("x[^0-9]", "x3")).toBe(false);
    expect(fnmatch("x[]a]", "x]")).toBe(true);
    expect(fnmatch("x[a-]", "x-")).toBe(true);
  });

  it("takes an unclosed [ literally and a backslash as quoting the next character", () => {
    expect(fnmatch("a[b", "a[b")).toBe(true);
    expect(fnmatch("a\\*", "a*")).toBe(true);
    expect(fnmatch("a\\*", "ab")).toBe(false);
  });
});
