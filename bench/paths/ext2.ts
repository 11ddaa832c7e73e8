// ext2: sequential writes and reads of a 16 MiB file in 1 MiB calls, and creating then listing 1,000 files,
// on ext2 over brd and over a loop device (a host image through hostfs), beside ramfs in the same run, and
// debugfs (e2fsprogs, a native program) reading the file back from the image.
//
// A write pass truncates the file, writes it, fsyncs and closes it; a read pass opens it and reads it all
// (through the buffer cache: ext2 keeps no page cache of its own). The images are mke2fs's, 4 KiB blocks.
// Passes are timed in the process's CPU time (synchronous work of this process; wall time on a shared
// machine moved 10x from pass to pass), debugfs, a process of its own, in wall time.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cpuMs, stats } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";

const CHUNK = 1 << 20;
const FILES = 1000;

function seconds(pass: () => void): number {
  const t0 = cpuMs();
  pass();
  return (cpuMs() - t0) / 1000;
}

function wallSeconds(pass: () => void): number {
  const t0 = performance.now();
  pass();
  return (performance.now() - t0) / 1000;
}

/** The three passes on a directory of a mounted filesystem. */
function passes(libc: Libc, dir: string, bytes: number): Record<"write" | "read" | "files", () => void> {
  const buf = libc.task.mm.sbrk(CHUNK);
  const call = (nr: number, ...args: number[]) => {
    const r = libc.syscall(nr, ...args);
    if (r < 0) throw new Error(`bench: system call ${nr} in ${dir} failed with ${r}`);
    return r;
  };
  return {
    write: () => {
      const fd = libc.open(`${dir}/big`, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
      for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.write, fd, buf, CHUNK);
      libc.fsync(fd);
      libc.close(fd);
    },
    read: () => {
      const fd = libc.open(`${dir}/big`, O_RDONLY);
      for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.read, fd, buf, CHUNK);
      libc.close(fd);
    },
    files: () => {
      libc.mkdir(`${dir}/many`);
      for (let i = 0; i < FILES; i++) libc.close(libc.open(`${dir}/many/f${i}`, O_WRONLY | O_CREAT, 0o644));
      if (libc.readdir(`${dir}/many`).length !== FILES + 2) throw new Error(`bench: ${dir}/many does not list ${FILES} files`);
    },
  };
}

/** Remove what the files pass made (not timed). */
function cleanFiles(libc: Libc, dir: string): void {
  for (let i = 0; i < FILES; i++) libc.unlink(`${dir}/many/f${i}`);
  libc.rmdir(`${dir}/many`);
}

export const ext2: BenchPath = {
  name: "ext2",
  async run(ctx) {
    if (spawnSync("sh", ["-c", "command -v mke2fs && command -v debugfs"]).status !== 0) {
      return { skips: [{ id: "ext2", label: "ext2 over brd and loop", reason: "e2fsprogs (mke2fs, debugfs) not installed" }] };
    }
    const mib = ctx.quick ? 2 : 16;
    const bytes = mib * CHUNK;
    const imageMiB = mib * 2 + 8;
    const image = join(ctx.tmp, "ext2.img");
    execFileSync("mke2fs", ["-q", "-F", "-t", "ext2", "-b", "4096", image, `${imageMiB}M`], { stdio: "ignore" });
    const k = new Kernel({ kmallocCap: (imageMiB << 20) + (8 << 20), memoryMaxPages: 2048 });
    const sh = new Session(k, () => {}, (t) => {
      throw new Error(`bench: ${t}`);
    });
    for (const line of [
      `modprobe brd rd_nr=1 rd_size=${imageMiB * 1024}`, "mkdir -p /host /mnt/brd /mnt/loop /mnt/ram", `mount -t hostfs none /host -o ${ctx.tmp}`,
      "mount -t ext2 -o loop /host/ext2.img /mnt/loop", "mount -t ramfs none /mnt/ram",
    ]) sh.exec(line);
    const libc = k.spawn("bench");
    const img = readFileSync(image);
    const fd = libc.open("/dev/ram0", O_WRONLY);
    for (let at = 0; at < img.length; at += 4096) if (img.subarray(at, at + 4096).some((b) => b !== 0)) libc.pwrite(fd, img.subarray(at, at + 4096), at);
    libc.close(fd);
    sh.exec("mount -t ext2 /dev/ram0 /mnt/brd");
    const dirs = { brd: "/mnt/brd", loop: "/mnt/loop", ramfs: "/mnt/ram" };
    const targets = Object.entries(dirs).map(([name, dir]) => [name, dir, passes(libc, dir, bytes)] as const);
    const runs = ctx.quick ? 2 : 5;
    const samples: Record<string, number[]> = {};
    for (let r = 0; r <= runs; r++) {
      for (const [name, dir, p] of targets) {
        const w = seconds(p.write);
        const rd = seconds(p.read);
        const f = seconds(p.files);
        cleanFiles(libc, dir);
        // The first round warms up (V8's tiers, the image's pages in the host's cache).
        if (r === 0) continue;
        (samples[`ext2.${name}_write`] ??= []).push(bytes / 1e6 / w);
        (samples[`ext2.${name}_read`] ??= []).push(bytes / 1e6 / rd);
        (samples[`ext2.${name}_files`] ??= []).push(f * 1000);
      }
      sh.exec("sync");
      (samples["ext2.debugfs_read"] ??= []).push(bytes / 1e6 / wallSeconds(() => execFileSync("debugfs", ["-R", "cat /big", image], { stdio: ["ignore", "ignore", "ignore"] })));
    }
    const label: Record<string, string> = {
      brd: "ext2 over brd (/dev/ram0)", loop: "ext2 over a loop device on a host image via hostfs", ramfs: "ramfs",
      debugfs: "debugfs -R 'cat' of the loop device's image (native e2fsprogs, wall time)",
    };
    const figures: Figure[] = Object.entries(samples).map(([id, s]) => {
      const [name, op] = id.slice("ext2.".length).split("_") as [string, string];
      const what = op === "files" ? `create ${FILES} empty files and list them` : `sequential ${op} of a ${mib} MiB file in 1 MiB calls`;
      return { id, label: `${what}: ${label[name]}`, unit: op === "files" ? "ms" : "MB/s", runs: s.length, iterations: 1, stats: stats(s) };
    });
    sh.exec("umount /mnt/brd");
    sh.exec("umount /mnt/loop");
    return { figures };
  },
};
