import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EWOULDBLOCK } from "../../abi/errno.js";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { SECTION_MODINFO, SECTION_VERSIONS } from "../../abi/module.js";
import { VERMAGIC } from "../../abi/version.js";
import { encodeName, leb128, rawSection, Reader, SECTION, type Section } from "../../abi/wasm.js";
import { Kernel } from "../../host/init/main.js";
import { bindKernelSymbols, kernelFunctions, tryModuleGet } from "../../host/module/ksyms.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import {
  cliRunner, dmesg, dropSection, expectRefused, loadBytes, removeModinfo, rewriteSections, scratchDir, setModinfo, snapshot, writeModuleSource,
} from "../helpers.js";

const LEAK = /^faulty: leaked (\d+) bytes of kmalloc memory at [0-9a-f]{8}; reclaimed$/;

/** A fixture with init_module but no cleanup_module: it can only be removed by force. */
const PERMANENT = `
import { pr_info } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function init_module(): i32 {
  pr_info("permanent: here to stay\\n");
  return 0;
}
`;
/** A proprietary module exporting an ordinary symbol, and two GPL users of it that also use GPL-only counter_reset. */
const PROP_EXPORTER = `
MODULE_LICENSE("Proprietary");
export function prop_value(): i32 { return 42; }
EXPORT_SYMBOL(prop_value);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void {}
`;
const declare = (name: string, type: string) => `
// @ts-ignore: decorator
@external("kernel", "${name}")
declare function ${name}(): ${type};`;
/** Binaryen orders imports by use count, and resolve_symbol sees them in import order: call the first one twice. */
const mixedUser = (gplFirst: boolean) => `
${declare("counter_reset", "void")}
${declare("prop_value", "i32")}
MODULE_LICENSE("GPL");
export function init_module(): i32 {
  ${gplFirst ? "counter_reset(); counter_reset();" : "counter_reset(); if (prop_value() != 42) return -22;"}
  return prop_value() == 42 ? 0 : -22;
}
export function cleanup_module(): void {}
`;
/** An init that returns a positive number, which Linux takes as success with a complaint. */
const POSITIVE = `
MODULE_LICENSE("GPL");
export function init_module(): i32 { return 3; }
export function cleanup_module(): void {}
`;
/** A driver that takes a dynamic major, a device node, an IRQ and a timer, and gives none of them back. */
const HOARDER = `
import { device_create, file_operations, get_jiffies, HZ, IRQ_HANDLED, mod_timer, pr_info, register_chrdev, request_irq,
  timer_setup } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
const fops = new file_operations();
function hoarder_irq(irq: i32, dev: u32): i32 { return IRQ_HANDLED; }
function hoarder_timer(data: u32): void { pr_info("hoarder: timer ran\\n"); }
export function init_module(): i32 {
  const major = register_chrdev(0, "hoarder", fops);
  if (major < 0) return major;
  const err = device_create(<u32>major, 0, "hoard0");
  if (err != 0) return err;
  const irq = request_irq(5, hoarder_irq.index, 0, "hoarder", 1);
  if (irq != 0) return irq;
  mod_timer(timer_setup(hoarder_timer.index, 0), get_jiffies() + <u32>HZ);
  return 0;
}
export function cleanup_module(): void {}
`;
let permanent: Uint8Array;
const fixtures = new Map<string, Uint8Array>();
/** The fixtures as files, for insmod in a command session. */
const fixturePath = (name: string) => join(scratch.dir, `${name}.wasm`);
const scratch = scratchDir("main");

beforeAll(async () => {
  const sources: [string, string][] = [
    ["permanent", PERMANENT],
    ["prop_exporter", PROP_EXPORTER],
    ["gpl_then_prop", mixedUser(true)],
    ["prop_then_gpl", mixedUser(false)],
    ["positive", POSITIVE],
    ["hoarder", HOARDER],
  ];
  const objs = [];
  for (const [name, source] of sources) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
  for (const r of modpost(objs)) {
    fixtures.set(r.name, r.binary);
    writeFileSync(fixturePath(r.name), r.binary);
  }
  permanent = fixtures.get("permanent")!;
});

