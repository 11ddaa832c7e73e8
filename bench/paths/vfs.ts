// Kernel to module and whole system calls: a file_operations read through the table as the VFS makes it,
// getpid, a 4 KiB read of memdev's /dev/zero, and a 4 KiB write and read on ramfs.
//
// These loops are driven from the host, as the VFS drives a driver, so there is no wasm loop to inspect:
// the proof that each fops call reached the module is its own count of reads. The system calls enter
// through the syscall table as a task would (SyscallTable.call with registers already in place), so what
// is measured is the kernel's path, not the marshalling of a TypeScript caller.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { O_CREAT, O_RDONLY, O_RDWR } from "../../abi/fcntl.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { Kernel } from "../../host/init/main.js";
import type { SyscallArgs } from "../../host/kernel/syscalls.js";
import type { Libc } from "../../host/user/nolibc.js";
import { BUILD_DIR } from "../../scripts/paths.js";
import { benchKernel, pairedWithReference, REFERENCE, symbolFn } from "../lkm.js";
import { perCallEach, type Loop } from "../measure.js";
import type { BenchPath, CallCheck, Figure } from "../path.js";

const PAGE = 4096;

/** A system call with its registers fixed, entered n times. */
function syscallLoop(k: Kernel, sh: Libc, nr: number, ...regs: number[]): Loop {
  const args = [0, 0, 0, 0, 0, 0].map((z, i) => regs[i] ?? z) as unknown as SyscallArgs;
  return (n) => {
    let r = 0;
    for (let i = 0; i < n; i++) r = k.syscalls.call(sh.task, nr, args);
    if (r < 0) throw new Error(`bench: system call ${nr} failed with ${r}`);
    return r;
  };
}

/** The kernel-to-module call: the host FileOperations.read the VFS calls, here with nothing to copy. */
function fopsLoop(sh: Libc): Loop {
  const fd = sh.open("/dev/bench_fops", O_RDONLY);
  const file = sh.task.files.get(fd);
  const read = file.fop.read!;
  return (n) => {
    for (let i = 0; i < n; i++) read(file, 0, 0, 0);
    return n;
  };
}

function ramfsLoop(k: Kernel, sh: Libc): Loop {
  k.insmod(new Uint8Array(readFileSync(join(BUILD_DIR, "ramfs.wasm"))));
  sh.mkdir("/mnt/r");
  sh.mount("none", "/mnt/r", "ramfs");
  const fd = sh.open("/mnt/r/f", O_CREAT | O_RDWR);
  const buf = sh.task.mm.sbrk(PAGE);
  const write = syscallLoop(k, sh, SYSCALLS.pwrite64, fd, buf, PAGE, 0);
  const read = syscallLoop(k, sh, SYSCALLS.pread64, fd, buf, PAGE, 0);
  return (n) => {
    for (let i = 0; i < n; i++) {
      write(1);
      read(1);
    }
    return n;
  };
}

export const vfs: BenchPath = {
  name: "vfs",
  async run(ctx) {
    const k = await benchKernel(ctx, [REFERENCE.module, "bench_fops"]);
    k.insmod(new Uint8Array(readFileSync(join(BUILD_DIR, "memdev.wasm"))));
    const sh = k.spawn("bench");
    const zero = sh.open("/dev/zero", O_RDONLY);
    const buf = sh.task.mm.sbrk(PAGE);
    const reads = symbolFn<() => number>(k, "bench_fops_reads");
    const loops = {
      [REFERENCE.id]: symbolFn<Loop>(k, REFERENCE.loop),
      "fops.read": fopsLoop(sh),
      "syscall.getpid": syscallLoop(k, sh, SYSCALLS.getpid),
      "memdev.zero_4k": syscallLoop(k, sh, SYSCALLS.read, zero, buf, PAGE),
      "ramfs.rw_4k": ramfsLoop(k, sh),
    };
    const before = reads();
    const timed = await perCallEach(ctx, loops, { start: 100 });
    const arrived = reads() - before;
    const figure = (id: keyof typeof loops, label: string, call: Figure["call"]): Figure => ({
      id, label, unit: "ns", call, paired: pairedWithReference(timed[id]!, timed[REFERENCE.id]!), ...timed[id]!,
    });
    const check: CallCheck = {
      id: "fops.read",
      where: "host loop over FileOperations.read → bench_fops_read (module's count of reads)",
      instruction: "call through the function table",
      kept: arrived > 0 && arrived >= timed["fops.read"]!.iterations * timed["fops.read"]!.runs,
    };
    return {
      figures: [
        figure("fops.read", "kernel → module: file_operations read", { family: "wasm-lkm", loop: "js" }),
        figure("syscall.getpid", "system call: getpid", undefined),
        figure("memdev.zero_4k", "system call: 4 KiB read of memdev's /dev/zero", undefined),
        figure("ramfs.rw_4k", "system calls: 4 KiB pwrite + pread on ramfs", undefined),
      ],
      checks: [check],
    };
  },
};
