import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { abiPrototype, canonicalPrototype, crc32 } from "../../abi/crc.js";
import { KERNEL_SYMBOLS, STRUCTS, type KernelSymbolName } from "../../abi/kernel.js";
import { SECTION_KSYMTAB, SECTION_VERSIONS } from "../../abi/module.js";
import { sameMagic, VERMAGIC } from "../../abi/version.js";
import { Kernel } from "../../host/init/main.js";
import { kernelSymbolCrc } from "../../host/module/kallsyms.js";
import { compileModule, moduleName, MODULES_DIR, treeModules } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import {
  cliRunner, dmesg, dropSection, expectRefused, loadBytes, readRecords, rewriteRecords, scratchDir, writeModuleSource,
} from "../helpers.js";

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** counter rebuilt with counter_add(n: u32): the prototype changed, so its CRC must change. */
let changedCounter: Uint8Array;
const scratch = scratchDir("version");

beforeAll(async () => {
  const original = readFileSync(join(MODULES_DIR, "counter", "counter.ts"), "utf8");
  const changed = original
    .replaceAll('"../../abi/', '"@abi/')
    .replace("export function counter_add(n: i32): i32 {\n  value += n;", "export function counter_add(n: u32): i32 {\n  value += <i32>n;");
  expect(changed).toContain("counter_add(n: u32)");
  const entry = writeModuleSource(scratch.dir, "counter", changed);
  const [result] = modpost([await compileModule(entry, true)]);
  changedCounter = result!.binary;
});

afterAll(() => scratch.cleanup());

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("check_version", () => {
  it("refuses a user built against another prototype of a symbol with EINVAL", () => {
    k.insmod(changedCounter);
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("counter_user")), "EINVAL", "counter_user: Unknown symbol counter_add (err -22)");
    expect(dmesg(k)).toEqual([
      "counter_user: disagrees about version of symbol counter_add",
      "counter_user: Unknown symbol counter_add (err -22)",
    ]);
    expect(k.modules.find("counter")!.refcnt).toBe(0);
    expect(k.taint.value).toBe(0);
  });

  it("changes the CRC of the changed symbol only", () => {
    const before = new Map(readRecords(loadBytes("counter"), SECTION_KSYMTAB).map((e) => [e.name, e.value]));
    const after = new Map(readRecords(changedCounter, SECTION_KSYMTAB).map((e) => [e.name, e.value]));
    expect(after.get("counter_add")).toBeDefined();
    expect(after.get("counter_add")).not.toBe(before.get("counter_add"));
    expect(after.get("counter_get")).toBe(before.get("counter_get"));
  });

  it("records in the user the CRCs the provider exports", () => {
    const exported = new Map(readRecords(loadBytes("counter"), SECTION_KSYMTAB).map((e) => [e.name, e.value]));
    const wanted = readRecords(loadBytes("counter_user"), SECTION_VERSIONS).filter((v) => v.name.startsWith("counter_"));
    expect(wanted.map((v) => v.name).sort()).toEqual(["counter_add", "counter_get"]);
    for (const v of wanted) expect(v.value).toBe(exported.get(v.name));
  });

  it("ignores symbol versions with force, tainting F", () => {
    k.insmod(changedCounter);
    k.log.clear();
    k.insmod(loadBytes("counter_user"), { force: true });
    expect(dmesg(k)).toEqual([
      "counter_user: bad vermagic: kernel tainted.",
      "counter_user: added 5, counter_add returned 5, counter_get says 5",
    ]);
    expect(k.taint.test("FORCED_MODULE")).toBe(true);
    expect(k.read("/proc/modules")).toMatch(/^counter \d+ 1 counter_user, Live 0x0000000000000000$/m);
  });

  it("force-loads a module without __versions, naming its first symbol", () => {
    k.log.clear();
    k.insmod(dropSection(loadBytes("hello"), SECTION_VERSIONS));
    expect(dmesg(k)).toEqual(["hello: _printk: kernel tainted.", "Hello, world!"]);
    expect(k.taint.test("FORCED_MODULE")).toBe(true);
  });

  it("warns once per boot about symbols missing from __versions and loads anyway", () => {
    k.insmod(loadBytes("counter"));
    const user = rewriteRecords(loadBytes("counter_user"), SECTION_VERSIONS, (vs) => vs.filter((v) => !v.name.startsWith("counter_")));
    k.log.clear();
    k.insmod(user);
    const warnings = dmesg(k).filter((l) => l.includes("no symbol version"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^counter_user: no symbol version for counter_(add|get)$/);
    expect(k.taint.value).toBe(0);
    k.rmmod("counter_user");
    k.log.clear();
    k.insmod(user);
    expect(dmesg(k).filter((l) => l.includes("no symbol version"))).toEqual([]);
    expect(k.modules.find("counter_user")?.state).toBe("LIVE");
  });
});

