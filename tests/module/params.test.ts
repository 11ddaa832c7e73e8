import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { SECTION_PARAM } from "../../abi/module.js";
import type { ParamTypeName } from "../../abi/moduleparam.js";
import { Kernel } from "../../host/init/main.js";
import { KernelError } from "../../host/kernel/error.js";
import { LOG_LINE_MAX } from "../../host/kernel/printk.js";
import { ModuleMemory, type ModPtr } from "../../host/mm/maccess.js";
import { paramEq, parseArgs, setParam, showParam, type ModuleParam, type StringMaker } from "../../host/module/params.js";
import { cliRunner, dmesg, expectRefused, loadBytes, rewriteRecords, scratchDir } from "../helpers.js";

const memory = new ModuleMemory("m", new WebAssembly.Memory({ initial: 1 }));

/** Strings go to a fixed place in a scratch memory, as AssemblyScript lays them out (length at ptr - 4). */
const strings: StringMaker = {
  memory,
  newString(s: string): ModPtr {
    memory.view(16, 4).setUint32(0, s.length * 2, true);
    memory.writeString(20 as ModPtr, s);
    return 20 as ModPtr;
  },
  release(): void {},
};

function param(type: ParamTypeName): ModuleParam {
  const global = type === "ullong"
    ? new WebAssembly.Global({ value: "i64", mutable: true }, 0n)
    : new WebAssembly.Global({ value: "i32", mutable: true }, 0);
  return { name: "p", type, perm: 0o644, global };
}

/** Set a parameter of that type and return what sysfs would show. */
function set(type: ParamTypeName, val: string | undefined): string {
  const p = param(type);
  setParam("m", p, val, strings);
  return showParam(p, memory);
}

function refusal(type: ParamTypeName, val: string | undefined): [string | undefined, string] {
  try {
    set(type, val);
  } catch (e) {
    if (e instanceof KernelError) return [e.code, e.message];
    throw e;
  }
  return [undefined, "accepted"];
}

describe("parseArgs", () => {
  it("splits name=value pairs at whitespace", () => {
    expect(parseArgs("who=kernel count=3")).toEqual([["who", "kernel"], ["count", "3"]]);
    expect(parseArgs("  a=1 \t b=2\n")).toEqual([["a", "1"], ["b", "2"]]);
    expect(parseArgs("")).toEqual([]);
  });

  it("gives a bare name no value and an empty value an empty string", () => {
    expect(parseArgs("flag b=")).toEqual([["flag", undefined], ["b", ""]]);
  });

  it("keeps quoted whitespace and drops the quotes", () => {
    expect(parseArgs('who="big kernel" count=2')).toEqual([["who", "big kernel"], ["count", "2"]]);
    expect(parseArgs('"who=big kernel"')).toEqual([["who", "big kernel"]]);
    expect(parseArgs('who=""')).toEqual([["who", ""]]);
  });

  it("keeps quotes that do not open the value, as next_arg does", () => {
    expect(parseArgs('a="x"y')).toEqual([["a", 'x"y']]);
    expect(parseArgs('a=x"y z"')).toEqual([["a", 'x"y z"']]);
  });

  it("splits only at the first '='", () => {
    expect(parseArgs("a=b=c")).toEqual([["a", "b=c"]]);
  });
});

describe("paramEq", () => {
  it("treats '-' and '_' alike", () => {
    expect(paramEq("max-count", "max_count")).toBe(true);
    expect(paramEq("max_count", "maxcount")).toBe(false);
  });
});

describe("bool and invbool", () => {
  it("reads y, Y, 1, on and a bare name as true", () => {
    for (const v of ["y", "Y", "1", "on", "ON", "yes", undefined]) expect(set("bool", v), String(v)).toBe("Y\n");
  });

  it("reads n, N, 0 and off as false", () => {
    for (const v of ["n", "N", "0", "off", "Off", "no"]) expect(set("bool", v), v).toBe("N\n");
  });

  it("refuses anything else with EINVAL", () => {
    expect(refusal("bool", "maybe")).toEqual(["EINVAL", "m: `maybe' invalid for parameter `p'"]);
    expect(refusal("bool", "")[0]).toBe("EINVAL");
    expect(refusal("bool", "o")[0]).toBe("EINVAL");
  });

  it("inverts invbool", () => {
    const p = param("invbool");
    setParam("m", p, "y", strings);
    expect(p.global.value).toBe(0);
    expect(showParam(p, memory)).toBe("Y\n");
    setParam("m", p, "n", strings);
    expect(p.global.value).toBe(1);
    expect(showParam(p, memory)).toBe("N\n");
    setParam("m", p, undefined, strings);
    expect(showParam(p, memory)).toBe("Y\n");
  });
});

