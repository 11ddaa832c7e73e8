// A read check shared by the disk filesystems' tests: files whose blocks interleave on the disk, read back
// at offsets and lengths that start and end inside blocks and run from one extent into the next.

import { expect } from "vitest";
import { O_APPEND, O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import type { Libc } from "../../host/user/nolibc.js";
import { BAD_PTR, neg, sys } from "../vfs_helpers.js";
import { pattern } from "./fat_images.js";

/**
 * Two files appended to in turns, in pieces of uneven sizes, so that each is a run of short extents; every
 * read of them gives the bytes written, and a read into a bad user address is EFAULT and moves nothing.
 */
export function expectExtentReads(libc: Libc, dir: string): void {
  const files = [`${dir}/interleaved a`, `${dir}/interleaved b`];
  const data = [pattern(90_000, 21), pattern(70_000, 22)];
  const fds = files.map((f) => libc.open(f, O_WRONLY | O_CREAT | O_APPEND, 0o644));
  const pieces = [[5000, 3000], [2048, 9000], [13_000, 1]];
  for (let at = [0, 0], turn = 0; at[0]! < data[0]!.length || at[1]! < data[1]!.length; turn++) {
    for (const i of [0, 1]) {
      const n = Math.min(pieces[turn % pieces.length]![i]!, data[i]!.length - at[i]!);
      if (n > 0) libc.write(fds[i]!, data[i]!.subarray(at[i], at[i]! + n));
      at[i]! += n;
    }
  }
  for (const fd of fds) libc.close(fd);
  for (const i of [0, 1]) {
    const fd = libc.open(files[i]!, O_RDONLY);
    const want = data[i]!;
    for (const [off, len] of [[0, want.length], [1, 4095], [4095, 2], [511, 20_000], [7000, 50_000], [want.length - 3, 10]] as const) {
      const got = libc.pread(fd, len, off);
      expect(Buffer.from(got).equals(Buffer.from(want.subarray(off, off + len))), `${files[i]} at ${off}, ${len} bytes`).toBe(true);
    }
    expect(sys(libc, "read", fd, BAD_PTR, 8192)).toBe(neg("EFAULT"));
    expect(Buffer.from(libc.read(fd, 100)).equals(Buffer.from(want.subarray(0, 100)))).toBe(true);
    libc.close(fd);
  }
}
