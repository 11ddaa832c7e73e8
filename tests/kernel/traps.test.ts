import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { Kernel } from "../../host/init/main.js";
import { setModuleName } from "../../abi/wasm.js";
import { wasmFrames } from "../../host/kernel/traps.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, expectErrno, expectRefused, loadBytes, scratchDir, snapshot, writeModuleSource } from "../helpers.js";

// Fixtures: a provider whose exported symbol traps, a user that calls it from init, and a module
// whose init recurses until the stack runs out.
const TRAPPER = `
import { pr_info } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function trapper_crash(): i32 {
  return load<i32>(<usize>0xfffffff0);
}
EXPORT_SYMBOL(trapper_crash);
export function init_module(): i32 { return 0; }
export function cleanup_module(): void { pr_info("trapper: cleanup ran\\n"); }
`;

const TRAPPER_USER = `
// @ts-ignore: decorator
@external("kernel", "trapper_crash")
declare function trapper_crash(): i32;
MODULE_LICENSE("GPL");
export function init_module(): i32 { return trapper_crash(); }
export function cleanup_module(): void {}
`;

const TRAPPER_CLEANUP_USER = `
// @ts-ignore: decorator
@external("kernel", "trapper_crash")
declare function trapper_crash(): i32;
MODULE_LICENSE("GPL");
export function init_module(): i32 { return 0; }
export function cleanup_module(): void { trapper_crash(); }
`;

const DEEP = `
MODULE_LICENSE("GPL");
let depth: i32 = 0;
function down(n: i32): i32 {
  depth = n;
  if (n > 100000000) return n;
  return down(n + 1) + 1;
}
export function init_module(): i32 { return down(0) > 0 ? 0 : 1; }
export function cleanup_module(): void {}
`;

const fixtures = new Map<string, Uint8Array>();
const scratch = scratchDir("traps");

beforeAll(async () => {
  const sources: [string, string][] = [["trapper", TRAPPER], ["trapper_user", TRAPPER_USER], ["trapper_cleanup_user", TRAPPER_CLEANUP_USER], ["deep", DEEP]];
  const objs = [];
  for (const [name, source] of sources) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
  for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
});

afterAll(() => scratch.cleanup());

const fixture = (name: string) => fixtures.get(name)!;

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

describe("a trap in init_module", () => {
  it("fails insmod with EFAULT and leaves nothing loaded", () => {
    k.insmod(loadBytes("hello"));
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    expect(k.kernfs.isDir("/sys/module/faulty")).toBe(false);
  });

  it("logs an Oops naming the module and the function", () => {
    k.insmod(loadBytes("hello"));
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    const records = k.log.read();
    const lines = records.map((r) => r.text);
    expect(records[0]).toMatchObject({ level: LOGLEVELS.KERN_ALERT, text: "BUG: wasm trap in faulty: memory access out of bounds" });
    expect(records[1]).toMatchObject({ level: LOGLEVELS.KERN_EMERG, text: "Oops: 0000 [#1]" });
    expect(lines[2]).toBe(`CPU: 0 UID: 0 PID: 1 Comm: insmod Not tainted ${UTS_RELEASE} #1`);
    expect(lines[3]).toMatch(/^RIP: init_module \[faulty\] (wasm-function\[\d+\]:)?0x[0-9a-f]+$/);
    expect(lines).toContain("Call Trace:");
    expect(lines.some((l) => /^ {2}init_module \[faulty\] /.test(l))).toBe(true);
    expect(lines).toContain("Modules linked in: faulty(+) hello");
    expect(lines[lines.length - 1]).toBe("---[ end trace 0000000000000000 ]---");
  });

  it("taints the kernel D", () => {
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    expect(k.taint.test("DIE")).toBe(true);
    expect(Number(k.read("/proc/sys/kernel/tainted")) & 128).toBe(128);
    expect(k.taint.toString()).toBe("Tainted: G      D" + " ".repeat(12));
  });

  it("numbers Oopses and shows the taint of the earlier ones", () => {
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    k.log.clear();
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap size=64" }), "EFAULT", "faulty: Oops in init_module");
    expect(dmesg(k)).toContain("Oops: 0000 [#2]");
    expect(dmesg(k)).toContain(`CPU: 0 UID: 0 PID: 1 Comm: insmod Tainted: G      D${" ".repeat(12)} ${UTS_RELEASE} #1`);
  });

  it("leaves the kernel working", () => {
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    k.log.clear();
    k.insmod(loadBytes("hello"), { args: "who=survivor" });
    k.rmmod("hello");
    expect(dmesg(k)).toEqual(["Hello, survivor!", "Goodbye, survivor."]);
    k.insmod(loadBytes("faulty"));
    expect(dmesg(k)).toContain("faulty: loaded in mode none");
  });

  it("contains a stack overflow as an Oops", () => {
    const before = snapshot(k);
    k.log.clear();
    expectRefused(k, () => k.insmod(fixture("deep")), "EFAULT");
    expect(dmesg(k).some((l) => /^BUG: wasm trap in deep: /.test(l))).toBe(true);
    expect(dmesg(k).some((l) => l.startsWith("RIP: down [deep] "))).toBe(true);
    expect(snapshot(k)).toEqual(before);
  });
});