describe("integer parameters", () => {
  it("takes the base from the prefix, a sign, and one trailing newline", () => {
    expect(set("int", "42")).toBe("42\n");
    expect(set("int", "0x1F")).toBe("31\n");
    expect(set("int", "0X10")).toBe("16\n");
    expect(set("int", "010")).toBe("8\n");
    expect(set("int", "0")).toBe("0\n");
    expect(set("int", "+5")).toBe("5\n");
    expect(set("int", "-5")).toBe("-5\n");
    expect(set("int", "-0x10")).toBe("-16\n");
    expect(set("int", "7\n")).toBe("7\n");
  });

  it("refuses what is not a number with EINVAL", () => {
    expect(refusal("int", "abc")).toEqual(["EINVAL", "m: `abc' invalid for parameter `p'"]);
    for (const v of ["", "08", "1 ", "0x", "--1", "+-1", "1.5", "12abc", "5\n\n"]) expect(refusal("int", v)[0], JSON.stringify(v)).toBe("EINVAL");
  });

  it("refuses a bare name with EINVAL", () => {
    expect(refusal("int", undefined)).toEqual(["EINVAL", "m: `' invalid for parameter `p'"]);
  });

  it("refuses a sign on unsigned types with EINVAL", () => {
    expect(refusal("uint", "-1")).toEqual(["EINVAL", "m: `-1' invalid for parameter `p'"]);
    expect(set("uint", "+1")).toBe("1\n");
  });

  it("refuses values out of the type's range with ERANGE", () => {
    expect(set("int", "2147483647")).toBe("2147483647\n");
    expect(set("int", "-2147483648")).toBe("-2147483648\n");
    expect(refusal("int", "2147483648")).toEqual(["ERANGE", "m: `2147483648' invalid for parameter `p'"]);
    expect(refusal("int", "-2147483649")[0]).toBe("ERANGE");
    expect(set("uint", "4294967295")).toBe("4294967295\n");
    expect(refusal("uint", "0x100000000")[0]).toBe("ERANGE");
    expect(set("byte", "255")).toBe("255\n");
    expect(refusal("byte", "256")[0]).toBe("ERANGE");
    expect(set("short", "-32768")).toBe("-32768\n");
    expect(refusal("short", "32768")[0]).toBe("ERANGE");
    expect(set("ullong", "18446744073709551615")).toBe("18446744073709551615\n");
    expect(refusal("ullong", "18446744073709551616")[0]).toBe("ERANGE");
  });

  it("shows hexint as %#08x", () => {
    expect(set("hexint", "255")).toBe("0x0000ff\n");
    expect(set("hexint", "0xdeadbeef")).toBe("0xdeadbeef\n");
  });
});

describe("charp", () => {
  it("stores a string the module can read", () => {
    expect(set("charp", "big kernel")).toBe("big kernel\n");
    expect(set("charp", "")).toBe("\n");
    expect(showParam(param("charp"), memory)).toBe("(null)\n");
  });

  it("accepts 1024 characters and refuses more with ENOSPC", () => {
    expect(set("charp", "x".repeat(1024))).toBe(`${"x".repeat(1024)}\n`);
    const long = "x".repeat(1025);
    expect(refusal("charp", long)).toEqual(["ENOSPC", `m: \`${long}' too large for parameter \`p'`]);
  });

  it("refuses a bare name with EINVAL", () => {
    expect(refusal("charp", undefined)[0]).toBe("EINVAL");
  });
});

describe("insmod parameters", () => {
  let k: Kernel;
  beforeEach(() => {
    k = new Kernel();
    k.log.clear();
  });

  it("passes quoted strings and prefixed integers to the module", () => {
    k.insmod(loadBytes("hello"), { args: 'who="big kernel" count=0x2' });
    expect(dmesg(k)).toEqual(["Hello, big kernel!", "Hello, big kernel!"]);
  });

  it("reads a leading 0 as octal", () => {
    k.insmod(loadBytes("hello"), { args: "count=010" });
    expect(dmesg(k)).toEqual(Array(8).fill("Hello, world!"));
  });

  it("lets the last of repeated arguments win", () => {
    k.insmod(loadBytes("hello"), { args: "count=5 who=a count=1 who=b" });
    expect(dmesg(k)).toEqual(["Hello, b!"]);
  });

  it("refuses an invalid value with EINVAL, logs it, and leaves nothing behind", () => {
    expectRefused(k, () => k.insmod(loadBytes("hello"), { args: "who=kernel count=abc" }), "EINVAL", "hello: `abc' invalid for parameter `count'");
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([[LOGLEVELS.KERN_ERR, "hello: `abc' invalid for parameter `count'"]]);
    expect(k.kernfs.isDir("/sys/module/hello")).toBe(false);
  });

  it("refuses an int out of range with ERANGE", () => {
    expectRefused(k, () => k.insmod(loadBytes("hello"), { args: "count=2147483648" }), "ERANGE");
    expect(dmesg(k)).toEqual(["hello: `2147483648' invalid for parameter `count'"]);
  });

  it("refuses a negative uint with EINVAL", () => {
    expectRefused(k, () => k.insmod(loadBytes("faulty"), { args: "size=-1" }), "EINVAL", "faulty: `-1' invalid for parameter `size'");
  });

  it("refuses a bare name for an int with EINVAL", () => {
    expectRefused(k, () => k.insmod(loadBytes("hello"), { args: "count" }), "EINVAL", "hello: `' invalid for parameter `count'");
  });

  it("refuses a string over 1024 characters with ENOSPC", () => {
    const long = "w".repeat(1025);
    expectRefused(k, () => k.insmod(loadBytes("hello"), { args: `who=${long}` }), "ENOSPC");
    // The message is longer than a printk record holds: it is cut at LOG_LINE_MAX - 1 bytes.
    expect(dmesg(k)).toContain(`hello: \`${long}' too large for parameter \`who'`.slice(0, LOG_LINE_MAX - 1));
  });

  it("ignores unknown parameters with a warning", () => {
    k.insmod(loadBytes("hello"), { args: "bogus count=1 other=2" });
    expect(k.log.read().map((r) => [r.level, r.text])).toEqual([
      [LOGLEVELS.KERN_WARNING, "hello: unknown parameter 'bogus' ignored"],
      [LOGLEVELS.KERN_WARNING, "hello: unknown parameter 'other' ignored"],
      [LOGLEVELS.KERN_INFO, "Hello, world!"],
    ]);
    expect(k.modules.find("hello")?.state).toBe("LIVE");
  });
});

