// binfmt_wasm (host/fs/binfmt_wasm.ts): which modules are programs, the address space and initial stack a
// program starts with, and a trap that kills the task and nothing else.

import { beforeEach, describe, expect, it } from "vitest";
import { SIGNALS, W_EXITCODE, WIFSIGNALED, WTERMSIG } from "../../abi/signal.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { bootWithStdout, ECHO, install, program, SYSCALL_IMPORT, wat, watSyscall } from "../exec_helpers.js";
import { dmesg, expectErrno, loadBytes } from "../helpers.js";

let k: Kernel;
let libc: Libc;
let stdout: () => string;
beforeEach(() => ({ k, libc, stdout } = bootWithStdout()));

/** Install a program and run it in a child of the test task; its wait status. */
function run(bytes: Uint8Array, argv: string[] = ["prog"], envp: string[] = []): number {
  install(libc, "/tmp/prog", bytes);
  return k.fork(libc).execve("/tmp/prog", argv, envp);
}

describe("what is a program", () => {
  const refusals: [string, string][] = [
    ["no _start", program("")],
    ["no memory import", `(module (func (export "_start")))`],
    ["_start with an i64 parameter", program(`(func (export "_start") (param i64))`)],
    ["_start with a result", program(`(func (export "_start") (result i32) (i32.const 0))`)],
    ["_start with four parameters", program(`(func (export "_start") (param i32 i32 i32 i32))`)],
    ["a memory of its own", `(module ${SYSCALL_IMPORT} (memory 1) (func (export "_start")))`],
    ["an import outside linux", program(`(import "env" "abort" (func)) (func (export "_start"))`)],
    ["linux.memory as a function", `(module (import "linux" "memory" (func)) (func (export "_start")))`],
    ["a syscall of the wrong type", `(module (import "linux" "syscall" (func (param i64) (result i32)))
      (import "linux" "memory" (memory 1)) (func (export "_start")))`],
    ["a shared memory", `(module (import "linux" "memory" (memory 1 1 shared)) (func (export "_start")))`],
  ];

  it.each(refusals)("refuses a module with %s (ENOEXEC), leaving the task as it was", (_what, text) => {
    install(libc, "/tmp/prog", wat(text));
    const mm = libc.task.mm;
    expectErrno(() => libc.execve("/tmp/prog", ["prog"]), "ENOEXEC");
    expect([libc.task.mm, libc.task.exitCode, k.tasks.find(libc.task.pid)]).toEqual([mm, null, libc.task]);
  });

  it("refuses a binary that does not compile, or that is a kernel module (ENOEXEC)", () => {
    install(libc, "/tmp/bad", new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x01, 0x05, 0xff]));
    expectErrno(() => libc.execve("/tmp/bad", ["bad"]), "ENOEXEC");
    install(libc, "/tmp/hello.wasm", loadBytes("hello"));
    expectErrno(() => libc.execve("/tmp/hello.wasm", ["hello"]), "ENOEXEC");
  });

  it("refuses one whose memory and stack do not fit a task (ENOMEM)", () => {
    install(libc, "/tmp/huge", wat(program(`(func (export "_start"))`, "257")));
    expectErrno(() => libc.execve("/tmp/huge", ["huge"]), "ENOMEM");
    install(libc, "/tmp/tight", wat(program(`(func (export "_start"))`, "1 1")));
    expectErrno(() => libc.execve("/tmp/tight", ["tight"]), "ENOMEM");
    expect(libc.task.exitCode).toBe(null);
  });
});

