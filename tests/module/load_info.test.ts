import { beforeEach, describe, expect, it } from "vitest";
import { SECTION_KSYMTAB, SECTION_MODINFO, SECTION_PARAM } from "../../abi/module.js";
import { appendCustomSection, concat, encodeSections, leb128, readSections } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import {
  dmesg, expectRefused, loadBytes, replaceSection, rewriteModinfo, rewriteRecords, rewriteSections, setModinfo, snapshot,
} from "../helpers.js";

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

/** insmod of bytes that must be refused with ENOEXEC and exactly this message, also printed in dmesg. */
function expectNoexec(bytes: Uint8Array, filename: string, why: string): void {
  const message = `${filename}: invalid module format: ${why}`;
  k.log.clear();
  expectRefused(k, () => k.insmod(bytes, { filename }), "ENOEXEC", message);
  expect(dmesg(k)).toEqual([message]);
}

/** A custom section appended with a name given as raw bytes (so it need not be UTF-8). */
function appendRawSection(bytes: Uint8Array, name: readonly number[], payload: Uint8Array): Uint8Array {
  const body = [...leb128(name.length), ...name];
  return concat([bytes, new Uint8Array([0, ...leb128(body.length + payload.length), ...body]), payload]);
}

const named = (name: string) => setModinfo(loadBytes("counter"), "name", name);
const NOT_NAME_CHARS = "has a character other than letters, digits, '_' and '-'";

describe("module names", () => {
  it("refuses a name with '/' that would write into another module's sysfs directory", () => {
    k.insmod(loadBytes("hello"));
    const before = k.kernfs.list("/sys/module/hello/parameters");
    expectNoexec(named("hello/parameters"), "evil.wasm", `module name 'hello/parameters' ${NOT_NAME_CHARS}`);
    expect(k.kernfs.list("/sys/module/hello/parameters")).toEqual(before);
  });

  it("refuses a newline, which would forge lines in lsmod and /proc/modules, and shows it escaped", () => {
    const forged = "x 4096 0 - Live 0x0000000000000000\nfake";
    expectNoexec(named(forged), "evil.wasm", `module name 'x 4096 0 - Live 0x0000000000000000\\x0afake' ${NOT_NAME_CHARS}`);
    expect(k.read("/proc/modules")).toBe("");
  });

  it("takes 55 bytes and refuses 56 (MODULE_NAME_LEN with its NUL)", () => {
    expectNoexec(named("n".repeat(56)), "long.wasm", "module name of 56 bytes is longer than 55");
    k.insmod(named("n".repeat(55)));
    expect(k.kernfs.list("/sys/module")).toContain("n".repeat(55));
    expect(k.read("/proc/modules")).toMatch(new RegExp(`^${"n".repeat(55)} `));
  });

  it("refuses a 4 KB name, and /sys/module still lists", () => {
    expectNoexec(named("x".repeat(4096)), "huge.wasm", "module name of 4096 bytes is longer than 55");
    expect(k.kernfs.list("/sys/module")).toEqual([]);
  });

  it("refuses an empty name, '..' and a name that is not ASCII", () => {
    expectNoexec(named(""), "e.wasm", "empty module name");
    expectNoexec(named(".."), "dots.wasm", `module name '..' ${NOT_NAME_CHARS}`);
    expectNoexec(named("caf\u00e9"), "cafe.wasm", `module name 'caf\\xc3\\xa9' ${NOT_NAME_CHARS}`);
  });

  it("reads '-' as '_', as Linux's module names are", () => {
    const mod = k.insmod(named("my-counter"));
    expect(mod.name).toBe("my_counter");
    expect(k.kernfs.list("/sys/module")).toEqual(["my_counter"]);
    expectRefused(k, () => k.insmod(named("my_counter")), "EEXIST");
    k.rmmod("my_counter");
    expect(k.read("/proc/modules")).toBe("");
  });
});

