import { beforeEach, describe, expect, it } from "vitest";
import { ERRNO } from "../../abi/errno.js";
import { O_CREAT, O_WRONLY } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { syscallModuleCheck } from "../../testing/index.js";
import { dmesg, expectRefused, loadBytes } from "../helpers.js";

const neg = (name: keyof typeof ERRNO) => -ERRNO[name][0];

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
});

/** Call sys_hello(buf, len) with a buffer in the task's memory; the result and the text written. */
function hello(nr: number, len = 100): [number, string] {
  const buf = sh.task.mm.sbrk(len || 1);
  const ret = sh.syscall(nr, buf, len);
  return [ret, ret > 0 ? new TextDecoder().decode(sh.task.mm.bytes(buf, ret)) : ""];
}

function touch(path: string): void {
  sh.close(sh.open(path, O_CREAT | O_WRONLY));
}

describe("sys_hello", () => {
  it("answers in slot 335 with a greeting naming the caller's pid", () => {
    expect(hello(335)).toEqual([neg("ENOSYS"), ""]);
    k.insmod(loadBytes("sys_hello"));
    expect(hello(335)).toEqual([30, `Hello from the kernel, pid ${sh.task.pid}!\n`]);
    expect(k.syscalls.owners(335)).toEqual(["sys_hello"]);
  });

  it("takes its slot and greeting from parameters", () => {
    k.insmod(loadBytes("sys_hello"), { args: 'nr=400 greeting="Bonjour"' });
    expect(hello(400)[1]).toBe(`Bonjour, pid ${sh.task.pid}!\n`);
    k.write("/sys/module/sys_hello/parameters/greeting", "Hi");
    expect(hello(400)[1]).toBe(`Hi, pid ${sh.task.pid}!\n`);
  });

  it("gives EINVAL for a short buffer and EFAULT for a bad one", () => {
    k.insmod(loadBytes("sys_hello"));
    expect(hello(335, 5)[0]).toBe(neg("EINVAL"));
    expect(sh.syscall(335, 0xfffff000, 100)).toBe(neg("EFAULT"));
    expect(sh.syscall(335, 0, 100)).toBe(neg("EFAULT"));
  });

  it("is refused a slot that is taken, and leaves the table as it was", () => {
    expectRefused(k, () => k.insmod(loadBytes("sys_hello"), { args: `nr=${SYSCALLS.getpid}` }), "EBUSY");
    expectRefused(k, () => k.insmod(loadBytes("sys_hello"), { args: "nr=100000" }), "EINVAL");
    expect(k.syscalls.owners(SYSCALLS.getpid)).toEqual(["kernel"]);
    expect(sh.getpid()).toBe(sh.task.pid);
  });

  it("gives the slot back at rmmod", () => {
    k.insmod(loadBytes("sys_hello"));
    k.rmmod("sys_hello");
    expect(hello(335)[0]).toBe(neg("ENOSYS"));
    expect(k.syscalls.owners(335)).toEqual([]);
  });
});

