// vfat through the tree's POSIX conformance suite (wasm-lkm/testing's fsConformance), on a volume made by
// mkfs.fat and put on a RAM disk in each fresh kernel; what FAT lacks is declared, and tests/fs/fat.test.ts
// shows how vfat behaves there instead (EPERM for symlinks and device nodes, modes from the mount's masks,
// st_blocks by clusters).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { O_WRONLY } from "../../abi/fcntl.js";
import { fsConformance } from "../../testing/index.js";
import { loadBytes, scratchDir } from "../helpers.js";
import { haveFatTools, makeImage } from "./fat_images.js";

const scratch = scratchDir("fat-posix");
afterAll(() => scratch.cleanup());

/** An empty FAT16 volume of 8 MiB in 512-byte clusters, made once. */
function volume(): Uint8Array {
  const img = join(scratch.dir, "posix.img");
  makeImage(img, 16, 8192, undefined, ["-s", "1"]);
  return readFileSync(img);
}

const image = haveFatTools ? volume() : new Uint8Array(0);

describe.skipIf(!haveFatTools)(`vfat${haveFatTools ? "" : " (needs mkfs.fat: skipped, it is not installed)"}`, () => {
  fsConformance({
    type: "vfat",
    module: "vfat",
    source: "/dev/ram0",
    lacks: ["symlinks", "device nodes", "unix permissions", "page blocks"],
    prepare: (kernel, libc) => {
      kernel.insmod(loadBytes("brd"), { args: "rd_nr=1 rd_size=8192" });
      const fd = libc.open("/dev/ram0", O_WRONLY);
      libc.write(fd, image);
      libc.close(fd);
    },
  });
});