describe("the new address space", () => {
  it("holds MIN pages and the initial stack in the pages above: argc at argv - 4, then argv, NULL, envp, NULL", () => {
    // exit(1) when every check holds; the first failing check's number otherwise.
    const checks = [
      "(i32.eq (i32.load (i32.sub (local.get $argv) (i32.const 4))) (local.get $argc))",
      "(i32.eq (local.get $envp) (i32.add (local.get $argv) (i32.mul (i32.add (local.get $argc) (i32.const 1)) (i32.const 4))))",
      "(i32.eqz (i32.load (i32.sub (local.get $envp) (i32.const 4))))",
      "(i32.eqz (i32.load (i32.add (local.get $envp) (i32.const 8))))",
      "(i32.ge_u (local.get $argv) (i32.const 131072))",
      "(i32.eq (memory.size) (i32.const 3))",
      "(i32.eq (i32.load8_u (i32.load (local.get $argv))) (i32.const 0x70))",
      "(i32.eqz (i32.and (i32.sub (local.get $argv) (i32.const 4)) (i32.const 15)))",
    ];
    const body = checks.map((c, i) => `(if (i32.eqz ${c}) (then (drop ${watSyscall(60, `(i32.const ${i + 10})`)}) (unreachable)))`).join("\n");
    const prog = wat(program(`(func (export "_start") (param $argc i32) (param $argv i32) (param $envp i32)
      ${body} (drop ${watSyscall(60, "(i32.const 1)")}))`, "2"));
    expect(run(prog, ["prog", "x"], ["A=1", "B=2"])).toBe(W_EXITCODE(1));
  });

  it("starts with its data in place and grows its memory for a heap", () => {
    const prog = wat(program(`(data (i32.const 100) "\\2a")
      (func (export "_start")
        (if (i32.lt_s (memory.grow (i32.const 4)) (i32.const 0)) (then (unreachable)))
        (i32.store8 (i32.const 0x40000) (i32.load8_u (i32.const 100)))
        (drop ${watSyscall(60, "(i32.load8_u (i32.const 0x40000))")}))`));
    expect(run(prog)).toBe(W_EXITCODE(42));
  });

  it("takes interrupts while the program runs, as in user mode", () => {
    k.machine.attach("pit");
    k.insmod(loadBytes("ticker"), { args: "hz=100" });
    // poll(buf, 0, 1000): sleep a second of simulated time, then exit.
    expect(run(wat(program(`(func (export "_start") (drop ${watSyscall(SYSCALLS.poll, "(i32.const 16)", "(i32.const 0)", "(i32.const 1000)")}))`))))
      .toBe(W_EXITCODE(0));
    const count = Number(new TextDecoder().decode(libc.readFile("/dev/ticker")));
    // The second the program slept, at ticker's 100 Hz (a divisor of 11931: a period a shade under 10 ms).
    expect(count).toBe(100);
  });
});

describe("traps", () => {
  const traps: [string, keyof typeof SIGNALS, string, string][] = [
    ["a load out of bounds", "SIGSEGV", "(drop (i32.load (i32.const 0x7ffffff0)))", "prog[PID]: segfault (wasm: memory access out of bounds)"],
    ["an integer divide by zero", "SIGFPE", "(drop (i32.div_s (i32.const 1) (i32.const 0)))", "traps: prog[PID] trap divide error (wasm: divide by zero)"],
    ["an integer overflow", "SIGFPE", "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))", "traps: prog[PID] trap divide error (wasm: divide result unrepresentable)"],
    ["unreachable", "SIGILL", "(unreachable)", "traps: prog[PID] trap invalid opcode (wasm: unreachable)"],
  ];

  it.each(traps)("%s kills the task alone with %s", (_what, sig, code, line) => {
    const child = k.fork(libc);
    install(libc, "/tmp/prog", wat(program(`(func (export "_start") ${code})`)));
    const status = child.execve("/tmp/prog", ["prog"]);
    expect([WIFSIGNALED(status), WTERMSIG(status)]).toEqual([true, SIGNALS[sig][0]]);
    expect(dmesg(k)).toContain(line.replace("PID", String(child.task.pid)));
    expect(k.taint.toString()).toBe("Not tainted");
    expect(k.fork(libc).execve("/tmp/echo", ["after"])).toBe(W_EXITCODE(1));
    expect(stdout()).toBe("after\n");
  });

  it("a stack overflow is SIGSEGV", () => {
    const status = run(wat(program(`(func $f (call $f)) (func (export "_start") (call $f))`)));
    expect(WTERMSIG(status)).toBe(SIGNALS.SIGSEGV[0]);
  });

  it("a data segment that does not fit faults at start, past the point of no return: SIGSEGV", () => {
    const child = k.fork(libc);
    const mm = child.task.mm;
    install(libc, "/tmp/prog", wat(program(`(data (i32.const 0x7fff0) "x") (func (export "_start"))`)));
    expect(WTERMSIG(child.execve("/tmp/prog", ["prog"]))).toBe(SIGNALS.SIGSEGV[0]);
    expect(child.task.mm).not.toBe(mm);
    expect(dmesg(k).at(-1)).toMatch(/^prog\[\d+\]: segfault \(wasm: .*data segment.*\)$/);
  });
});
