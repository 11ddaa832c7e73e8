// sysfs (host/fs/sysfs.ts, host/fs/kernfs_mount.ts) as a task sees it through the VFS:
// /sys/module/NAME/{parameters,refcnt} as modules come and go.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { S_IFDIR, S_IFREG } from "../../abi/stat.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliSession, expectErrno, loadBytes, moduleFixtures } from "../helpers.js";
import { boot, names, text } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
beforeEach(() => {
  ({ k, libc } = boot());
});

const read = (path: string) => text(libc.readFile(path));

/** echo VALUE > PATH from the test task. */
function echo(path: string, value: string): void {
  const fd = libc.open(path, O_WRONLY);
  try {
    libc.write(fd, value);
  } finally {
    libc.close(fd);
  }
}

describe("/sys/module/NAME", () => {
  it("appears with the module's attributes at insmod and goes at rmmod", () => {
    expect(names(libc, "/sys/module")).toEqual([]);
    k.insmod(loadBytes("hello"));
    expect(names(libc, "/sys/module")).toEqual(["hello"]);
    expect(names(libc, "/sys/module/hello")).toEqual(["holders", "initstate", "parameters", "refcnt", "srcversion", "taint", "version"]);
    expect(libc.stat("/sys/module/hello/parameters").mode).toBe(S_IFDIR | 0o755);
    expect(read("/sys/module/hello/initstate")).toBe("live\n");
    k.rmmod("hello");
    expect(names(libc, "/sys/module")).toEqual([]);
    expectErrno(() => libc.stat("/sys/module/hello"), "ENOENT");
  });

  it("counts in refcnt the modules that use this one", () => {
    k.insmod(loadBytes("counter"));
    expect(read("/sys/module/counter/refcnt")).toBe("0\n");
    k.insmod(loadBytes("counter_user"));
    expect(read("/sys/module/counter/refcnt")).toBe("1\n");
    k.rmmod("counter_user");
    expect(read("/sys/module/counter/refcnt")).toBe("0\n");
  });
});

describe("/sys/module/NAME/parameters", () => {
  beforeEach(() => {
    k.insmod(loadBytes("hello"), { args: "who=kernel count=3" });
  });

  it("shows each parameter as a page-sized file with its permission, taking no blocks", () => {
    expect(names(libc, "/sys/module/hello/parameters")).toEqual(["count", "who"]);
    expect(libc.stat("/sys/module/hello/parameters/who")).toMatchObject({ mode: S_IFREG | 0o644, size: 4096, blocks: 0 });
    expect(libc.stat("/sys/module/hello/parameters/count").mode).toBe(S_IFREG | 0o444);
    expect(read("/sys/module/hello/parameters/who")).toBe("kernel\n");
    expect(read("/sys/module/hello/parameters/count")).toBe("3\n");
  });

  it("takes a new value written to a writable parameter (a charp keeps a newline, as Linux's does)", () => {
    echo("/sys/module/hello/parameters/who", "sysfs");
    expect(read("/sys/module/hello/parameters/who")).toBe("sysfs\n");
    echo("/sys/module/hello/parameters/who", "echo\n");
    expect(read("/sys/module/hello/parameters/who")).toBe("echo\n\n");
  });

  it("refuses to open a read-only parameter for writing (EACCES) and a charp longer than 1024 bytes (ENOSPC)", () => {
    expectErrno(() => libc.open("/sys/module/hello/parameters/count", O_WRONLY), "EACCES");
    expectErrno(() => echo("/sys/module/hello/parameters/who", "x".repeat(1025)), "ENOSPC");
    expect(read("/sys/module/hello/parameters/who")).toBe("kernel\n");
  });

  it("answers ENODEV on a descriptor opened before the module was removed", () => {
    const r = libc.open("/sys/module/hello/parameters/who", O_RDONLY);
    const w = libc.open("/sys/module/hello/parameters/who", O_WRONLY);
    k.rmmod("hello");
    expectErrno(() => libc.read(r, 100), "ENODEV");
    expectErrno(() => libc.write(w, "late\n"), "ENODEV");
    libc.close(r);
    libc.close(w);
  });
});

/** A module whose charp parameter it sets itself to 200,000 characters, past anything a store could give it. */
const LONG_CHARP = `
MODULE_LICENSE("GPL");
export let motto: string = "short";
module_param(motto, charp, 0o444);
export function init_module(): i32 {
  motto = "m".repeat(199999) + "!";
  return 0;
}
export function cleanup_module(): void {}
`;

describe("a sysfs attribute longer than a page", () => {
  const fixtures = moduleFixtures("sysfs", { long_charp: LONG_CHARP });

  it("reads as its first PAGE_SIZE - 1 bytes, the newline cut off, as sysfs_emit() fills a page", () => {
    k.insmod(fixtures.get("long_charp")!);
    expect(read("/sys/module/long_charp/parameters/motto")).toBe("m".repeat(4095));
  });

  it("is what cat prints", () => {
    k.insmod(fixtures.get("long_charp")!);
    const { s, out, err } = cliSession(k);
    expect(s.exec("cat /sys/module/long_charp/parameters/motto")).toBe(0);
    expect([out.join(""), err.join("")]).toEqual(["m".repeat(4095), ""]);
  });
});