describe("parameter names", () => {
  it("refuses a __param name with '/' or a newline", () => {
    const param = (name: string) => rewriteRecords(loadBytes("hello"), SECTION_PARAM, (rs) => [...rs, { name, value: 0o644 }]);
    expectNoexec(param("a/b"), "hello.wasm", `parameter name 'a/b' ${NOT_NAME_CHARS}`);
    expectNoexec(param("a\nb"), "hello.wasm", `parameter name 'a\\x0ab' ${NOT_NAME_CHARS}`);
  });

  it("refuses a parmtype= line naming a parameter with a newline", () => {
    const bytes = rewriteModinfo(loadBytes("hello"), (es) => [...es, ["parmtype", "x\ncount:int"]]);
    expectNoexec(bytes, "hello.wasm", `parameter name 'x\\x0acount' ${NOT_NAME_CHARS}`);
  });

  it("refuses a parameter declared twice ('-' and '_' the same)", () => {
    const bytes = rewriteRecords(loadBytes("hello"), SECTION_PARAM, (rs) => [...rs, { name: "who", value: 0o444 }]);
    expectNoexec(bytes, "hello.wasm", "parameter who declared twice");
  });
});

describe("malformed sections", () => {
  it("refuses a custom section whose name is not UTF-8, naming where it is", () => {
    const hello = loadBytes("hello");
    const bytes = appendRawSection(hello, [0x2e, 0x6d, 0x6f, 0xff], new Uint8Array([1, 2, 3]));
    expectNoexec(bytes, "hello.wasm", `malformed UTF-8 name at offset ${hello.length + 2}`);
  });

  it("refuses a .modinfo value that is not UTF-8", () => {
    const payload = concat([new TextEncoder().encode("name=hello\0license="), new Uint8Array([0xc0, 0xaf]), new Uint8Array([0])]);
    expectNoexec(replaceSection(loadBytes("hello"), SECTION_MODINFO, payload), "hello.wasm", "malformed .modinfo section");
  });

  it("refuses a duplicate .modinfo, even one that would rename the module", () => {
    const bytes = appendCustomSection(loadBytes("hello"), SECTION_MODINFO, new TextEncoder().encode("name=other\0"));
    expectNoexec(bytes, "hello.wasm", "duplicate .modinfo section");
  });

  it("refuses an exported symbol whose name would forge /proc/kallsyms lines", () => {
    const bytes = rewriteRecords(loadBytes("counter"), SECTION_KSYMTAB, (rs) => [...rs, { name: "a\nb", value: 1 }]);
    expectNoexec(bytes, "counter.wasm", "symbol name 'a\\x0ab' has a blank or unprintable character");
  });

  it("refuses known sections out of order", () => {
    const swapped = rewriteSections(loadBytes("hello"), (ss) => [ss[1]!, ss[0]!, ...ss.slice(2)]);
    expect(readSections(loadBytes("hello"))[0]!.id).toBe(1);
    expectRefused(k, () => k.insmod(swapped, { filename: "hello.wasm" }), "ENOEXEC", /^hello\.wasm: invalid module format: section 1 out of order or repeated at offset \d+$/);
  });

  it("refuses an absurd LEB128 section size without reading past the file", () => {
    const hello = loadBytes("hello");
    const size = readSections(hello)[0]!.payload.length;
    const bytes = concat([hello.subarray(0, 9), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), hello.subarray(9 + leb128(size).length)]);
    expectNoexec(bytes, "hello.wasm", "length 4294967295 runs past the end at offset 14");
    const tooLarge = concat([hello.subarray(0, 9), new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10]), hello.subarray(9 + leb128(size).length)]);
    expectNoexec(tooLarge, "hello.wasm", "integer too large at offset 9");
  });

  it("refuses a file cut anywhere: one byte into each section and halfway through it", () => {
    const hello = loadBytes("hello");
    const before = snapshot(k);
    let at = 8;
    for (const s of readSections(hello)) {
      const next = at + encodeSections([s]).length - 8;
      for (const cut of [at + 1, (at + next) >> 1]) {
        expectRefused(k, () => k.insmod(hello.subarray(0, cut), { filename: "hello.wasm" }), "ENOEXEC", /^hello\.wasm: invalid module format: /);
      }
      at = next;
    }
    expect(at).toBe(hello.length);
    expect(snapshot(k)).toEqual(before);
  });
});
