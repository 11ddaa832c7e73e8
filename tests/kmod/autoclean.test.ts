// Demand loading through the real modprobe, and the autoclean sweep on kerneld's idle timer: modules
// loaded on demand go once unused for a whole interval, never while in use, and stacks unwind in one pass.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY } from "../../abi/fcntl.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliSession, dmesg, expectErrno, loadBytes } from "../helpers.js";
import { makeModuleDir, type ModuleDir } from "./moddir.js";

let md: ModuleDir;
let k: Kernel;
let sh: Libc;

beforeAll(async () => {
  md = await makeModuleDir("autoclean", ["memdev", "ramfs", "hello"], 3);
});
afterAll(() => md.cleanup());
beforeEach(() => {
  k = md.kernel();
  sh = cliSession(k).s.libc;
});

const loaded = () => k.modules.list().map((m) => m.name);
const seconds = (n: number) => k.tick(n * 1e9);

describe("demand loading through modprobe", () => {
  it("loads a filesystem's module when mount(2) asks for fs-TYPE, and mounts", () => {
    sh.mkdir("/mnt/r");
    sh.mount("none", "/mnt/r", "ramfs");
    expect(loaded()).toEqual(["ramfs"]);
    expect(k.read("/proc/mounts")).toContain("none /mnt/r ramfs rw,relatime 0 0\n");
  });

  it("loads a driver when a node's major has none, through the module's char-major-1-* alias", () => {
    sh.mknod("/tmp/zero", S_IFCHR | 0o600, makedev(1, 5));
    const fd = sh.open("/tmp/zero", O_RDONLY);
    expect(sh.read(fd, 3)).toEqual(new Uint8Array(3));
    expect(loaded()).toEqual(["memdev"]);
  });

  it("follows modprobe.d: its alias before the modules' own, and a blacklist that keeps the driver out (ENXIO)", () => {
    md.configure("test", "alias fs-ramfs stack0\n");
    sh.mkdir("/mnt/r");
    expectErrno(() => sh.mount("none", "/mnt/r", "ramfs"), "ENODEV");
    expect(loaded()).toEqual(["stack0"]);
    expect(dmesg(k)).toContain("request_module fs-ramfs succeeded, but still no fs?");
    md.configure("test", "blacklist memdev\n");
    sh.mknod("/tmp/zero", S_IFCHR | 0o600, makedev(1, 5));
    expectErrno(() => sh.open("/tmp/zero", O_RDONLY), "ENXIO");
    expect(loaded()).toEqual(["stack0"]);
  });

  it("bounds a request loop an install command makes (modprobe runs mount, which asks again)", () => {
    md.configure("test", "install loopy mount -t loopy none /mnt\nalias fs-loopy loopy\n");
    expectErrno(() => sh.mount("none", "/mnt", "loopy"), "ENODEV");
    expect(dmesg(k).filter((l) => l.startsWith("request_module: runaway loop"))).toEqual(["request_module: runaway loop modprobe fs-loopy"]);
    expect(loaded()).toEqual([]);
  });

  it("marks only what a request loaded as autoclean", () => {
    k.insmod(loadBytes("hello"));
    k.kmod.request("stack-level-1");
    expect(k.modules.list().map((m) => [m.name, m.autoclean])).toEqual([["stack1", true], ["stack0", true], ["hello", false]]);
  });
});

describe("autoclean", () => {
  it("removes an unused demand-loaded module after a whole idle interval, not before", () => {
    k.kmod.request("fs-ramfs");
    seconds(60);
    expect(loaded()).toEqual(["ramfs"]);
    seconds(60);
    expect(loaded()).toEqual([]);
  });

  it("never removes a module while it is in use, and counts its last use as use", () => {
    sh.mkdir("/mnt/r");
    sh.mount("none", "/mnt/r", "ramfs");
    seconds(600);
    expect(loaded()).toEqual(["ramfs"]);
    sh.umount("/mnt/r");
    seconds(60);
    expect(loaded()).toEqual(["ramfs"]);
    seconds(60);
    expect(loaded()).toEqual([]);
  });

  it("spares a module whose code ran since the last sweep", () => {
    sh.mknod("/tmp/zero", S_IFCHR | 0o600, makedev(1, 5));
    sh.close(sh.open("/tmp/zero", O_RDONLY));
    for (let i = 0; i < 5; i++) {
      seconds(60);
      sh.close(sh.open("/tmp/zero", O_RDONLY));
    }
    expect(loaded()).toEqual(["memdev"]);
    seconds(120);
    expect(loaded()).toEqual([]);
  });

  it("unwinds a demand-loaded stack in one sweep once its top goes", () => {
    k.kmod.request("stack-level-2");
    seconds(60);
    expect(loaded()).toEqual(["stack2", "stack1", "stack0"]);
    seconds(60);
    expect(loaded()).toEqual([]);
  });

  it("leaves modules loaded by hand, and those a hand-loaded module uses", () => {
    k.kmod.request("stack-level-0");
    const { s } = cliSession(k);
    s.exec("modprobe stack1");
    seconds(600);
    expect(loaded()).toEqual(["stack1", "stack0"]);
  });

  it("sweeps at the interval the kernel was booted with", () => {
    k = md.kernel({ autocleanDelay: 5 });
    cliSession(k);
    k.kmod.request("fs-ramfs");
    seconds(9);
    expect(loaded()).toEqual(["ramfs"]);
    seconds(1);
    expect(loaded()).toEqual([]);
  });

  it("keeps its idle timer deferrable: a task with nothing to wake it is not kept waiting by it", () => {
    k.kmod.request("fs-ramfs");
    expect(k.clock.nextTimerNs()).toBeNull();
  });
});
