// The POSIX suite (wasm-lkm/testing's fsConformance) on ext2: an empty filesystem mke2fs made with 4 KiB
// blocks (the other ext2 tests use 1 KiB), written to a RAM disk (brd) before each mount.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { O_WRONLY } from "../../abi/fcntl.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { fsConformance } from "../../testing/index.js";
import { loadBytes } from "../helpers.js";
import { HAVE_E2FSPROGS, mkfs } from "./ext2_images.js";

/** A 4 MiB image made once; only its blocks that hold something are written to the RAM disk. */
function emptyImage(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "ext2-posix-"));
  try {
    mkfs(join(dir, "img"), 4096, undefined, ["-b", "4096"]);
    return new Uint8Array(readFileSync(join(dir, "img")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const image = HAVE_E2FSPROGS ? emptyImage() : new Uint8Array(0);

function onRamDisk(k: Kernel, libc: Libc): void {
  k.insmod(loadBytes("brd"), { args: "rd_nr=1 rd_size=4096" });
  const fd = libc.open("/dev/ram0", O_WRONLY);
  for (let at = 0; at < image.length; at += 4096) {
    const block = image.subarray(at, at + 4096);
    if (block.some((b) => b !== 0)) libc.pwrite(fd, block, at);
  }
  libc.close(fd);
}

describe.skipIf(!HAVE_E2FSPROGS)("ext2 (needs mke2fs)", () =>
  fsConformance({
    type: "ext2",
    module: loadBytes("ext2"),
    source: "/dev/ram0",
    prepare: onRamDisk,
    subdir: "conformance",
    // ext2 counts its indirect blocks in i_blocks, as Linux's does: tests/fs/ext2.test.ts checks st_blocks.
    lacks: ["page blocks"],
  }),
);
