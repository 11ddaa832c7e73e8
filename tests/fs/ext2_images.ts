// ext2 images for the tests, made by the real e2fsprogs from a tree on the host, and the kernel side that
// mounts them: hostfs shows the image's directory, and mount -o loop puts a loop device over the image.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, openSync, closeSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { Kernel } from "../../host/init/main.js";
import type { CliResult } from "../helpers.js";

/** Whether a program is on the PATH (the e2fsprogs tools; CI installs them). */
export function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

export const HAVE_E2FSPROGS = ["mke2fs", "e2fsck", "debugfs"].every(haveTool);

/** Deterministic bytes (xorshift), so a mismatch is reproducible. */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const LONG_NAME = `${"l".repeat(250)}.long`;
export const NON_ASCII = "héllo wörld ñ 日本語 ✓.txt";
export const SLOW_TARGET = `${"target-of-a-slow-symlink/".repeat(6)}one_mib.bin`;
/** Where the sparse file's data lies: at 0, in the double indirect range, and past 64 MiB (triple indirect with 1 KiB blocks). */
export const SPARSE_AT = [0, 5 * 1024 * 1024 + 123, 66 * 1024 * 1024 + 7] as const;
export const SPARSE_SIZE = 66 * 1024 * 1024 + 4096;

/** The tree the issue asks for: long and non-ASCII names, 20 levels deep, 300 entries, 1 MiB, empty, symlinks, sparse. */
export function makeTree(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LONG_NAME), "a long name\n");
  writeFileSync(join(dir, NON_ASCII), "non-ASCII name\n");
  let deep = join(dir, "deep");
  for (let i = 1; i <= 20; i++) deep = join(deep, `level${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "bottom.txt"), "twenty levels down\n");
  mkdirSync(join(dir, "many"));
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, "many", `entry-${String(i).padStart(3, "0")}`), `entry ${i}\n`);
  writeFileSync(join(dir, "one_mib.bin"), pseudoRandom(1024 * 1024));
  writeFileSync(join(dir, "empty"), "");
  symlinkSync("one_mib.bin", join(dir, "fast"));
  symlinkSync(SLOW_TARGET, join(dir, "slow"));
  const fd = openSync(join(dir, "sparse"), "w");
  for (const at of SPARSE_AT) writeSync(fd, pseudoRandom(3000, at + 7), 0, 3000, at);
  closeSync(fd);
  execFileSync("truncate", ["-s", String(SPARSE_SIZE), join(dir, "sparse")]);
}

/** mke2fs -t ext2 of `kib` KiB with 1 KiB blocks (unless extra says -b), from tree when given. */
export function mkfs(image: string, kib: number, tree?: string, extra: readonly string[] = ["-b", "1024"]): void {
  const args = ["-q", "-F", "-t", "ext2", ...extra, ...(tree ? ["-d", tree] : []), image, `${kib}k`];
  execFileSync("mke2fs", args, { stdio: "pipe", env: { ...process.env, E2FSPROGS_FAKE_TIME: "1700000000" } });
}

/** e2fsck -fn: its exit status and what it said (0: clean). */
export function fsck(image: string): { status: number; out: string } {
  const r = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** debugfs -R 'cat PATH': the file's bytes as e2fsprogs reads them. */
export function debugfsCat(image: string, path: string): Buffer {
  return execFileSync("debugfs", ["-R", `cat "${path}"`, image], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 });
}

/** What a debugfs request prints. */
export function debugfs(image: string, request: string): string {
  return execFileSync("debugfs", ["-R", request, image], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

/** A command line that must succeed; its output. */
export function okRunner(run: (line: string) => Promise<CliResult>): (line: string) => Promise<string> {
  return async (line) => {
    const r = await run(line);
    expect(r, line).toMatchObject({ status: 0, err: "" });
    return r.out;
  };
}

/** Show the host directory `dir` at /h in the kernel (hostfs), so that images in it can be loop-mounted. */
export async function shareDir(k: Kernel, run: (line: string) => Promise<CliResult>, dir: string): Promise<void> {
  const ok = okRunner(run);
  await ok("mkdir -p /h /mnt/e");
  await ok(`mount -t hostfs none /h -o ${dir}`);
  void k;
}
