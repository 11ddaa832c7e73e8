// FAT images made by the real tools (dosfstools' mkfs.fat and fsck.fat, mtools' mcopy, mmd, mtype, mdir)
// from a tree on the host, and that tree's contents to compare the kernel's view against.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Whether a host command is on PATH (sbin included: mkfs.fat lives there). */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin:/sbin" command -v ${name}`]).status === 0;
}

export const FAT_TOOLS = ["mkfs.fat", "fsck.fat", "mcopy", "mmd", "mtype", "mdir", "mattrib"] as const;
export const haveFatTools = FAT_TOOLS.every(hasCommand);

/** mtools without its geometry check, in UTC (FAT times are local: the kernel takes them as UTC) and UTF-8. */
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: "1", TZ: "UTC", LC_ALL: "C.UTF-8", PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

/** An mtools or dosfstools command's output, in UTC and without mtools' geometry check. */
export function tool(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { env: MTOOLS_ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Bytes that differ from file to file and from place to place, so a misplaced cluster shows. */
export function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/**
 * The tree the issue names: long and non-ASCII names, a 20-deep directory, a 300-entry directory, a 1 MiB
 * file and an empty one; lowercase 8.3 names (which mtools stores with the NT case bits, not as LFNs).
 */
export function makeTree(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "big.bin"), pattern(1 << 20, 1));
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "README.TXT"), "upper case 8.3\n");
  writeFileSync(join(dir, "A fairly long file name with spaces.text"), "long\n");
  writeFileSync(join(dir, "café.txt"), "non-ASCII 8.3\n");
  writeFileSync(join(dir, "Ünïcödé ñame – long.txt"), pattern(3000, 2));
  writeFileSync(join(dir, "日本語のファイル名.txt"), "CJK\n");
  let deep = join(dir, "deep");
  for (let i = 1; i <= 20; i++) deep = join(deep, `level${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, "bottom.txt"), "twenty levels down\n");
  mkdirSync(join(dir, "many"));
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, "many", `entry number ${String(i).padStart(3, "0")}.dat`), pattern(i * 7, i));
}

export type HostTree = Map<string, Uint8Array | null>;

/** Every path under dir (relative, "/"-separated): a file's bytes, or null for a directory. */
export function hostTree(dir: string, prefix = ""): HostTree {
  const out: HostTree = new Map();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(path).isDirectory()) {
      out.set(rel, null);
      for (const [k, v] of hostTree(path, rel)) out.set(k, v);
    } else out.set(rel, readFileSync(path));
  }
  return out;
}

/** mkfs.fat -F bits of a new image of `kib` KiB, filled with `tree`'s contents by mcopy -s. */
export function makeImage(img: string, bits: 12 | 16 | 32, kib: number, tree?: string, extra: readonly string[] = []): void {
  tool("mkfs.fat", ["-C", "-F", String(bits), ...extra, img, String(kib)]);
  if (tree) tool("mcopy", ["-i", img, "-s", "-p", "-m", ...readdirSync(tree).map((n) => join(tree, n)), "::/"]);
}

/** fsck.fat -n: its exit status and what it said. */
export function fsck(img: string): { status: number; out: string } {
  const r = spawnSync("fsck.fat", ["-n", img], { env: MTOOLS_ENV, encoding: "utf8" });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

/** mtype's bytes of a file in the image. */
export function mtype(img: string, path: string): Uint8Array {
  return execFileSync("mtype", ["-i", img, `::/${path}`], { env: MTOOLS_ENV });
}

/** mdir -b: the image's paths below dir, as mtools sees them. */
export function mdirNames(img: string, dir: string): string[] {
  return tool("mdir", ["-i", img, "-b", `::/${dir}`])
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.replace(/^::\//, "").replace(/\/$/, ""));
}

/** mdir's listing of dir: each entry's 8.3 name ("ALONGC~1.TXT") by its long name. mdir pads an hour
 * before 10:00 with a space (" 1:59"), so the hour may be one digit. */
export function mdirShortNames(img: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of tool("mdir", ["-i", img, `::/${dir}`]).split("\n")) {
    const m = /^(.{8}) (.{3}) .*\d{4}-\d\d-\d\d\s+\d?\d:\d\d\s+(.+)$/.exec(line);
    if (m) out.set(m[3]!, m[1]!.trimEnd() + (m[2]!.trim() ? `.${m[2]!.trim()}` : ""));
  }
  return out;
}

export function mmd(img: string, path: string): void {
  tool("mmd", ["-i", img, `::/${path}`]);
}

/** mcopy -s of the image's whole tree out to a host directory. */
export function mcopyOut(img: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  tool("mcopy", ["-i", img, "-s", "-n", "::/*", dir]);
}

/** Where a FAT12/16 image keeps its FAT and its root directory, from its BPB. */
export interface Layout {
  readonly secSize: number;
  readonly fatStart: number;
  readonly rootStart: number;
  readonly rootBytes: number;
}

export function layout(img: Uint8Array): Layout {
  const v = new DataView(img.buffer, img.byteOffset, img.byteLength);
  const secSize = v.getUint16(11, true);
  const fatStart = v.getUint16(14, true) * secSize;
  const rootStart = fatStart + img[16]! * v.getUint16(22, true) * secSize;
  return { secSize, fatStart, rootStart, rootBytes: v.getUint16(17, true) * 32 };
}

/** The byte offset of a root directory entry of a FAT12/16 image, by its 11-byte short name. */
export function rootEntry(img: Uint8Array, shortName: string): number {
  const { rootStart, rootBytes } = layout(img);
  for (let at = rootStart; at < rootStart + rootBytes; at += 32) {
    if (new TextDecoder().decode(img.subarray(at, at + 11)) === shortName) return at;
  }
  throw new Error(`${shortName}: no such root entry`);
}
