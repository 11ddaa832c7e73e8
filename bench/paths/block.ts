// Block devices: sequential reads and writes of a whole device through the buffer cache, in 1 MiB
// system calls, on brd, on a loop device over a host image (through hostfs), and on the emulated IDE disk
// backed by the same image, next to reading and writing that image file on the host directly.
//
// Each run opens the device, moves all of it, (for writes) fsyncs, and closes it: the last close drops
// the clean buffers, so every read run reaches the driver. Figures are MB/s (10^6 bytes a second) of
// wall time; higher is better, so a figure's "min" is its slowest run.

import { closeSync, fsyncSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Session } from "../../host/cli/session.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { stats } from "../measure.js";
import type { BenchPath, Figure } from "../path.js";

const CHUNK = 1 << 20;

/** One pass over a device or file: `bytes` moved, a chunk at a time; the MB/s it took. */
function rate(bytes: number, pass: () => void): number {
  const t0 = performance.now();
  pass();
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}

/** A read pass and a write pass over a block device, through the kernel's system calls. */
function devicePasses(libc: Libc, dev: string, bytes: number): { read: () => void; write: () => void } {
  const buf = libc.task.mm.sbrk(CHUNK);
  const call = (nr: number, ...args: number[]) => {
    const r = libc.syscall(nr, ...args);
    if (r < 0) throw new Error(`bench: system call ${nr} on ${dev} failed with ${r}`);
    return r;
  };
  return {
    read: () => {
      const fd = libc.open(dev, O_RDONLY);
      for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.read, fd, buf, CHUNK);
      libc.close(fd);
    },
    write: () => {
      const fd = libc.open(dev, O_WRONLY);
      for (let at = 0; at < bytes; at += CHUNK) call(SYSCALLS.write, fd, buf, CHUNK);
      libc.fsync(fd);
      libc.close(fd);
    },
  };
}

function hostPasses(file: string, bytes: number): { read: () => void; write: () => void } {
  const buf = new Uint8Array(CHUNK);
  const pass = (flags: string, move: (fd: number, pos: number) => number) => () => {
    const fd = openSync(file, flags);
    for (let at = 0; at < bytes; at += CHUNK) move(fd, at);
    if (flags !== "r") fsyncSync(fd);
    closeSync(fd);
  };
  return {
    read: pass("r", (fd, pos) => readSync(fd, buf, 0, CHUNK, pos)),
    write: pass("r+", (fd, pos) => writeSync(fd, buf, 0, CHUNK, pos)),
  };
}

export const block: BenchPath = {
  name: "block",
  async run(ctx) {
    const mib = ctx.quick ? 2 : 16;
    const bytes = mib * CHUNK;
    const image = join(ctx.tmp, "disk.img");
    writeFileSync(image, new Uint8Array(bytes));
    const k = new Kernel({ kmallocCap: bytes + (8 << 20), memoryMaxPages: 1024 });
    const sh = new Session(k, () => {}, (t) => {
      throw new Error(`bench: ${t}`);
    });
    for (const line of [
      `modprobe brd rd_nr=1 rd_size=${mib * 1024}`, "mkdir /host", `mount -t hostfs none /host -o ${ctx.tmp}`,
      "losetup /dev/loop0 /host/disk.img", `hw attach ide0 file=${image}`, "modprobe ide_disk",
    ]) sh.exec(line);
    const libc = k.spawn("bench");
    const targets = {
      brd: devicePasses(libc, "/dev/ram0", bytes), loop: devicePasses(libc, "/dev/loop0", bytes),
      ide: devicePasses(libc, "/dev/hda", bytes), host: hostPasses(image, bytes),
    };
    const runs = ctx.quick ? 2 : 7;
    const samples: Record<string, number[]> = {};
    for (let r = 0; r <= runs; r++) {
      for (const [name, p] of Object.entries(targets)) {
        for (const op of ["write", "read"] as const) {
          const mbs = rate(bytes, p[op]);
          // The first round warms up (V8's tiers, the image's pages in the host's cache).
          if (r > 0) (samples[`block.${name}_${op}`] ??= []).push(mbs);
        }
      }
    }
    const label: Record<string, string> = {
      brd: "brd (/dev/ram0)", loop: "loop over a host image via hostfs (/dev/loop0)", ide: "IDE disk over the same image (/dev/hda)",
      host: "the same image file on the host (node:fs)",
    };
    const figures: Figure[] = Object.entries(samples).map(([id, s]) => {
      const [name, op] = id.slice("block.".length).split("_") as [string, string];
      return { id, label: `sequential ${op}, ${mib} MiB in 1 MiB calls: ${label[name]}`, unit: "MB/s", runs: s.length, iterations: 1, stats: stats(s) };
    });
    return { figures };
  },
};