describe("syscall_audit", () => {
  it("logs the pid, the call and the path of openat and unlinkat, then lets them run", () => {
    k.insmod(loadBytes("syscall_audit"));
    k.log.clear();
    touch("/tmp/a");
    sh.unlink("/tmp/a");
    expect(() => sh.open("/nope", 0)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    const pid = sh.task.pid;
    expect(dmesg(k)).toEqual([
      `syscall_audit: pid ${pid} openat("/tmp/a")`,
      `syscall_audit: pid ${pid} unlinkat("/tmp/a")`,
      `syscall_audit: pid ${pid} openat("/nope")`,
    ]);
    expect(sh.readdir("/tmp").map((d) => d.name)).toEqual([".", ".."]);
  });

  it("logs a bad path pointer as (efault) and the call still fails with EFAULT", () => {
    k.insmod(loadBytes("syscall_audit"));
    k.log.clear();
    expect(sh.syscall(SYSCALLS.openat, -100, 0xfffff000, 0, 0)).toBe(neg("EFAULT"));
    expect(dmesg(k)).toEqual([`syscall_audit: pid ${sh.task.pid} openat("(efault)")`]);
  });

  it("restores openat and unlinkat at rmmod", () => {
    k.insmod(loadBytes("syscall_audit"));
    k.rmmod("syscall_audit");
    expect(k.syscalls.owners(SYSCALLS.openat)).toEqual(["kernel"]);
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel"]);
  });
});

describe("unlink_guard", () => {
  beforeEach(() => {
    sh.mkdir("/tmp/keep");
    sh.mkdir("/tmp/keep/sub");
    touch("/tmp/keep/f");
    touch("/tmp/other");
    k.insmod(loadBytes("unlink_guard"), { args: "protect=/tmp/keep" });
  });

  it("refuses with EPERM to remove anything at or under the protected path", () => {
    for (const path of ["/tmp/keep/f", "/tmp/keep"]) expect(() => sh.unlink(path)).toThrow(expect.objectContaining({ code: "EPERM" }));
    expect(() => sh.rmdir("/tmp/keep/sub")).toThrow(expect.objectContaining({ code: "EPERM" }));
    expect(sh.readdir("/tmp/keep").map((d) => d.name).sort()).toEqual([".", "..", "f", "sub"]);
    expect(dmesg(k)).toContain(`unlink_guard: refused pid ${sh.task.pid} removing /tmp/keep/f`);
  });

  it("resolves the path as unlinkat will: relative to the cwd, through .. and symlinks", () => {
    sh.symlink("/tmp/keep", "/tmp/door");
    sh.chdir("/tmp/keep");
    for (const path of ["f", "../keep/f", "/tmp/door/f", "/tmp/other/../keep/f"]) {
      expect(() => sh.unlink(path)).toThrow(expect.objectContaining({ code: path === "/tmp/other/../keep/f" ? "ENOTDIR" : "EPERM" }));
    }
    expect(sh.readdir(".").map((d) => d.name)).toContain("f");
  });

  it("lets everything else through, with the kernel's own errors", () => {
    sh.unlink("/tmp/other");
    sh.symlink("/tmp/keep", "/tmp/door");
    sh.unlink("/tmp/door");
    expect(() => sh.unlink("/tmp/nope")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => sh.unlink("/tmp/keepsake")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("follows a change of its protect parameter", () => {
    k.write("/sys/module/unlink_guard/parameters/protect", "/tmp/other");
    sh.unlink("/tmp/keep/f");
    expect(() => sh.unlink("/tmp/other")).toThrow(expect.objectContaining({ code: "EPERM" }));
  });
});

/** syscall_audit, then unlink_guard protecting /tmp/keep (with a file f in it), over unlinkat. */
function load(): void {
  sh.mkdir("/tmp/keep");
  touch("/tmp/keep/f");
  k.insmod(loadBytes("syscall_audit"));
  k.insmod(loadBytes("unlink_guard"), { args: "protect=/tmp/keep" });
  expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel", "syscall_audit", "unlink_guard"]);
  k.log.clear();
}

describe("overrides stacked", () => {

  it("run newest first: the guard refuses before the audit sees the call", () => {
    load();
    expect(() => sh.unlink("/tmp/keep/f")).toThrow(expect.objectContaining({ code: "EPERM" }));
    expect(dmesg(k)).toEqual([`unlink_guard: refused pid ${sh.task.pid} removing /tmp/keep/f`]);
    touch("/tmp/x");
    k.log.clear();
    sh.unlink("/tmp/x");
    expect(dmesg(k)).toEqual([`syscall_audit: pid ${sh.task.pid} unlinkat("/tmp/x")`]);
  });

  it("unload in load order (the lower one first): the guard then calls the kernel directly", () => {
    load();
    k.rmmod("syscall_audit");
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel", "unlink_guard"]);
    touch("/tmp/x");
    k.log.clear();
    sh.unlink("/tmp/x");
    expect(() => sh.unlink("/tmp/keep/f")).toThrow(expect.objectContaining({ code: "EPERM" }));
    expect(dmesg(k)).toEqual([`unlink_guard: refused pid ${sh.task.pid} removing /tmp/keep/f`]);
    k.rmmod("unlink_guard");
    sh.unlink("/tmp/keep/f");
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel"]);
  });

  it("unload in reverse order: the audit calls the kernel again", () => {
    load();
    k.rmmod("unlink_guard");
    sh.unlink("/tmp/keep/f");
    expect(dmesg(k).at(-1)).toBe(`syscall_audit: pid ${sh.task.pid} unlinkat("/tmp/keep/f")`);
    k.rmmod("syscall_audit");
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel"]);
  });
});

describe("an override whose module died", () => {
  it("is passed over: the call goes to the handler below, and the module's own slot is a hole", () => {
    load();
    k.modules.find("unlink_guard")!.dead = true;
    touch("/tmp/x");
    k.log.clear();
    sh.unlink("/tmp/keep/f");
    expect(dmesg(k)).toEqual([`syscall_audit: pid ${sh.task.pid} unlinkat("/tmp/keep/f")`]);
    k.modules.find("syscall_audit")!.dead = true;
    sh.unlink("/tmp/x");
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel", "syscall_audit", "unlink_guard"]);
    k.rmmod("unlink_guard");
    k.rmmod("syscall_audit");
    expect(k.syscalls.owners(SYSCALLS.unlinkat)).toEqual(["kernel"]);
  });
});

describe("a module that forgets to unregister", () => {
  it("has its handlers removed at rmmod with a warning", () => {
    const mod = k.insmod(loadBytes("sys_hello"));
    k.syscalls.override(mod, SYSCALLS.getpid, () => 7);
    expect(sh.getpid()).toBe(7);
    k.log.clear();
    k.rmmod("sys_hello");
    expect(dmesg(k)).toEqual([
      "sys_hello: system call 335 removed",
      "sys_hello: system call 39 (getpid) still installed at unload; removed",
    ]);
    expect(sh.getpid()).toBe(sh.task.pid);
  });
});

// The toolkit's system call module checks (testing/syscall.ts), as an out-of-tree module runs them: each call
// is one whose result is the same each time it is made in a task.
const AT_FDCWD = -100;
syscallModuleCheck({
  module: loadBytes("sys_hello"), nr: 335, kind: "register",
  call: (libc) => libc.syscall(335, libc.task.mm.sbrk(100), 100),
});
syscallModuleCheck({
  module: loadBytes("syscall_audit"), nr: SYSCALLS.openat, kind: "override",
  call: (libc) => libc.syscall(SYSCALLS.openat, AT_FDCWD, "/nonexistent", 0),
});
syscallModuleCheck({
  module: loadBytes("unlink_guard"), nr: SYSCALLS.unlinkat, kind: "override", chains: false,
  call: (libc) => libc.syscall(SYSCALLS.unlinkat, AT_FDCWD, "/protected/x", 0),
});