afterAll(() => scratch.cleanup());

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

function kernelImports(bytes: Uint8Array): string[] {
  return WebAssembly.Module.imports(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).filter((i) => i.module === "kernel").map((i) => i.name);
}

/** Run fn with an empty log and return what it logged. */
function logged(fn: () => unknown): string[] {
  k.log.clear();
  fn();
  return dmesg(k);
}

describe("insmod", () => {
  it("loads hello with parameters and runs its init", () => {
    k.log.clear();
    const mod = k.insmod(loadBytes("hello"), { args: "who=kernel count=3" });
    expect(mod.name).toBe("hello");
    expect(mod.state).toBe("LIVE");
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([
      [LOGLEVELS.KERN_INFO, "Hello, kernel!"],
      [LOGLEVELS.KERN_INFO, "Hello, kernel!"],
      [LOGLEVELS.KERN_INFO, "Hello, kernel!"],
    ]);
    expect(k.read("/proc/modules")).toBe(`hello ${mod.size} 0 - Live 0x0000000000000000\n`);
    expect(k.taint.toString()).toBe("Not tainted");
  });

  it("uses the parameters' defaults without arguments", () => {
    expect(logged(() => k.insmod(loadBytes("hello")))).toEqual(["Hello, world!"]);
  });

  it("refuses a second module of the same name with EEXIST and no message", () => {
    k.insmod(loadBytes("hello"), { args: "who=kernel count=3" });
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("hello"), { args: "count=5" }), "EEXIST");
    expect(dmesg(k)).toEqual([]);
  });

  it("refuses random bytes with ENOEXEC naming the file", () => {
    const junk = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    const err = expectRefused(k, () => k.insmod(junk, { filename: "junk.wasm" }), "ENOEXEC");
    expect(err.message).toMatch(/^junk\.wasm: invalid module format: /);
  });

  it("refuses a truncated module with ENOEXEC naming the file", () => {
    const bytes = loadBytes("hello");
    const err = expectRefused(k, () => k.insmod(bytes.subarray(0, bytes.length >> 1), { filename: "hello.wasm" }), "ENOEXEC");
    expect(err.message).toMatch(/^hello\.wasm: invalid module format: /);
  });

  it("refuses valid wasm without .modinfo with ENOEXEC naming the file", () => {
    const bare = dropSection(loadBytes("hello"), SECTION_MODINFO);
    expect(WebAssembly.validate(bare as Uint8Array<ArrayBuffer>)).toBe(true);
    expectRefused(k, () => k.insmod(bare, { filename: "bare.wasm" }), "ENOEXEC", "bare.wasm: invalid module format: no .modinfo section");
    const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expectRefused(k, () => k.insmod(empty, { filename: "empty.wasm" }), "ENOEXEC", "empty.wasm: invalid module format: no .modinfo section");
  });

  it("refuses a module importing from the watchdog's own module with ENOEXEC: its code could write the tick table", () => {
    const entry = [...encodeName("watchdog"), ...encodeName("tick"), 0x01, 0x70, 0x00, 0x01];
    const bytes = rewriteSections(loadBytes("hello"), (sections) => sections.map((s) => (s.id === SECTION.import ? withImport(s, entry) : s)));
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    const err = /^hello\.wasm: invalid module format: import watchdog\.tick: module watchdog is the kernel's at offset \d+$/;
    expectRefused(k, () => k.insmod(bytes, { filename: "hello.wasm" }), "ENOEXEC", err);
    expect(k.insmod(loadBytes("hello")).name).toBe("hello");
  });
});

/** An import section with one more entry at its end. */
function withImport(s: Section, entry: readonly number[]): Section {
  const r = new Reader(s.payload);
  const count = r.u32();
  return rawSection(SECTION.import, [...leb128(count + 1), ...s.payload.subarray(r.at), ...entry]);
}

