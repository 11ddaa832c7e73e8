// Character device conformance: what any driver's device node owes the programs that use it, as checks that
// run in a fresh kernel each. A check says what it needs of the device (`needs`); a device that does not
// offer it (a stream that cannot seek, one that does not keep what is written) skips that check.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET } from "../abi/fcntl.js";
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../abi/poll.js";
import { Kernel } from "../host/init/main.js";
import type { Module } from "../host/module/internal.js";
import type { Libc } from "../host/user/nolibc.js";
import { expectErrno, expectRefused } from "./errno.js";
import { loadModule } from "./kernel.js";
import { BAD_PTR, neg, sys } from "./vfs.js";

export interface ChrdevUnderTest {
  /** The driver: its binary, or a module name the kernel's modprobe finds. */
  readonly module: Uint8Array | string;
  /** The driver's parameters (insmod's "name=value ..."). */
  readonly params?: string;
  /** The device node it makes, /dev/NAME. */
  readonly device: string;
  /** It keeps what is written and reads it back from offset 0 (a memory device, as scull). */
  readonly storage?: boolean;
  /** llseek moves the offset: SEEK_SET, SEEK_CUR, and SEEK_END from the data's end. */
  readonly seekable?: boolean;
  /** Opening it O_WRONLY empties it (scull_open's trim). */
  readonly truncatesOnWriteOpen?: boolean;
  /** It has a poll operation: what it reports ready when empty and when it holds data (POLLIN, POLLOUT...). */
  readonly poll?: { readonly empty: number; readonly withData: number };
}

export interface ChrdevContext {
  readonly kernel: Kernel;
  readonly libc: Libc;
  readonly dev: ChrdevUnderTest;
  /** The driver's module record. */
  readonly module: Module;
}

export interface ChrdevCheck {
  readonly name: string;
  /** What the check needs of the device; absent: every device. */
  readonly needs?: (dev: ChrdevUnderTest) => boolean;
  run(c: ChrdevContext): void;
}

/** A fresh kernel with the driver loaded, and a task to use its device. */
export function prepareChrdev(dev: ChrdevUnderTest): ChrdevContext {
  const kernel = new Kernel();
  const name = loadModule(kernel, dev.module, dev.params);
  return { kernel, libc: kernel.spawn("test"), dev, module: kernel.modules.find(name)! };
}

/** A pattern of n bytes no shorter run repeats in at a quantum-sized period. */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
}

/** write(2) until all is written, as a program must: a driver may take less than it is given. */
function writeAll(libc: Libc, fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) {
    const n = libc.write(fd, data.subarray(at));
    ok(n > 0 && n <= data.length - at, `write of ${data.length - at} bytes took ${n}`);
    at += n;
  }
}

/** read(2) in chunks of `chunk` bytes until end of file, checking each read returns at most what was asked. */
function readAll(libc: Libc, fd: number, chunk: number): Uint8Array {
  const parts: number[] = [];
  for (let got = libc.read(fd, chunk); got.length > 0; got = libc.read(fd, chunk)) {
    ok(got.length <= chunk, `a read of ${chunk} bytes returned ${got.length}`);
    parts.push(...got);
  }
  return Uint8Array.from(parts);
}

function fill(c: ChrdevContext, data: Uint8Array): void {
  const fd = c.libc.open(c.dev.device, O_WRONLY);
  writeAll(c.libc, fd, data);
  c.libc.close(fd);
}

const storage = (d: ChrdevUnderTest) => d.storage === true;

