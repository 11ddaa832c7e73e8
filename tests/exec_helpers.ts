// Helpers for the execve suites: programs in WebAssembly text assembled with binaryen, installed as
// executables, and a task whose standard output is a file the test reads back.

import binaryen from "binaryen";
import { O_CREAT, O_RDWR, O_TRUNC, O_WRONLY } from "../abi/fcntl.js";
import type { Kernel } from "../host/init/main.js";
import type { Libc } from "../host/user/nolibc.js";
import { boot } from "./vfs_helpers.js";

/** Assemble a program (or any module) from WebAssembly text. */
export function wat(text: string): Uint8Array {
  const mod = binaryen.parseText(text);
  try {
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}

/** Write a file with that content and mode (0755: an executable). */
export function install(libc: Libc, path: string, content: Uint8Array | string, mode = 0o755): void {
  const fd = libc.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  try {
    libc.write(fd, content);
  } finally {
    libc.close(fd);
  }
}

/**
 * A booted kernel whose test task writes its standard output and error to a file (`stdout` reads it back),
 * with ECHO installed as /tmp/echo.
 */
export function bootWithStdout(): { k: Kernel; libc: Libc; stdout: () => string } {
  const { k, libc } = boot();
  const stdout = captureStdout(libc);
  install(libc, "/tmp/echo", ECHO);
  return { k, libc, stdout };
}

/** Give a task with no open files /tmp/stdout on descriptors 0, 1 and 2; returns what has been written there. */
export function captureStdout(libc: Libc): () => string {
  const fd = libc.open("/tmp/stdout", O_RDWR | O_CREAT | O_TRUNC, 0o644);
  if (fd !== 0) throw new Error(`captureStdout: the task already has descriptor ${fd - 1} open`);
  libc.dup2(0, 1);
  libc.dup2(0, 2);
  return () => new TextDecoder().decode(libc.readFile("/tmp/stdout"));
}

/** A program's one import besides its memory: `linux.syscall` as `$sys`. */
export const SYSCALL_IMPORT = `(import "linux" "syscall" (func $sys (param i32 i32 i32 i32 i32 i32 i32) (result i32)))`;

/** The WAT of a program: the syscall import, `memory` pages of memory, and `body` (functions, data, _start). */
export function program(body: string, memory = "1"): string {
  return `(module ${SYSCALL_IMPORT} (import "linux" "memory" (memory ${memory})) ${body})`;
}

/** The WAT of a system call from a program: `(call $sys nr a0..a5)` with the unused registers zero. */
export function watSyscall(nr: number, ...args: string[]): string {
  const regs = [...args, ...Array(6 - args.length).fill("(i32.const 0)")];
  return `(call $sys (i32.const ${nr}) ${regs.join(" ")})`;
}

/** Prints each argv string on a line of its own, then each envp string, and exits with argc. */
export const ECHO = wat(program(`
  (data (i32.const 8) "\\n")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $n))
  (func $lines (param $v i32) (local $s i32)
    (block $done (loop $next
      (local.set $s (i32.load (local.get $v)))
      (br_if $done (i32.eqz (local.get $s)))
      (drop ${watSyscall(1, "(i32.const 1)", "(local.get $s)", "(call $strlen (local.get $s))")})
      (drop ${watSyscall(1, "(i32.const 1)", "(i32.const 8)", "(i32.const 1)")})
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (br $next))))
  (func (export "_start") (param $argc i32) (param $argv i32) (param $envp i32)
    (call $lines (local.get $argv))
    (call $lines (local.get $envp))
    (drop ${watSyscall(60, "(local.get $argc)")})
    (unreachable))`));

/** Writes `text` to descriptor 1 and exits with `code` (or falls off the end of _start when code is null). */
export function writeAndExit(text: string, code: number | null, nr = 60): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const data = [...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  const exit = code === null ? "" : `(drop ${watSyscall(nr, `(i32.const ${code})`)}) (unreachable)`;
  return wat(program(`(data (i32.const 16) "${data}")
    (func (export "_start") (drop ${watSyscall(1, "(i32.const 1)", "(i32.const 16)", `(i32.const ${bytes.length})`)}) ${exit})`));
}