describe("lookup", () => {
  it("finds a module by name and by handle until it is removed, and lists the newest first", () => {
    const hello = k.insmod(loadBytes("hello"));
    const counter = k.insmod(loadBytes("counter"));
    expect([k.modules.find("hello"), k.modules.byHandle(hello.handle)]).toEqual([hello, hello]);
    expect(k.modules.list().map((m) => m.name)).toEqual(["counter", "hello"]);
    k.rmmod("hello");
    expect([k.modules.find("hello"), k.modules.byHandle(hello.handle)]).toEqual([undefined, undefined]);
    const again = k.insmod(loadBytes("hello"));
    expect(again.handle).not.toBe(hello.handle);
    expect(k.modules.byHandle(hello.handle)).toBeUndefined();
    expect(k.modules.list()).toEqual([again, counter]);
  });

  it("forgets a module whose load failed, by name and by handle", () => {
    k.insmod(loadBytes("hello"));
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=enodev" }), "ENODEV");
    expect(k.modules.find("faulty")).toBeUndefined();
    expect(k.modules.list().map((m) => m.name)).toEqual(["hello"]);
  });
});

describe("binding kernel symbols", () => {
  it("binds the subsystems a module imports and none other", () => {
    const hello = k.insmod(loadBytes("hello"));
    const bound = bindKernelSymbols(k, hello, ["kmalloc"]);
    expect(bound.get("kmalloc")).toBeTypeOf("function");
    expect(bound.has("request_irq")).toBe(false);
    expect(bound.has("register_chrdev")).toBe(false);
    expect([...bindKernelSymbols(k, hello, ["request_irq", "no_such_symbol"]).keys()].sort()).toEqual(
      ["disable_irq", "enable_irq", "free_irq", "request_irq"],
    );
  });
});

describe("vermagic", () => {
  const wrong = VERMAGIC.replace(/ abi-\d+ /, " abi-999 ");

  it("refuses a module built for another ABI with ENOEXEC and says why", () => {
    expect(wrong).not.toBe(VERMAGIC);
    const bytes = setModinfo(loadBytes("hello"), "vermagic", wrong);
    k.log.clear();
    expectRefused(k, () => k.insmod(bytes), "ENOEXEC", `hello: version magic '${wrong}' should be '${VERMAGIC}'`);
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([
      [LOGLEVELS.KERN_ERR, `hello: version magic '${wrong}' should be '${VERMAGIC}'`],
    ]);
    expect(k.taint.value).toBe(0);
  });

  it("ignores the release when the module has __versions", () => {
    const other = `9.9.9-other${VERMAGIC.slice(VERMAGIC.indexOf(" "))}`;
    expect(logged(() => k.insmod(setModinfo(loadBytes("hello"), "vermagic", other)))).toEqual(["Hello, world!"]);
  });

  it("compares the release too when the module has no __versions", () => {
    const other = `9.9.9-other${VERMAGIC.slice(VERMAGIC.indexOf(" "))}`;
    const bytes = dropSection(setModinfo(loadBytes("hello"), "vermagic", other), SECTION_VERSIONS);
    expectRefused(k, () => k.insmod(bytes), "ENOEXEC", `hello: version magic '${other}' should be '${VERMAGIC}'`);
  });

  it("loads a bad vermagic with force, tainting F", () => {
    const bytes = setModinfo(loadBytes("hello"), "vermagic", wrong);
    const lines = logged(() => k.insmod(bytes, { force: true }));
    expect(lines).toEqual(["hello: bad vermagic: kernel tainted.", "Hello, world!"]);
    expect(k.taint.test("FORCED_MODULE")).toBe(true);
    expect(k.taint.toString()).toBe("Tainted: GF" + " ".repeat(18));
    expect(k.read("/proc/modules")).toMatch(/^hello \d+ 0 - Live 0x0000000000000000 \(F\)\n$/);
    expect(k.read("/sys/module/hello/taint")).toBe("F\n");
  });
});

