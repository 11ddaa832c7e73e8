// /sys/module through the VFS: parameters, refcnt and holders as Linux lays them out.

import { beforeEach, describe, expect, it } from "vitest";
import { O_WRONLY } from "../../abi/fcntl.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { loadBytes } from "../helpers.js";

let k: Kernel;
let sh: Libc;
beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  k.insmod(loadBytes("counter"));
  k.insmod(loadBytes("counter_user"));
});

const names = (path: string) => sh.readdir(path).map((d) => d.name).filter((n) => !n.startsWith(".")).sort();

describe("/sys/module", () => {
  it("has a directory per module with holders, initstate, refcnt and taint", () => {
    expect(names("/sys/module")).toEqual(["counter", "counter_user"]);
    expect(names("/sys/module/counter")).toEqual(["holders", "initstate", "refcnt", "srcversion", "taint", "version"]);
    expect(sh.stat("/sys/module/counter/holders").mode & S_IFMT).toBe(S_IFDIR);
    expect(sh.stat("/sys/module/counter/refcnt").mode).toBe(S_IFREG | 0o444);
    expect(sh.stat("/sys/module/counter/refcnt").size).toBe(4096);
  });

  it("links each user under the provider's holders", () => {
    expect(names("/sys/module/counter/holders")).toEqual(["counter_user"]);
    expect(sh.lstat("/sys/module/counter/holders/counter_user").mode & S_IFMT).toBe(S_IFLNK);
    expect(sh.readlink("/sys/module/counter/holders/counter_user")).toBe("../../counter_user");
    expect(names("/sys/module/counter/holders/counter_user")).toContain("refcnt");
    expect(names("/sys/module/counter_user/holders")).toEqual([]);
    expect(k.read("/sys/module/counter/refcnt")).toBe("1\n");
  });

  it("drops the holder link and the directory as modules go, even for a cached lookup", () => {
    expect(k.read("/sys/module/counter_user/initstate")).toBe("live\n");
    k.rmmod("counter_user");
    expect(names("/sys/module/counter/holders")).toEqual([]);
    expect(() => sh.stat("/sys/module/counter_user/initstate")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(k.read("/sys/module/counter/refcnt")).toBe("0\n");
  });

  it("refuses to open a read-only attribute for writing with EACCES", () => {
    expect(() => sh.open("/sys/module/counter/refcnt", O_WRONLY)).toThrow(expect.objectContaining({ code: "EACCES" }));
  });
});