describe("/sys/module/NAME/parameters", () => {
  let k: Kernel;
  beforeEach(() => {
    k = new Kernel();
    k.insmod(loadBytes("hello"), { args: "who=kernel count=3" });
  });

  it("shows each parameter with a non-zero permission", () => {
    expect(k.kernfs.list("/sys/module/hello/parameters")).toEqual(["count", "who"]);
    expect(k.read("/sys/module/hello/parameters/who")).toBe("kernel\n");
    expect(k.read("/sys/module/hello/parameters/count")).toBe("3\n");
  });

  it("takes a new value for a 0644 parameter, which cleanup then uses", () => {
    k.write("/sys/module/hello/parameters/who", "sysfs");
    expect(k.read("/sys/module/hello/parameters/who")).toBe("sysfs\n");
    k.log.clear();
    k.rmmod("hello");
    expect(dmesg(k)).toEqual(["Goodbye, sysfs."]);
  });

  it("keeps exactly one kernel-made string pinned for a charp, however often sysfs replaces it", () => {
    const mod = k.modules.find("hello")!;
    for (const who of ["a", "b", "c"]) k.write("/sys/module/hello/parameters/who", who);
    const who = mod.params.find((p) => p.name === "who")!;
    expect([...mod.pinned]).toEqual([who.global.value]);
  });

  it("refuses a write to a 0444 parameter with EACCES", () => {
    expectRefused(k, () => k.write("/sys/module/hello/parameters/count", "5\n"), "EACCES");
    expect(k.read("/sys/module/hello/parameters/count")).toBe("3\n");
  });

  it("refuses an invalid value for a writable int with EINVAL and keeps the old value", () => {
    const writable = rewriteRecords(loadBytes("hello"), SECTION_PARAM, (ps) => ps.map((p) => ({ ...p, value: 0o644 })));
    k = new Kernel();
    k.insmod(writable, { args: "count=3" });
    k.write("/sys/module/hello/parameters/count", "0x10\n");
    expect(k.read("/sys/module/hello/parameters/count")).toBe("16\n");
    k.log.clear();
    expectRefused(k, () => k.write("/sys/module/hello/parameters/count", "ten\n"), "EINVAL");
    expectRefused(k, () => k.write("/sys/module/hello/parameters/count", "4294967296\n"), "ERANGE");
    expect(k.read("/sys/module/hello/parameters/count")).toBe("16\n");
    expect(dmesg(k)).toEqual([]);
  });

  it("refuses an over-long string and keeps the old value", () => {
    expectRefused(k, () => k.write("/sys/module/hello/parameters/who", "x".repeat(1025)), "ENOSPC");
    expect(k.read("/sys/module/hello/parameters/who")).toBe("kernel\n");
  });

  it("has no file for a parameter with perm 0, which insmod still sets", async () => {
    const { dir, cleanup } = scratchDir("params");
    try {
      const path = join(dir, "hello.wasm");
      writeFileSync(path, rewriteRecords(loadBytes("hello"), SECTION_PARAM, (ps) => ps.map((p) => (p.name === "count" ? { ...p, value: 0 } : p))));
      const run = cliRunner(new Kernel());
      expect(await run(`insmod ${path} count=2`)).toEqual({ status: 0, out: "", err: "" });
      expect(await run("ls /sys/module/hello/parameters")).toEqual({ status: 0, out: "who\n", err: "" });
      expect(await run("cat /sys/module/hello/parameters/count")).toEqual({
        status: 1, out: "", err: "cat: /sys/module/hello/parameters/count: No such file or directory\n",
      });
      expect((await run("dmesg -t")).out).toBe("Hello, world!\nHello, world!\n");
    } finally {
      cleanup();
    }
  });

  it("goes away with the module", () => {
    k.rmmod("hello");
    expect(() => k.read("/sys/module/hello/parameters/who")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(k.kernfs.list("/sys/module")).toEqual([]);
  });
});