describe("symbol resolution", () => {
  it("refuses counter_user without counter, logging every unknown symbol", () => {
    k.log.clear();
    const err = expectRefused(k, () => k.insmod(loadBytes("counter_user")), "ENOENT");
    expect(err.errno).toBe(2);
    expect([...dmesg(k)].sort()).toEqual([
      "counter_user: Unknown symbol counter_add (err -2)",
      "counter_user: Unknown symbol counter_get (err -2)",
    ]);
    expect(k.log.read().every((r) => r.level === LOGLEVELS.KERN_WARNING)).toBe(true);
  });

  it("stacks counter_user on counter, which then has one user", () => {
    const counter = k.insmod(loadBytes("counter"));
    const lines = logged(() => k.insmod(loadBytes("counter_user")));
    expect(lines).toEqual(["counter_user: added 5, counter_add returned 5, counter_get says 5"]);
    const proc = k.read("/proc/modules");
    const m = /^counter (\d+) 1 counter_user, Live 0x0000000000000000$/m.exec(proc);
    expect(m).not.toBeNull();
    const size = Number(m![1]);
    expect(size).toBe(counter.size);
    expect(size % 4096).toBe(0);
    expect(size).toBeGreaterThanOrEqual(loadBytes("counter").length);
    expect(size).toBeLessThan(loadBytes("counter").length + 4096);
    expect(proc.split("\n")[0]).toMatch(/^counter_user \d+ 0 - Live 0x0000000000000000$/);
    expect(k.read("/proc/kallsyms")).toContain("0000000000000000 T counter_add\t[counter]\n");
    expect(k.read("/proc/kallsyms")).toContain("0000000000000000 T counter_reset\t[counter]\n");
  });

  it("passes the user's parameter through to the provider's symbol", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(loadBytes("counter_user"), { args: "step=7" });
    expect(dmesg(k)).toContain("counter_user: added 7, counter_add returned 7, counter_get says 7");
  });

  it("hides GPL-only symbols from a proprietary module, which taints P", () => {
    k.insmod(loadBytes("counter"));
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("counter_proprietary")), "ENOENT", "counter_proprietary: Unknown symbol counter_reset (err -2)");
    expect(dmesg(k)).toEqual([
      "counter_proprietary: module license 'Proprietary' taints kernel.",
      "Disabling lock debugging due to kernel taint",
      "counter_proprietary: Unknown symbol counter_reset (err -2)",
    ]);
    expect(k.taint.test("PROPRIETARY_MODULE")).toBe(true);
    expect(k.modules.find("counter")!.refcnt).toBe(0);
  });

  it("prints the licence taint message only while P is not yet set", () => {
    k.insmod(setModinfo(loadBytes("hello"), "license", "Proprietary"));
    const lines = logged(() => k.insmod(setModinfo(setModinfo(loadBytes("hello"), "name", "hello2"), "license", "Proprietary")));
    expect(lines).toEqual(["Hello, world!"]);
    expect(k.read("/proc/modules")).toMatch(/^hello2 \d+ 0 - Live 0x0000000000000000 \(P\)$/m);
  });

  it("treats a missing licence as proprietary", () => {
    const lines = logged(() => k.insmod(removeModinfo(loadBytes("hello"), "license")));
    expect(lines.slice(0, 2)).toEqual(["hello: module license 'unspecified' taints kernel.", "Disabling lock debugging due to kernel taint"]);
    expect(k.taint.toString()).toBe("Tainted: P" + " ".repeat(19));
  });

  it("passes a proprietary provider's taint on to its users", () => {
    k.insmod(setModinfo(loadBytes("counter"), "license", "Proprietary"));
    const lines = logged(() => k.insmod(loadBytes("counter_user")));
    expect(lines[0]).toMatch(/^counter_user: module uses symbols counter_(add|get) from proprietary module counter, inheriting taint\.$/);
    expect(lines.filter((l) => l.includes("inheriting taint"))).toHaveLength(1);
    expect(k.read("/sys/module/counter_user/taint")).toBe("P\n");
  });

  it("refuses a module using GPL-only symbols the symbols of a proprietary module", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(fixtures.get("prop_exporter")!);
    k.log.clear();
    const user = fixtures.get("gpl_then_prop")!;
    expect(kernelImports(user)).toEqual(["counter_reset", "prop_value"]);
    const message = "gpl_then_prop: module using GPL-only symbols uses symbols prop_value from proprietary module prop_exporter.";
    expectRefused(k, () => k.insmod(user), "ENOENT", "gpl_then_prop: Unknown symbol prop_value (err -2)");
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([
      [LOGLEVELS.KERN_ERR, message],
      [LOGLEVELS.KERN_WARNING, "gpl_then_prop: Unknown symbol prop_value (err -2)"],
    ]);
  });

  it("hides GPL-only symbols from a module once it inherits P from an earlier import", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(fixtures.get("prop_exporter")!);
    k.log.clear();
    const user = fixtures.get("prop_then_gpl")!;
    expect(kernelImports(user)).toEqual(["prop_value", "counter_reset"]);
    expectRefused(k, () => k.insmod(user), "ENOENT", "prop_then_gpl: Unknown symbol counter_reset (err -2)");
    expect(dmesg(k)).toEqual([
      "prop_then_gpl: module uses symbols prop_value from proprietary module prop_exporter, inheriting taint.",
      "prop_then_gpl: Unknown symbol counter_reset (err -2)",
    ]);
  });

  it("taints O for a module without intree", () => {
    const lines = logged(() => k.insmod(removeModinfo(loadBytes("hello"), "intree")));
    expect(lines).toEqual(["hello: loading out-of-tree module taints kernel.", "Hello, world!"]);
    expect(k.taint.test("OOT_MODULE")).toBe(true);
    expect(k.taint.value).toBe(1 << 12);
    expect(k.read("/proc/modules")).toMatch(/^hello \d+ 0 - Live 0x0000000000000000 \(O\)\n$/);
  });

  it("refuses a second exporter of a symbol with ENOEXEC", () => {
    k.insmod(loadBytes("counter"));
    const twin = setModinfo(loadBytes("counter"), "name", "counter2");
    k.log.clear();
    expectRefused(k, () => k.insmod(twin), "ENOEXEC", "counter2: exports duplicate symbol counter_add (owned by counter)");
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([
      [LOGLEVELS.KERN_ERR, "counter2: exports duplicate symbol counter_add (owned by counter)"],
    ]);
  });
});