describe("a BUG() in cleanup_module", () => {
  beforeEach(() => {
    k.insmod(loadBytes("faulty"), { args: "mode=bug" });
    k.log.clear();
  });

  it("fails rmmod with EFAULT after logging kernel BUG", () => {
    expect(() => k.rmmod("faulty")).toThrow(expect.objectContaining({ code: "EFAULT", message: "faulty: Oops in cleanup_module" }));
    const records = k.log.read();
    expect(records[0]).toMatchObject({ level: LOGLEVELS.KERN_CRIT, text: "kernel BUG at cleanup_module [faulty]!" });
    expect(records[1]).toMatchObject({ level: LOGLEVELS.KERN_CRIT, text: "faulty: bug mode asked for a BUG in cleanup" });
    expect(records[2]).toMatchObject({ level: LOGLEVELS.KERN_EMERG, text: "Oops: invalid opcode: 0000 [#1]" });
    expect(records[3]!.text).toMatch(/^CPU: 0 UID: 0 PID: 1 Comm: rmmod /);
    expect(dmesg(k)).toContain("Modules linked in: faulty(-)");
    expect(k.taint.test("DIE")).toBe(true);
  });

  it("leaves the module listed [dead] until the next rmmod, which skips cleanup", () => {
    expectErrno(() => k.rmmod("faulty"), "EFAULT", "faulty: Oops in cleanup_module");
    expect(k.read("/proc/modules")).toMatch(/^faulty \d+ 0 \[dead\], Live 0x0000000000000000\n$/);
    expect(() => k.write("/sys/module/faulty/parameters/mode", "none")).toThrow(expect.objectContaining({ code: "ENODEV" }));
    k.log.clear();
    k.rmmod("faulty");
    expect(dmesg(k)).toEqual([]);
    expect(k.read("/proc/modules")).toBe("");
    expect(k.kernfs.list("/sys/module")).toEqual([]);
  });

  it("leaves the kernel working", () => {
    expectErrno(() => k.rmmod("faulty"), "EFAULT", "faulty: Oops in cleanup_module");
    k.rmmod("faulty");
    k.log.clear();
    k.insmod(loadBytes("hello"));
    expect(dmesg(k)).toEqual(["Hello, world!"]);
  });
});

describe("a trap in a provider's symbol", () => {
  it("fails the caller's insmod and names the provider as the culprit", () => {
    k.insmod(fixture("trapper"));
    k.log.clear();
    const kallsyms = k.read("/proc/kallsyms");
    // Not expectRefused: the provider is left listed as [dead], so /proc/modules does change.
    expect(() => k.insmod(fixture("trapper_user"))).toThrow(
      expect.objectContaining({ code: "EFAULT", message: "trapper: Oops in trapper_crash" }),
    );
    expect(k.modules.list().map((m) => [m.name, m.refcnt, m.usedBy.length])).toEqual([["trapper", 0, 0]]);
    expect(k.read("/proc/kallsyms")).toBe(kallsyms);
    expect(k.kernfs.list("/sys/module")).toEqual(["trapper"]);
    const lines = dmesg(k);
    expect(lines[0]).toBe("BUG: wasm trap in trapper: memory access out of bounds");
    expect(lines.some((l) => l.startsWith("RIP: trapper_crash [trapper] "))).toBe(true);
    expect(lines.some((l) => /^ {2}init_module \[trapper_user\] /.test(l))).toBe(true);
    expect(lines).toContain("Modules linked in: trapper_user(+) trapper");
  });

  it("leaves the provider [dead]; rmmod removes it without calling its cleanup", () => {
    k.insmod(fixture("trapper"));
    expectErrno(() => k.insmod(fixture("trapper_user")), "EFAULT", "trapper: Oops in trapper_crash");
    expect(k.read("/proc/modules")).toMatch(/^trapper \d+ 0 \[dead\], Live 0x0000000000000000\n$/);
    k.log.clear();
    k.rmmod("trapper");
    expect(dmesg(k)).toEqual([]);
    expect(k.read("/proc/kallsyms")).not.toContain("trapper_crash");
  });
});

