// ext2 on images made by mke2fs -d from a tree on the host: every name, size and byte compared, then
// written through the kernel and checked by e2fsck -fn and debugfs afterwards.

import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { O_RDONLY } from "../../abi/fcntl.js";
import { S_ISDIR, S_ISLNK, S_ISREG } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliRunner, dmesg, scratchDir, type CliResult } from "../helpers.js";
import {
  HAVE_E2FSPROGS, makeTree, mkfs, okRunner, shareDir, SLOW_TARGET, SPARSE_AT, SPARSE_SIZE, pseudoRandom,
} from "./ext2_images.js";

const scratch = scratchDir("ext2");
afterAll(() => scratch.cleanup());
const tree = join(scratch.dir, "tree");
const golden = join(scratch.dir, "golden.img");

beforeAll(() => {
  if (!HAVE_E2FSPROGS) return;
  makeTree(tree);
  mkfs(golden, 16 * 1024, tree);
});

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let ok: (line: string) => Promise<string>;
let libc: Libc;
beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  ok = okRunner(run);
  libc = k.spawn("test");
  if (HAVE_E2FSPROGS) await shareDir(k, run, scratch.dir);
});

/** Every entry under a host directory and the kernel's, compared by name, type, size and content. */
function compareTrees(host: string, kernel: string): number {
  let compared = 0;
  const hostNames = [...readdirSync(host), ...(kernel === "/mnt/e" ? ["lost+found"] : [])].sort();
  const kernelNames = libc.readdir(kernel).map((e) => e.name).filter((n) => n !== "." && n !== "..").sort();
  expect(kernelNames, kernel).toEqual(hostNames);
  for (const name of hostNames) {
    const kp = `${kernel}/${name}`;
    if (name === "lost+found") {
      expect(libc.readdir(kp).map((e) => e.name).sort()).toEqual([".", ".."]);
      continue;
    }
    const h = lstatSync(join(host, name));
    const st = libc.lstat(kp);
    compared++;
    if (h.isSymbolicLink()) {
      expect(S_ISLNK(st.mode), kp).toBe(true);
      expect(libc.readlink(kp)).toBe(readlinkSync(join(host, name)));
    } else if (h.isDirectory()) {
      expect(S_ISDIR(st.mode), kp).toBe(true);
      compared += compareTrees(join(host, name), kp);
    } else {
      expect(S_ISREG(st.mode), kp).toBe(true);
      expect(st.size, kp).toBe(h.size);
      if (name !== "sparse") expect(Buffer.from(libc.readFile(kp)).equals(readFileSync(join(host, name))), kp).toBe(true);
    }
  }
  return compared;
}

describe.skipIf(!HAVE_E2FSPROGS)("ext2 (needs e2fsprogs: mke2fs, e2fsck, debugfs)", () => {
  it("reads an image mke2fs -d made: every name, type, size and byte of the tree", async () => {
    await ok("mount -t ext2 -o loop,ro /h/golden.img /mnt/e");
    expect(compareTrees(tree, "/mnt/e")).toBeGreaterThan(300 + 20 + 8);
    expect(libc.readlink("/mnt/e/slow")).toBe(SLOW_TARGET);
    const fd = libc.open("/mnt/e/sparse", O_RDONLY);
    for (const at of SPARSE_AT) expect(Buffer.from(libc.pread(fd, 3000, at)).equals(pseudoRandom(3000, at + 7)), `sparse at ${at}`).toBe(true);
    expect([...libc.pread(fd, 16, 1024 * 1024)]).toEqual(new Array(16).fill(0));
    libc.close(fd);
    const st = libc.stat("/mnt/e/sparse");
    expect(st.size).toBe(SPARSE_SIZE);
    expect(st.blocks).toBeLessThan(64);
    expect(dmesg(k).join("\n")).not.toContain("EXT2-fs (loop0): error");
  });
});