describe("rmmod", () => {
  it("runs hello's cleanup and forgets it", () => {
    const before = snapshot(k);
    k.insmod(loadBytes("hello"), { args: "who=kernel count=3" });
    expect(logged(() => k.rmmod("hello"))).toEqual(["Goodbye, kernel."]);
    expect(k.log.read()[0]!.level).toBe(LOGLEVELS.KERN_INFO);
    expect(snapshot(k)).toEqual(before);
    expect(k.modules.find("hello")).toBeUndefined();
  });

  it("refuses a module that is not loaded with ENOENT", () => {
    expectRefused(k, () => k.rmmod("hello"), "ENOENT");
  });

  it("refuses to remove a provider while a user is loaded, even with force", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(loadBytes("counter_user"));
    const err = expectRefused(k, () => k.rmmod("counter"), "EAGAIN");
    expect(err.errno).toBe(EWOULDBLOCK);
    expectRefused(k, () => k.rmmod("counter", true), "EAGAIN");
    expect(k.taint.test("FORCED_RMMOD")).toBe(false);
  });

  it("removes stacked modules user first, then provider", () => {
    const before = snapshot(k);
    k.insmod(loadBytes("counter"));
    k.insmod(loadBytes("counter_user"));
    const lines = logged(() => {
      k.rmmod("counter_user");
      expect(k.read("/proc/modules")).toMatch(/^counter \d+ 0 - Live 0x0000000000000000\n$/);
      k.rmmod("counter");
    });
    expect(lines).toEqual(["counter_user: leaving the counter at 5", "counter: unloading at 5"]);
    expect(snapshot(k)).toEqual(before);
  });
});

