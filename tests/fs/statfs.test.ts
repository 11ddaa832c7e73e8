// statfs(2) and fstatfs(2): a filesystem's figures as x86_64's struct statfs, with the mount's flags.

import { describe, expect, it } from "vitest";
import { MS_RDONLY, O_RDONLY } from "../../abi/fcntl.js";
import { STATFS_LAYOUT } from "../../abi/stat.js";
import { loadBytes } from "../helpers.js";
import { boot, neg, statfs, sys, userBuffer, userString } from "../vfs_helpers.js";

describe("statfs", () => {
  it("gives simple_statfs's figures for a filesystem without its own, and the mount's flags", () => {
    const { k, libc } = boot();
    k.insmod(loadBytes("ramfs"));
    libc.mkdir("/mnt/r");
    libc.mount("ramfs", "/mnt/r", "ramfs", MS_RDONLY);
    expect(statfs(libc, "/mnt/r")).toMatchObject({ f_type: 0, f_bsize: 4096, f_blocks: 0, f_bfree: 0, f_namelen: 255, f_frsize: 4096, f_flags: 0x1021 });
    const fd = libc.open("/", O_RDONLY);
    expect(statfs(libc, fd)).toMatchObject({ f_bsize: 4096, f_flags: 0x1020 });
    libc.close(fd);
  });

  it("is ENOENT for a missing path and EBADF for a bad descriptor", () => {
    const { libc } = boot();
    const buf = userBuffer(libc, STATFS_LAYOUT.size);
    expect(sys(libc, "statfs", userString(libc, "/missing"), buf)).toBe(neg("ENOENT"));
    expect(sys(libc, "fstatfs", 99, buf)).toBe(neg("EBADF"));
  });
});
