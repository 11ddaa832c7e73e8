// libkmod-file.c: read a module file as finit_module() would take it: a regular file, and not a huge one.

import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { ERRNO, type ErrnoName } from "../../abi/errno.js";
import { KernelError } from "../kernel/error.js";

/** The largest module file the tools read (a .ko is rarely past a few MiB; the wasm ones are KiB). */
export const MODULE_FILE_MAX = 64 * 1024 * 1024;

/** What the host's fs calls failed with, as the kernel's error; anything else is a host bug and stays thrown. */
function hostError(path: string, e: unknown): unknown {
  if (e instanceof KernelError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === undefined || !Object.hasOwn(ERRNO, code)) return e;
  return new KernelError(code as ErrnoName, `${path}: ${ERRNO[code as ErrnoName][1]}`);
}

/** kernel_read_file()'s checks: EISDIR for a directory, EINVAL for anything else but a regular file, EFBIG past the limit. */
function checkFile(path: string, st: Stats, max: number): void {
  if (st.isDirectory()) throw new KernelError("EISDIR", `${path}: Is a directory`);
  if (!st.isFile()) throw new KernelError("EINVAL", `${path}: not a regular file`);
  if (st.size > max) throw new KernelError("EFBIG", `${path}: ${st.size} bytes, more than ${max}`);
}

/**
 * The bytes of a module file. ENOENT when there is none, EISDIR, EINVAL or EFBIG as checkFile says, or
 * the errno the host's file system gave. A FIFO is refused by stat before it is opened, and opened
 * non-blocking in case it replaced the file since, so nothing waits for a writer. As kernel_read_file()
 * does, it reads the size stat gave, never more, whatever the file does meanwhile.
 */
export function readModuleFile(path: string, max: number = MODULE_FILE_MAX): Uint8Array {
  let fd: number;
  try {
    checkFile(path, statSync(path), max);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw hostError(path, e);
  }
  try {
    const st = fstatSync(fd);
    checkFile(path, st, max);
    const buf = new Uint8Array(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } catch (e) {
    throw hostError(path, e);
  } finally {
    closeSync(fd);
  }
}