describe("rmmod of a module without cleanup_module", () => {
  it("lists it as [permanent]", () => {
    expect(logged(() => k.insmod(permanent))).toEqual(["permanent: here to stay"]);
    expect(k.read("/proc/modules")).toMatch(/^permanent \d+ 0 \[permanent\], Live 0x0000000000000000\n$/);
  });

  it("refuses to remove it with EBUSY", () => {
    k.insmod(permanent);
    expectRefused(k, () => k.rmmod("permanent"), "EBUSY");
    expect(k.taint.value).toBe(0);
  });

  it("removes it with force, tainting R", () => {
    const before = snapshot(k);
    k.insmod(permanent);
    k.rmmod("permanent", true);
    expect(snapshot(k)).toEqual(before);
    expect(k.taint.test("FORCED_RMMOD")).toBe(true);
  });
});

describe("refcount", () => {
  it("refuses to remove a referenced module with EAGAIN", () => {
    const mod = k.insmod(loadBytes("hello"));
    expect(tryModuleGet(mod, mod.handle)).toBe(true);
    expect(k.read("/proc/modules")).toMatch(/^hello \d+ 1 - Live /);
    expect(k.read("/sys/module/hello/refcnt")).toBe("1\n");
    const err = expectRefused(k, () => k.rmmod("hello"), "EAGAIN");
    expect(err.errno).toBe(EWOULDBLOCK);
    expect(k.taint.value).toBe(0);
  });

  it("removes a referenced module with force, tainting R", () => {
    const mod = k.insmod(loadBytes("hello"));
    tryModuleGet(mod, mod.handle);
    expect(logged(() => k.rmmod("hello", true))).toEqual(["Goodbye, world."]);
    expect(k.modules.find("hello")).toBeUndefined();
    expect(k.taint.test("FORCED_RMMOD")).toBe(true);
    expect(k.taint.toString()).toBe("Tainted: G  R" + " ".repeat(16));
  });

  it("counts try_module_get and module_put as a module calls them", () => {
    const hello = k.insmod(loadBytes("hello"));
    const counter = k.insmod(loadBytes("counter"));
    const ksyms = kernelFunctions(k, counter);
    expect(ksyms.try_module_get(hello.handle)).toBe(true);
    expect(ksyms.try_module_get(hello.handle)).toBe(true);
    expect(ksyms.module_refcount(hello.handle)).toBe(2);
    ksyms.module_put(hello.handle);
    expect(ksyms.module_refcount(hello.handle)).toBe(1);
    expectRefused(k, () => k.rmmod("hello"), "EAGAIN");
    ksyms.module_put(hello.handle);
    k.rmmod("hello");
    expect(k.modules.find("hello")).toBeUndefined();
  });

  it("refuses references to unknown or removed modules", () => {
    const hello = k.insmod(loadBytes("hello"));
    const ksyms = kernelFunctions(k, hello);
    expect(ksyms.try_module_get(0)).toBe(true);
    expect(ksyms.try_module_get(hello.handle + 1000)).toBe(false);
    expect(ksyms.module_refcount(hello.handle + 1000)).toBe(-22);
    k.rmmod("hello");
    expect(tryModuleGet(hello, hello.handle)).toBe(false);
  });

  it("warns about module_put without a reference", () => {
    const hello = k.insmod(loadBytes("hello"));
    const lines = logged(() => kernelFunctions(k, hello).module_put(hello.handle));
    expect(lines).toEqual(["hello: module_put of hello without a reference"]);
    expect(hello.refcnt).toBe(0);
  });
});

