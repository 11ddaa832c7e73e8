// The vitest file `wasm-lkm init` writes for each type of project: it boots a kernel for each test, loads the
// module npm test built and drives it from outside through the library, as a program using wasm-lkm would.

import type { ModuleType } from "./modules.js";

/** The module as npm test built it, and a fresh kernel for each test: what every project's test starts with. */
function preamble(name: string, extra: string): string {
  return `import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "wasm-lkm";
${extra}
// npm test builds src/${name}.ts to build/${name}.wasm (npm run build) and runs its KUnit suite first.
const module = readFileSync(new URL("../build/${name}.wasm", import.meta.url));
let k: Kernel;

beforeEach(() => {
  k = new Kernel();
});

/** The kernel log's texts, oldest first, as dmesg -t prints them. */
const dmesg = () => k.log.read().map((r) => r.text);
`;
}

/** The /proc/modules row of a loaded out-of-tree module: no users, live, tainting O. */
function procModulesRow(name: string): string {
  return `new RegExp("^${name} \\\\d+ 0 - Live 0x0+ \\\\(O\\\\)$", "m")`;
}

function misc(name: string): string {
  return `${preamble(name, "")}
describe("${name}", () => {
  it("loads with its defaults, greets once and shows in /proc/modules", () => {
    k.insmod(module);
    expect(dmesg()).toContain("${name}: Hello, world!");
    expect(k.read("/proc/modules")).toMatch(${procModulesRow(name)});
  });

  it("takes its parameters from insmod and shows them in sysfs", () => {
    k.insmod(module, { args: 'who="the tester" count=2' });
    expect(dmesg().filter((l) => l === "${name}: Hello, the tester!")).toHaveLength(2);
    expect(k.read("/sys/module/${name}/parameters/who")).toBe("the tester\\n");
  });

  it("refuses a negative count with EINVAL and stays out", () => {
    expect(() => k.insmod(module, { args: "count=-1" })).toThrow(expect.objectContaining({ name: "KernelError", code: "EINVAL" }));
    expect(k.read("/proc/modules")).not.toContain("${name}");
  });

  it("says goodbye when unloaded", () => {
    k.insmod(module);
    k.rmmod("${name}");
    expect(dmesg().at(-1)).toBe("${name}: Goodbye, world.");
    expect(k.read("/proc/modules")).toBe("");
  });
});
`;
}

function chrdev(name: string): string {
  return `${preamble(name, "")}
describe("/dev/${name}", () => {
  it("is made at load on a dynamic major, listed in /proc/devices, and reads the greeting", () => {
    k.insmod(module);
    const major = /^(\\d+) ${name}$/m.exec(k.read("/proc/devices"))?.[1];
    expect(dmesg()).toContain(\`${name}: /dev/${name} is \${major}:0\`);
    expect(k.read("/dev/${name}")).toBe("Hello from ${name}\\n");
  });

  it("keeps what is written to it", () => {
    k.insmod(module, { args: 'greeting="first"' });
    expect(k.read("/dev/${name}")).toBe("first\\n");
    k.write("/dev/${name}", "second\\n");
    expect(k.read("/dev/${name}")).toBe("second\\n");
  });

  it("goes away with the module", () => {
    k.insmod(module);
    k.rmmod("${name}");
    expect(() => k.read("/dev/${name}")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
`;
}

function fs(name: string): string {
  return `${preamble(name, "")}
describe("${name} filesystem", () => {
  it("registers, mounts, lists its one file and reads it", () => {
    k.insmod(module, { args: 'greeting="mounted"' });
    expect(k.read("/proc/filesystems")).toContain("nodev\\t${name}\\n");
    const sh = k.spawn("test");
    sh.mount("none", "/mnt", "${name}");
    expect(sh.readdir("/mnt").map((d) => d.name).sort()).toEqual([".", "..", "greeting"]);
    expect(k.read("/mnt/greeting")).toBe("mounted\\n");
  });

  it("keeps its module while mounted, as Linux does", () => {
    k.insmod(module);
    const sh = k.spawn("test");
    sh.mount("none", "/mnt", "${name}");
    // delete_module's EWOULDBLOCK, which rmmod reports as "Module ${name} is in use".
    expect(() => k.rmmod("${name}")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.umount("/mnt");
    k.rmmod("${name}");
    expect(k.read("/proc/filesystems")).not.toContain("${name}");
  });
});
`;
}

function syscall(name: string): string {
  return `${preamble(name, "\nconst ENOSYS = 38;\n")}
describe("system call ${name}", () => {
  it("logs its caller's message and returns its length", () => {
    k.insmod(module);
    const task = k.spawn("caller");
    expect(task.syscall(335, "hello")).toBe(5);
    expect(dmesg()).toContain(\`${name}: pid \${task.getpid()} says hello\`);
  });

  it("takes the number nr names", () => {
    k.insmod(module, { args: "nr=400" });
    expect(k.spawn("caller").syscall(400, "four hundred")).toBe(12);
  });

  it("is gone after rmmod: ENOSYS", () => {
    k.insmod(module);
    k.rmmod("${name}");
    expect(k.spawn("caller").syscall(335, "anyone?")).toBe(-ENOSYS);
  });
});
`;
}

/** The vitest file of a project of that type, for the module NAME. */
export function testSource(type: ModuleType, name: string): string {
  return { misc, chrdev, fs, syscall }[type](name);
}
