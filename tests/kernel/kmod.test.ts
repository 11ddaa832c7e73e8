// request_module(): what the kernel asks user space for, when, and the bounds on it. The helper here is
// scripted, so these tests see exactly the argv the kernel runs; tests/kmod/ runs the real modprobe.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import { MAX_KMOD_CONCURRENT } from "../../host/kernel/kmod.js";
import type { Libc } from "../../host/user/nolibc.js";
import { dmesg, expectErrno, loadBytes } from "../helpers.js";
import { neg } from "../vfs_helpers.js";

let k: Kernel;
let sh: Libc;
let asked: string[][];

/** A kernel daemon that records each request and loads `modules[name]` when there is one. */
function helper(modules: Record<string, string> = {}): void {
  k.kmod.usermodehelper = (argv) => {
    asked.push([...argv]);
    const mod = modules[argv.at(-1)!];
    if (!mod) return 1;
    k.insmod(loadBytes(mod));
    return 0;
  };
}

beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  asked = [];
});

describe("request_module", () => {
  it("runs modprobe_path with -q -- NAME and returns its exit status", () => {
    helper({ "fs-ramfs": "ramfs" });
    expect(k.kmod.request("fs-ramfs")).toBe(0);
    expect(k.kmod.request("nothing")).toBe(1);
    expect(asked).toEqual([["/sbin/modprobe", "-q", "--", "fs-ramfs"], ["/sbin/modprobe", "-q", "--", "nothing"]]);
  });

  it("runs the program /proc/sys/kernel/modprobe names, and none when it is empty (ENOENT)", () => {
    helper();
    k.write("/proc/sys/kernel/modprobe", "/usr/local/sbin/modprobe\n");
    expect(k.read("/proc/sys/kernel/modprobe")).toBe("/usr/local/sbin/modprobe\n");
    k.kmod.request("x");
    expect(asked[0]![0]).toBe("/usr/local/sbin/modprobe");
    k.write("/proc/sys/kernel/modprobe", "\n");
    expect(k.kmod.request("x")).toBe(neg("ENOENT"));
    expect(asked.length).toBe(1);
  });

  it("fails with ENOENT while no user space has given the kernel a helper", () => {
    expect(k.kmod.request("fs-ramfs")).toBe(neg("ENOENT"));
  });

  it("refuses a name that does not fit MODULE_NAME_LEN with its NUL (ENAMETOOLONG)", () => {
    helper();
    expect(k.kmod.request("x".repeat(55))).toBe(1);
    expect(k.kmod.request("x".repeat(56))).toBe(neg("ENAMETOOLONG"));
    expect(asked.length).toBe(1);
  });

  it("bounds nested requests at 50 and calls the 51st a runaway loop (ENOMEM), logging it at most 5 times", () => {
    const depths: number[] = [];
    let depth = 0;
    k.kmod.usermodehelper = () => {
      depth++;
      const ret = k.kmod.request(`loop-${depth}`);
      depths.push(ret);
      depth--;
      return ret === 0 ? 0 : 1;
    };
    expect(k.kmod.request("loop-0")).toBe(1);
    expect(depths[0]).toBe(neg("ENOMEM"));
    expect(depths.length).toBe(MAX_KMOD_CONCURRENT);
    for (let i = 0; i < 6; i++) k.kmod.request("again");
    const loops = dmesg(k).filter((l) => l.startsWith("request_module: runaway loop modprobe"));
    expect(loops).toEqual(Array(5).fill("request_module: runaway loop modprobe loop-50"));
  });

  it("marks the modules a request brought in autoclean, and only those", () => {
    k.insmod(loadBytes("hello"));
    helper({ "symbol:counter_add": "counter" });
    k.kmod.request("symbol:counter_add");
    expect(k.modules.find("counter")!.autoclean).toBe(true);
    expect(k.modules.find("hello")!.autoclean).toBe(false);
  });
});

describe("demand loading in the kernel", () => {
  it("asks for fs-TYPE when mount(2) meets an unknown type, then mounts", () => {
    helper({ "fs-ramfs": "ramfs" });
    sh.mkdir("/mnt/r");
    sh.mount("none", "/mnt/r", "ramfs");
    expect(asked).toEqual([["/sbin/modprobe", "-q", "--", "fs-ramfs"]]);
    expect(k.read("/proc/mounts")).toContain("none /mnt/r ramfs rw,relatime 0 0\n");
  });

  it("asks with the name cut at a '.', and refuses a subtype even once the type is there (ENODEV)", () => {
    helper({ "fs-ramfs": "ramfs" });
    sh.mkdir("/mnt/r");
    expectErrno(() => sh.mount("none", "/mnt/r", "ramfs.sub"), "ENODEV");
    expect(asked.map((a) => a[3])).toEqual(["fs-ramfs"]);
    expect(k.modules.find("ramfs")).toBeDefined();
  });

  it("gives ENODEV when modprobe fails, and warns once when it succeeds but brings no filesystem", () => {
    helper({ "fs-hello": "hello" });
    sh.mkdir("/mnt/r");
    expectErrno(() => sh.mount("none", "/mnt/r", "nosuchfs"), "ENODEV");
    expectErrno(() => sh.mount("none", "/mnt/r", "hello"), "ENODEV");
    k.rmmod("hello");
    expectErrno(() => sh.mount("none", "/mnt/r", "hello"), "ENODEV");
    expect(dmesg(k).filter((l) => l.includes("still no fs"))).toEqual(["request_module fs-hello succeeded, but still no fs?"]);
  });

  it("asks for char-major-M-m when a node's major has no driver, then opens it", () => {
    helper({ "char-major-1-5": "memdev" });
    sh.mknod("/tmp/zero", S_IFCHR | 0o600, makedev(1, 5));
    const fd = sh.open("/tmp/zero", O_RDONLY);
    expect(sh.read(fd, 4)).toEqual(new Uint8Array(4));
    expect(asked.map((a) => a[3])).toEqual(["char-major-1-5"]);
  });

  it("falls back to char-major-M when modprobe fails on char-major-M-m, and is ENXIO with neither", () => {
    helper({ "char-major-1": "memdev" });
    sh.mknod("/tmp/zero", S_IFCHR | 0o600, makedev(1, 5));
    sh.close(sh.open("/tmp/zero", O_RDONLY));
    sh.mknod("/tmp/none", S_IFCHR | 0o600, makedev(99, 1));
    expectErrno(() => sh.open("/tmp/none", O_RDONLY), "ENXIO");
    expect(asked.map((a) => a[3])).toEqual(["char-major-1-5", "char-major-1", "char-major-99-1", "char-major-99"]);
  });
});