describe("init failures", () => {
  it("returns init's -ENODEV and leaves nothing behind", () => {
    k.insmod(loadBytes("hello"));
    const err = expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=enodev" }), "ENODEV");
    expect(err.errno).toBe(19);
    expect(k.kernfs.isDir("/sys/module/faulty")).toBe(false);
  });

  it("fails with ENOMEM, not V8's RangeError, when the process has no room for another memory", () => {
    const Memory = WebAssembly.Memory;
    const exhausted = () => {
      WebAssembly.Memory = function () {
        throw new RangeError("WebAssembly.Memory(): could not allocate memory");
      } as unknown as typeof WebAssembly.Memory;
      try {
        return k.insmod(loadBytes("hello"));
      } finally {
        WebAssembly.Memory = Memory;
      }
    };
    expectRefused(k, exhausted, "ENOMEM", "hello: cannot allocate its memory: WebAssembly.Memory(): could not allocate memory");
    expect(dmesg(k).at(-1)).toBe("hello: cannot allocate its memory: WebAssembly.Memory(): could not allocate memory");
  });

  it("fails with ENOMEM when kmalloc hits the module's cap, warning once per failure", () => {
    k = new Kernel({ kmallocCap: 16 * 4096 });
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=nomem" }), "ENOMEM");
    const lines = dmesg(k);
    const warnings = lines.filter((l) => l.includes("kmalloc of 4096 bytes failed"));
    expect(warnings).toEqual(["faulty: kmalloc of 4096 bytes failed, mode:0xcc0: over the module's cap (65536 of 65536 bytes in use)"]);
    expect(lines).toContain("faulty: kmalloc failed after 16 blocks of 4096 bytes");
  });

  it("takes a positive return as success, with Linux's two warnings", async () => {
    const run = cliRunner(k);
    expect(await run(`insmod ${fixturePath("positive")}`)).toEqual({ status: 0, out: "", err: "" });
    expect(await run("dmesg -t")).toEqual({
      status: 0,
      out: "do_init_module: 'positive'->init suspiciously returned 3, it should follow 0/-E convention\n" +
        "do_init_module: loading module anyway...\n",
      err: "",
    });
    expect((await run("cat /proc/modules")).out).toMatch(/^positive \d+ 0 - Live 0x0000000000000000\n$/);
  });

  it("reclaims and reports what a module leaked at rmmod", () => {
    const before = snapshot(k);
    const mod = k.insmod(loadBytes("faulty"), { args: "mode=leak size=1000" });
    expect(mod.slab.bytes).toBe(1024 + 2048);
    const lines = logged(() => k.rmmod("faulty"));
    expect(lines[0]).toBe("faulty: unloaded");
    const leaks = lines.slice(1);
    expect(leaks).toHaveLength(2);
    expect(leaks.map((l) => LEAK.exec(l)?.[1])).toEqual(["1000", "2000"]);
    expect(mod.slab.bytes).toBe(0);
    expect(snapshot(k)).toEqual(before);
  });
});

describe("rmmod of a driver that gives nothing back", () => {
  it("takes back its major, device node, IRQ and timer, warning for each", async () => {
    const run = cliRunner(k);
    expect(await run(`insmod ${fixturePath("hoarder")}`)).toEqual({ status: 0, out: "", err: "" });
    expect((await run("cat /proc/devices")).out).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n254 hoarder\n\nBlock devices:\n259 blkext\n");
    expect((await run("ls /dev/hoard0")).out).toBe("/dev/hoard0\n");
    expect((await run("cat /proc/interrupts")).out).toBe("           CPU0       \n  5:          0    XT-PIC   5-edge      hoarder\n");
    expect(await run("rmmod hoarder")).toEqual({ status: 0, out: "", err: "" });
    expect((await run("dmesg -t")).out).toBe(
      "hoarder: character major 254 (hoarder) still registered at unload; unregistered\n" +
        "hoarder: device node /dev/hoard0 still present at unload; removed\n" +
        "hoarder: irq 5 handler still installed at unload; freed\n" +
        "hoarder: 1 timer(s) still pending at unload; deleted\n",
    );
    expect((await run("cat /proc/devices")).out).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
    expect(await run("ls /dev/hoard0")).toEqual({ status: 2, out: "", err: "ls: cannot access '/dev/hoard0': No such file or directory\n" });
    expect((await run("cat /proc/interrupts")).out).toBe("           CPU0       \n");
    // The timer was due a second after insmod: it never runs, so nothing is logged, no Oops.
    expect(await run("dmesg -C")).toEqual({ status: 0, out: "", err: "" });
    expect(await run("hw tick 2s")).toEqual({ status: 0, out: "", err: "" });
    expect(await run("dmesg")).toEqual({ status: 0, out: "", err: "" });
  });
});