describe("a provider's trap inside a user's cleanup_module", () => {
  it("fails rmmod with EFAULT, leaves both [dead], and the next rmmods remove them without another Oops", () => {
    k.insmod(fixture("trapper"));
    k.insmod(fixture("trapper_cleanup_user"));
    expect(() => k.rmmod("trapper_cleanup_user")).toThrow(expect.objectContaining({ code: "EFAULT" }));
    expect(k.read("/proc/modules")).toMatch(/^trapper_cleanup_user \d+ 0 \[dead\], Live .*\ntrapper \d+ 1 trapper_cleanup_user,\[dead\], Live /);
    k.log.clear();
    k.rmmod("trapper_cleanup_user");
    k.rmmod("trapper");
    expect(dmesg(k)).toEqual([]);
    expect(k.modules.list()).toEqual([]);
  });
});

describe("the culprit", () => {
  it("is the module the kernel loaded, whatever its file's name section claims", () => {
    k.insmod(loadBytes("hello"));
    const liar = setModuleName(loadBytes("faulty"), "hello");
    expectRefused(k, () => k.insmod(liar, { args: "mode=trap" }), "EFAULT", "faulty: Oops in init_module");
    expect(dmesg(k)).toContain("BUG: wasm trap in faulty: memory access out of bounds");
    expect(dmesg(k).find((l) => l.startsWith("RIP:"))).toMatch(/^RIP: init_module \[faulty\] /);
    expect(k.modules.find("hello")!.dead).toBe(false);
    k.rmmod("hello");
    expect(dmesg(k).at(-1)).toBe("Goodbye, world.");
  });

  it("is the provider whose code trapped when a user calls it directly, even if the user's file names itself after it", () => {
    k.insmod(fixture("trapper"));
    const liar = setModuleName(fixture("trapper_user"), "trapper");
    expectErrno(() => k.insmod(liar), "EFAULT", "trapper: Oops in trapper_crash");
    expect(k.modules.list().map((m) => [m.name, m.dead])).toEqual([["trapper", true]]);
    expect(dmesg(k).find((l) => l.startsWith("RIP:"))).toMatch(/^RIP: trapper_crash \[trapper\] /);
    expect(dmesg(k).filter((l) => l.startsWith("  ")).map((l) => l.split(" [")[1]?.split("]")[0])).toEqual(["trapper", "trapper_user"]);
  });
});

describe("wasmFrames", () => {
  const trap = (stack: string) => Object.assign(new WebAssembly.RuntimeError("unreachable"), { stack });

  it("reads V8's own frame format", () => {
    const err = trap(
      "RuntimeError: unreachable\n    at faulty.modules/faulty/faulty/init_module (wasm://wasm/faulty-b450f86a:wasm-function[24]:0x106b)",
    );
    expect(wasmFrames(err)).toEqual([{ module: "faulty", func: "init_module", where: "wasm-function[24]:0x106b" }]);
  });

  it("reads a custom prepareStackTrace's line:column format, column being the byte offset + 1", () => {
    const err = trap(
      "RuntimeError: unreachable\n    at modules/faulty/faulty/init_module (wasm://wasm/faulty-b450f86a:1:4204)\n" +
        "    at doInit (file:///x/host/module/main.js:295:26)",
    );
    expect(wasmFrames(err)).toEqual([{ module: "faulty", func: "init_module", where: "0x106b" }]);
  });
});
