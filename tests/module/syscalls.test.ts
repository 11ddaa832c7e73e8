// init_module, finit_module and delete_module (host/module/syscalls.ts): CAP_SYS_MODULE first.

import { beforeEach, describe, expect, it } from "vitest";
import { ERRNO } from "../../abi/errno.js";
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliSession, dropTo, loadBytes, snapshot } from "../helpers.js";

const neg = (name: keyof typeof ERRNO) => -ERRNO[name][0];

let k: Kernel;
let root: Libc;
beforeEach(() => {
  k = new Kernel();
  root = k.spawn("sh");
});

/** Put bytes in the task's memory: their address. */
function user(libc: Libc, bytes: Uint8Array): number {
  const ptr = libc.task.mm.sbrk(bytes.length);
  libc.task.mm.bytes(ptr, bytes.length).set(bytes);
  return ptr;
}

const cstr = (libc: Libc, s: string) => user(libc, new TextEncoder().encode(`${s}\0`));

describe("init_module and delete_module", () => {
  it("load and unload for root", () => {
    const bytes = loadBytes("hello");
    expect(root.syscall(SYSCALLS.init_module, user(root, bytes), bytes.length, cstr(root, "who=root"))).toBe(0);
    expect(k.modules.find("hello")).toBeDefined();
    expect(root.syscall(SYSCALLS.delete_module, cstr(root, "hello"), 0)).toBe(0);
    expect(k.modules.find("hello")).toBeUndefined();
  });

  it("give EPERM to a task that is not root, before reading anything, and change nothing", () => {
    const user1000 = dropTo(k.spawn("user"), 1000, 1000);
    const bytes = loadBytes("hello");
    const before = snapshot(k);
    expect(user1000.syscall(SYSCALLS.init_module, user(user1000, bytes), bytes.length, 0)).toBe(neg("EPERM"));
    expect(user1000.syscall(SYSCALLS.init_module, 0xfffff000, 100, 0)).toBe(neg("EPERM"));
    expect(user1000.syscall(SYSCALLS.finit_module, 999, 0, 0xff)).toBe(neg("EPERM"));
    expect(snapshot(k)).toEqual(before);
    k.insmod(loadBytes("hello"));
    expect(user1000.syscall(SYSCALLS.delete_module, cstr(user1000, "hello"), 0)).toBe(neg("EPERM"));
    expect(k.modules.find("hello")).toBeDefined();
  });
});

describe("finit_module", () => {
  it("loads the file a descriptor reads, EINVAL for an unknown flag, EBADF for a write-only descriptor", () => {
    const fd = root.open("/hello.wasm", O_CREAT | O_WRONLY | O_TRUNC, 0o644);
    root.write(fd, loadBytes("hello"));
    const empty = cstr(root, "");
    expect(root.syscall(SYSCALLS.finit_module, fd, empty, 0)).toBe(neg("EBADF"));
    const rd = root.open("/hello.wasm", O_RDONLY);
    expect(root.syscall(SYSCALLS.finit_module, rd, empty, 8)).toBe(neg("EINVAL"));
    expect(root.syscall(SYSCALLS.finit_module, rd, empty, 0)).toBe(0);
    expect(k.modules.find("hello")).toBeDefined();
  });
});

describe("insmod and rmmod as a user", () => {
  it("print kmod's errors for EPERM and leave the kernel as it was", () => {
    k.insmod(loadBytes("sys_hello"));
    const before = snapshot(k);
    const { s, err } = cliSession(k);
    dropTo(s.libc, 1000, 1000);
    expect(s.exec("insmod hello")).toBe(1);
    expect(s.exec("rmmod sys_hello")).toBe(1);
    s.close();
    expect(err.join("")).toBe(
      "insmod: ERROR: could not insert module hello: Operation not permitted\n" +
        "rmmod: ERROR: could not remove module sys_hello: Operation not permitted\n",
    );
    expect(snapshot(k)).toEqual(before);
  });
});