describe("kernel symbol CRCs", () => {
  it("match what modpost recorded in every built module's __versions", () => {
    let checked = 0;
    for (const name of treeModules().map(moduleName)) {
      for (const v of readRecords(loadBytes(name), SECTION_VERSIONS)) {
        if (!Object.hasOwn(KERNEL_SYMBOLS, v.name)) continue;
        expect(v.value, `${name}: ${v.name}`).toBe(kernelSymbolCrc(v.name as KernelSymbolName));
        expect(k.kallsyms.find(v.name)!.crc).toBe(v.value);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(7);
    expect(readRecords(loadBytes("hello"), SECTION_VERSIONS).map((v) => v.name)).toEqual(["_printk"]);
  });

  it("are CRC-32 of the canonical prototype", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(abiPrototype("_printk", KERNEL_SYMBOLS._printk, STRUCTS)).toBe("i32 _printk(i32,string,u32,u32,u32,u32,u32,u32)");
    expect(kernelSymbolCrc("_printk")).toBe(crc32("i32 _printk(i32,string,u32,u32,u32,u32,u32,u32)"));
    expect(abiPrototype("ktime_get_real_ts64", KERNEL_SYMBOLS.ktime_get_real_ts64, STRUCTS)).toBe(
      "void ktime_get_real_ts64(struct timespec64{i64 tv_sec@0;i64 tv_nsec@8;})",
    );
    expect(abiPrototype("__this_module", KERNEL_SYMBOLS.__this_module, STRUCTS)).toBe("u32 __this_module");
  });

  it("change when a prototype changes", () => {
    const changed = { ...KERNEL_SYMBOLS.kmalloc, params: [["size", "u32"], ["flags", "u32"]] as const };
    expect(crc32(abiPrototype("kmalloc", changed, STRUCTS))).not.toBe(kernelSymbolCrc("kmalloc"));
    const struct = { timespec64: [["tv_sec", "i64"], ["tv_nsec", "i32"]] as const };
    expect(crc32(abiPrototype("ktime_get_real_ts64", KERNEL_SYMBOLS.ktime_get_real_ts64, struct))).not.toBe(
      kernelSymbolCrc("ktime_get_real_ts64"),
    );
  });
});

describe("modprobe --dump-modversions and --show-exports", () => {
  /** One line of their output: the CRC genksyms computes over the canonical prototype, then the name. */
  const line = (name: string, params: string[], ret: string) => `${hex8(crc32(canonicalPrototype(name, { params, ret })))}\t${name}\n`;
  const counterAdd = line("counter_add", ["i32"], "i32");
  const counterGet = line("counter_get", [], "i32");

  it("prints, as 0x%08x<TAB>symbol, the CRC of each symbol the module binds, as genksyms computes it", async () => {
    const run = cliRunner(new Kernel());
    const printk = `${hex8(crc32(abiPrototype("_printk", KERNEL_SYMBOLS._printk, STRUCTS)))}\t_printk\n`;
    expect(await run("modprobe --dump-modversions counter_user")).toEqual({ status: 0, out: counterAdd + counterGet + printk, err: "" });
  });

  it("prints the symbols a module exports the same way, the GPL-only ones last, and FATAL for no such module", async () => {
    const run = cliRunner(new Kernel());
    const counterReset = line("counter_reset", [], "void");
    expect(await run("modprobe --show-exports counter")).toEqual({ status: 0, out: counterAdd + counterGet + counterReset, err: "" });
    expect(await run("modprobe --show-exports hello")).toEqual({ status: 0, out: "", err: "" });
    const k = new Kernel();
    expect(await cliRunner(k)("modprobe --show-exports nosuch")).toEqual({ status: 1, out: "", err: `modprobe: FATAL: Module nosuch not found in directory ${k.moduleDir}\n` });
  });
});

describe("sameMagic", () => {
  const tail = VERMAGIC.slice(VERMAGIC.indexOf(" "));

  it("accepts the kernel's own vermagic", () => {
    expect(sameMagic(VERMAGIC, VERMAGIC, true)).toBe(true);
    expect(sameMagic(VERMAGIC, VERMAGIC, false)).toBe(true);
  });

  it("ignores the release only with modversions", () => {
    expect(sameMagic(`6.1.0${tail}`, VERMAGIC, true)).toBe(true);
    expect(sameMagic(`6.1.0${tail}`, VERMAGIC, false)).toBe(false);
  });

  it("compares everything after the release", () => {
    expect(sameMagic(VERMAGIC.replace("mod_unload ", ""), VERMAGIC, true)).toBe(false);
    expect(sameMagic(VERMAGIC.trimEnd(), VERMAGIC, true)).toBe(false);
    expect(sameMagic("garbage", VERMAGIC, true)).toBe(false);
  });
});
