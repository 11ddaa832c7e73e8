// statfs(2) and fstatfs(2)'s refusals; the figures of filesystems that have them are in tests/fs/fat.test.ts and ext2.test.ts.

import { describe, expect, it } from "vitest";
import { MS_RDONLY, O_RDONLY } from "../../abi/fcntl.js";
import { STATFS_LAYOUT } from "../../abi/stat.js";
import { loadBytes } from "../helpers.js";
import { boot, neg, sys, userBuffer, userString } from "../vfs_helpers.js";

describe("statfs", () => {
  it("is ENOSYS, the kernel unchanged, for a filesystem without super_operations.statfs (ramfs's module), on a path and a descriptor", () => {
    const { k, libc } = boot();
    k.insmod(loadBytes("ramfs"));
    libc.mkdir("/mnt/r");
    libc.mount("ramfs", "/mnt/r", "ramfs", MS_RDONLY);
    const buf = userBuffer(libc, STATFS_LAYOUT.size);
    expect(sys(libc, "statfs", userString(libc, "/mnt/r"), buf)).toBe(neg("ENOSYS"));
    const fd = libc.open("/mnt/r", O_RDONLY);
    expect(sys(libc, "fstatfs", fd, buf)).toBe(neg("ENOSYS"));
    libc.close(fd);
  });

  it("is ENOENT for a missing path and EBADF for a bad descriptor", () => {
    const { libc } = boot();
    const buf = userBuffer(libc, STATFS_LAYOUT.size);
    expect(sys(libc, "statfs", userString(libc, "/missing"), buf)).toBe(neg("ENOENT"));
    expect(sys(libc, "fstatfs", 99, buf)).toBe(neg("EBADF"));
  });
});