export const CHRDEV_CHECKS: readonly ChrdevCheck[] = [
  {
    name: "opens and releases, pinning the driver's module while a descriptor is open",
    run: (c) => {
      const refs = c.module.refcnt;
      const fd = c.libc.open(c.dev.device, O_RDWR);
      strictEqual(c.module.refcnt, refs + 1, "an open descriptor holds a reference on the driver");
      expectRefused(c.kernel, () => c.kernel.rmmod(c.module.name), "EAGAIN");
      c.libc.close(fd);
      strictEqual(c.module.refcnt, refs, "release gives the reference back");
      c.kernel.rmmod(c.module.name);
      expectErrno(() => c.libc.open(c.dev.device, O_RDWR), "ENOENT");
    },
  },
  {
    name: "reads back what was written, in short reads that each move the offset on by what they returned",
    needs: storage,
    run: (c) => {
      const data = pattern(10_007);
      fill(c, data);
      const fd = c.libc.open(c.dev.device, O_RDONLY);
      deepStrictEqual(readAll(c.libc, fd, 7), data);
      deepStrictEqual(c.libc.read(fd, 100), new Uint8Array(0), "a read at the end returns 0");
      c.libc.close(fd);
      const again = c.libc.open(c.dev.device, O_RDONLY);
      deepStrictEqual(readAll(c.libc, again, 4096), data, "a new descriptor reads from the start");
      c.libc.close(again);
    },
  },
  {
    name: "empties the device when it is opened write-only",
    needs: (d) => d.truncatesOnWriteOpen === true,
    run: (c) => {
      fill(c, pattern(100));
      c.libc.close(c.libc.open(c.dev.device, O_WRONLY));
      const fd = c.libc.open(c.dev.device, O_RDONLY);
      deepStrictEqual(c.libc.read(fd, 100), new Uint8Array(0));
      c.libc.close(fd);
    },
  },
  {
    name: "moves the offset with llseek's SEEK_SET, SEEK_CUR and SEEK_END, and reads follow it",
    needs: (d) => d.seekable === true && d.storage === true,
    run: (c) => {
      fill(c, new TextEncoder().encode("0123456789"));
      const fd = c.libc.open(c.dev.device, O_RDONLY);
      strictEqual(c.libc.lseek(fd, 3, SEEK_SET), 3);
      strictEqual(new TextDecoder().decode(c.libc.read(fd, 2)), "34");
      strictEqual(c.libc.lseek(fd, -1, SEEK_CUR), 4);
      strictEqual(c.libc.lseek(fd, -2, SEEK_END), 8);
      strictEqual(new TextDecoder().decode(c.libc.read(fd, 10)), "89");
      c.libc.close(fd);
    },
  },
  {
    name: "refuses an unknown whence and a negative offset with EINVAL, the offset unchanged",
    needs: (d) => d.seekable === true,
    run: (c) => {
      const fd = c.libc.open(c.dev.device, O_RDONLY);
      strictEqual(c.libc.lseek(fd, 0, SEEK_SET), 0);
      expectErrno(() => c.libc.lseek(fd, 0, 7), "EINVAL");
      expectErrno(() => c.libc.lseek(fd, -1, SEEK_SET), "EINVAL");
      expectErrno(() => c.libc.lseek(fd, -1, SEEK_CUR), "EINVAL");
      strictEqual(c.libc.lseek(fd, 0, SEEK_CUR), 0);
      c.libc.close(fd);
    },
  },
  {
    name: "fails read and write with EFAULT for a buffer outside the caller's memory, moving nothing",
    needs: storage,
    run: (c) => {
      fill(c, pattern(64));
      const fd = c.libc.open(c.dev.device, O_RDWR);
      strictEqual(sys(c.libc, "read", fd, BAD_PTR, 16), neg("EFAULT"));
      strictEqual(sys(c.libc, "write", fd, BAD_PTR, 16), neg("EFAULT"));
      strictEqual(c.libc.lseek(fd, 0, SEEK_CUR), 0, "the offset did not move");
      deepStrictEqual(readAll(c.libc, fd, 64), pattern(64), "the data is as it was");
      c.libc.close(fd);
    },
  },
  {
    name: "reports through poll what is ready, empty and holding data",
    needs: (d) => d.poll !== undefined,
    run: (c) => {
      const fd = c.libc.open(c.dev.device, O_RDWR);
      const all = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
      deepStrictEqual(c.libc.poll([[fd, all]], 0), [c.dev.poll!.empty], "ready when empty");
      writeAll(c.libc, fd, pattern(10));
      deepStrictEqual(c.libc.poll([[fd, all]], 0), [c.dev.poll!.withData], "ready with data");
      c.libc.close(fd);
    },
  },
];
