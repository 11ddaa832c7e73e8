import { beforeEach, describe, expect, it } from "vitest";
import { ERRNO } from "../../abi/errno.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dropTo, expectRefused } from "../helpers.js";

const neg = (name: keyof typeof ERRNO) => -ERRNO[name][0];
const NO_ID = 0xffffffff;

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
});

const call = (name: keyof typeof SYSCALLS, ...a: number[]) => sh.syscall(SYSCALLS[name], ...a);

describe("credentials", () => {
  it("start as root's for every task, and a forked child has its parent's", () => {
    expect(sh.ids()).toEqual({ uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0, groups: [] });
    dropTo(sh, 1000, 100);
    const child = k.fork(sh);
    expect(child.ids()).toEqual({ uid: 1000, euid: 1000, suid: 1000, gid: 100, egid: 100, sgid: 100, groups: [] });
    expect([child.syscall(SYSCALLS.getuid), child.syscall(SYSCALLS.geteuid), child.syscall(SYSCALLS.getgid), child.syscall(SYSCALLS.getegid)]).toEqual([1000, 1000, 100, 100]);
    expect(k.spawn("other").ids().uid).toBe(0);
  });
});

describe("setuid and setgid", () => {
  it("set all four ids for root, who then has no way back", () => {
    expect(call("setuid", 1000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 1000, euid: 1000, suid: 1000 });
    expect(call("setfsuid", NO_ID)).toBe(1000);
    expect(call("setuid", 0)).toBe(neg("EPERM"));
    expect(call("setgid", 5)).toBe(neg("EPERM"));
  });

  it("let an unprivileged task take only its real or saved id, and only as effective and fs id", () => {
    expect(call("setresuid", 1000, 2000, 3000)).toBe(0);
    expect(call("setuid", 3000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 1000, euid: 3000, suid: 3000 });
    expect(call("setfsuid", NO_ID)).toBe(3000);
    const before = sh.ids();
    expect(call("setuid", 2000)).toBe(neg("EPERM"));
    expect(sh.ids()).toEqual(before);
  });

  it("refuse -1 with EINVAL", () => {
    expect(call("setuid", NO_ID)).toBe(neg("EINVAL"));
    expect(call("setgid", NO_ID)).toBe(neg("EINVAL"));
    expect(sh.ids().uid).toBe(0);
  });
});

describe("setreuid and setregid", () => {
  it("swap real and effective ids, the saved id following the new effective one", () => {
    expect(call("setreuid", 1000, 2000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 1000, euid: 2000, suid: 2000 });
    expect(call("setreuid", 2000, 1000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 2000, euid: 1000, suid: 1000 });
  });

  it("leave the saved id when only the effective id goes back to the real one", () => {
    expect(call("setresuid", 1000, 2000, 3000)).toBe(0);
    expect(call("setreuid", NO_ID, 1000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 1000, euid: 1000, suid: 3000 });
    expect(call("setreuid", NO_ID, 3000)).toBe(0);
    expect(sh.ids()).toMatchObject({ uid: 1000, euid: 3000, suid: 3000 });
  });

  it("give EPERM for an id the task does not hold, changing nothing", () => {
    dropTo(sh, 1000, 1000);
    const before = sh.ids();
    expect(call("setreuid", 0, NO_ID)).toBe(neg("EPERM"));
    expect(call("setreuid", NO_ID, 0)).toBe(neg("EPERM"));
    expect(call("setregid", 0, 0)).toBe(neg("EPERM"));
    expect(sh.ids()).toEqual(before);
  });
});

describe("setresuid and setresgid", () => {
  it("let an unprivileged task permute its three ids but not take another", () => {
    expect(call("setresgid", 10, 20, 30)).toBe(0);
    expect(call("setresuid", 1, 2, 3)).toBe(0);
    expect(call("setresuid", 3, 1, 2)).toBe(0);
    expect(call("setresgid", 30, NO_ID, 10)).toBe(0);
    expect(sh.ids()).toEqual({ uid: 3, euid: 1, suid: 2, gid: 30, egid: 20, sgid: 10, groups: [] });
    expect(call("setfsgid", NO_ID)).toBe(20);
    const before = sh.ids();
    expect(call("setresuid", 4, NO_ID, NO_ID)).toBe(neg("EPERM"));
    expect(call("setresgid", NO_ID, NO_ID, 0)).toBe(neg("EPERM"));
    expect(sh.ids()).toEqual(before);
  });

  it("write through getresuid's pointers, EFAULT for a bad one", () => {
    expect(call("getresuid", 0xfffff000, 0xfffff000, 0xfffff000)).toBe(neg("EFAULT"));
  });
});

describe("setfsuid and setfsgid", () => {
  it("return the old id and take only one of the task's ids, or any for root", () => {
    expect(call("setfsuid", 500)).toBe(0);
    expect(call("setfsuid", NO_ID)).toBe(500);
    dropTo(sh, 1000, 1000);
    expect(call("setfsuid", 0)).toBe(1000);
    expect(call("setfsuid", NO_ID)).toBe(1000);
    expect(call("setfsgid", 7)).toBe(1000);
    expect(call("setfsgid", NO_ID)).toBe(1000);
  });

  it("drop the filesystem capabilities when root's fsuid leaves 0", () => {
    sh.mkdir("/private", 0o700);
    sh.chown("/private", 1000, 1000);
    expect(call("setfsuid", 2000)).toBe(0);
    expect(() => sh.mkdir("/private/x")).toThrow("/private/x: Permission denied");
    expect(call("setfsuid", 0)).toBe(2000);
    sh.mkdir("/private/x");
  });
});

describe("getgroups and setgroups", () => {
  it("keep the list sorted, count it for size 0, EINVAL for a short buffer", () => {
    sh.setgroups([30, 10, 20]);
    expect(sh.ids().groups).toEqual([10, 20, 30]);
    const buf = sh.task.mm.sbrk(8);
    expect(call("getgroups", 0, 0)).toBe(3);
    expect(call("getgroups", 2, buf)).toBe(neg("EINVAL"));
    expect(call("getgroups", -1, buf)).toBe(neg("EINVAL"));
  });

  it("refuse an unprivileged task with EPERM before EINVAL, and root -1 or too many groups", () => {
    const buf = sh.task.mm.sbrk(4);
    sh.task.mm.bytes(buf, 4).fill(0xff);
    expect(call("setgroups", 1, buf)).toBe(neg("EINVAL"));
    expect(call("setgroups", 65537, buf)).toBe(neg("EINVAL"));
    dropTo(sh, 1000, 1000);
    expect(call("setgroups", 65537, buf)).toBe(neg("EPERM"));
    expectRefused(() => sh.ids(), () => sh.setgroups([0]), "EPERM");
  });
});
