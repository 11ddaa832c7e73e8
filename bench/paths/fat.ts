// Disk filesystems: a 16 MiB file written and read sequentially (1 MiB system calls) and 1,000 files
// created and listed, on vfat over brd and over a loop device (a host image through hostfs), beside ramfs
// in the same run; and mtools reading the same file out of the image, as a user outside the kernel would.
//
// Writes end with fsync, so the data reaches the device; reads go through the buffer cache, as Linux's
// second read of a file does. Figures are MB/s (higher is better), and ms for the 1,000 files, in the
// process's CPU time: every pass is synchronous work of this process, and on a shared machine the wall
// time of one moved 10x from pass to pass with what the other work did.

import { execFileSync, spawnSync } from "node:child_process";
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
const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: "1", PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

function ms(fn: () => void): number {
  const t0 = cpuMs();
  fn();
  return cpuMs() - t0;
}

/** mtype runs in a process of its own: its wall time. */
function wallMs(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** The four operations on a directory of a mounted filesystem. */
function operations(libc: Libc, dir: string, bytes: number): Record<string, () => number> {
  const buf = libc.task.mm.sbrk(CHUNK);
  const call = (nr: number, ...args: number[]) => {
    const r = libc.syscall(nr, ...args);
    if (r < 0) throw new Error(`bench: system call ${nr} in ${dir} failed with ${r}`);
    return r;
  };
  const mbs = (t: number) => bytes / 1e6 / (t / 1000);
  return {
    write: () =>
      mbs(ms(() => {
        const fd = libc.open(`${dir}/seq.bin`, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
        for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.write, fd, buf, CHUNK);
        libc.fsync(fd);
        libc.close(fd);
      })),
    read: () =>
      mbs(ms(() => {
        const fd = libc.open(`${dir}/seq.bin`, O_RDONLY);
        for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.read, fd, buf, CHUNK);
        libc.close(fd);
      })),
    files: () => {
      const t = ms(() => {
        libc.mkdir(`${dir}/many`);
        for (let i = 0; i < FILES; i++) libc.close(libc.open(`${dir}/many/file${i}`, O_WRONLY | O_CREAT, 0o644));
        if (libc.readdir(`${dir}/many`).length !== FILES + 2) throw new Error(`bench: ${dir}/many does not list ${FILES} files`);
      });
      for (let i = 0; i < FILES; i++) libc.unlink(`${dir}/many/file${i}`);
      libc.rmdir(`${dir}/many`);
      return t;
    },
  };
}

export const fat: BenchPath = {
  name: "fat",
  async run(ctx) {
    const have = ["mkfs.fat", "mtype"].every((t) => spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin:/sbin" command -v ${t}`]).status === 0);
    if (!have) return { skips: [{ id: "fat", label: "vfat over brd and loop", reason: "mkfs.fat and mtools are not installed" }] };
    const mib = ctx.quick ? 2 : 16;
    const bytes = mib * CHUNK;
    // FAT16 with 4 KiB clusters needs 4,085 of them at least.
    const volumeMiB = Math.max(mib + 8, 20);
    const image = join(ctx.tmp, "fat.img");
    execFileSync("mkfs.fat", ["-C", "-F", "16", "-s", "8", image, String(volumeMiB * 1024)], { env: MTOOLS_ENV, stdio: "ignore" });
    const k = new Kernel({ kmallocCap: 3 * volumeMiB * CHUNK, memoryMaxPages: 2048 });
    const sh = new Session(k, () => {}, (t) => {
      throw new Error(`bench: ${t}`);
    });
    for (const line of [
      `modprobe brd rd_nr=1 rd_size=${volumeMiB * 1024}`, "mkdir /host /brd /loop /ram", `mount -t hostfs none /host -o ${ctx.tmp}`,
      "dd if=/host/fat.img of=/dev/ram0 bs=1M status=none", "mount -t vfat /dev/ram0 /brd", "mount -t vfat -o loop /host/fat.img /loop",
      "modprobe ramfs", "mount -t ramfs none /ram",
    ]) sh.exec(line);
    const libc = k.spawn("bench");
    const targets = { ramfs: operations(libc, "/ram", bytes), vfat_brd: operations(libc, "/brd", bytes), vfat_loop: operations(libc, "/loop", bytes) };
    const runs = ctx.quick ? 2 : 7;
    const samples: Record<string, number[]> = {};
    for (let r = 0; r <= runs; r++) {
      for (const [name, ops] of Object.entries(targets)) {
        for (const [op, fn] of Object.entries(ops)) {
          const v = fn();
          if (r > 0) (samples[`fat.${name}_${op}`] ??= []).push(v);
        }
      }
    }
    sh.exec("umount /loop");
    const mtypeRuns: number[] = [];
    for (let r = 0; r <= runs; r++) {
      const t = wallMs(() => execFileSync("mtype", ["-i", image, "::/seq.bin"], { env: MTOOLS_ENV, maxBuffer: 2 * bytes }));
      if (r > 0) mtypeRuns.push(bytes / 1e6 / (t / 1000));
    }
    samples["fat.mtools_read"] = mtypeRuns;
    const where: Record<string, string> = {
      ramfs: "ramfs", vfat_brd: "vfat (FAT16, 4 KiB clusters) over brd", vfat_loop: "vfat over a loop device on a host image via hostfs",
      mtools: "mtype reading the loop device's image on the host (a process per run, wall time)",
    };
    const figures: Figure[] = Object.entries(samples).map(([id, s]) => {
      const [name, op] = id.slice("fat.".length).split(/_(?=[a-z]+$)/) as [string, string];
      const label = op === "files" ? `create and list ${FILES} files: ${where[name]}` : `sequential ${op}, ${mib} MiB in 1 MiB calls: ${where[name]}`;
      return { id, label, unit: op === "files" ? "ms" : "MB/s", runs: s.length, iterations: 1, stats: stats(s) };
    });
    return { figures };
  },
};
