// binfmt_wasm: this system's native executables, its ELF: core WebAssembly modules (`\0asm`, version 1).
//
// The program ABI (wasm32, ILP32: pointers, int and long are 32 bits):
//
//   (import "linux" "memory" (memory MIN MAX?))   the task's address space, made at exec: MIN pages, plus
//                                                 the pages the initial stack needs; at most 256 (16 MiB)
//   (import "linux" "syscall" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
//                                                 nr (x86_64 numbers), a0..a5; the result, or -errno
//   (export "_start" (func (param i32 i32 i32)))  argc, argv, envp (any prefix of them, or none)
//
// Nothing else may be imported. At entry the initial stack sits at the top of the memory, above MIN:
//
//   argv - 4 ─▶ ┌──────┬─────────┬───┬─────────┬───┬─────────────────────────────┐ ◀─ end of memory
//               │ argc │ argv[i] │ 0 │ envp[i] │ 0 │ argument, environment bytes │
//               └──────┴─────────┴───┴─────────┴───┴─────────────────────────────┘
//
// A program that wants a heap grows its memory (memory.grow) rather than taking the pages above MIN.
// exit (60) and exit_group (231) end it with a status; returning from _start is exit(0), as in WASI. A
// trap kills the task alone: SIGSEGV for a bad access or a stack overflow, SIGFPE for an integer divide
// by zero or overflow, SIGILL for `unreachable`, logged as Linux logs an unhandled fatal signal.
//
// The program runs with the watchdog's budget checks put into its code (host/module/instrument.ts), since
// nothing can preempt it: one that runs past the soft-lockup threshold is reported and killed (SIGKILL).

import { signo, W_EXITCODE, type SignalName } from "../../abi/signal.js";
import { functionTypes, memoryImport, readSections, WasmFormatError, type FuncType } from "../../abi/wasm.js";
import { WATCHDOG_TICK } from "../../abi/module.js";
import { KernelError } from "../kernel/error.js";
import type { Tasks } from "../kernel/fork.js";
import type { Task } from "../kernel/sched.js";
import { SoftLockup, type Watchdog } from "../kernel/watchdog.js";
import { instrument } from "../module/instrument.js";
import { MmStruct, TASK_SIZE_PAGES, WASM_PAGE } from "../mm/uaccess.js";
import type { Exec, LinuxBinfmt, LinuxBinprm } from "./exec.js";

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const I32 = 0x7f;
/** What a program may import from "linux", and of which kind. */
const PROGRAM_IMPORTS = new Map<string, WebAssembly.ImportExportKind>([["memory", "memory"], ["syscall", "function"]]);

/** What running a program needs from the kernel. */
export interface WasmContext {
  readonly tasks: Tasks;
  /** The system call entry for a task's program: restarts a call that has to wait, as nolibc's does. */
  entry(task: Task): (nr: number, args: readonly number[]) => number;
  /** KERN_INFO: the line for a task killed by a trap. */
  info(message: string): void;
  /** The soft-lockup detector the program's budget checks call. */
  readonly watchdog: Watchdog;
  /** Report a soft lockup of the task's program (the watchdog's line, taint L). */
  softLockup(task: Task, lockup: SoftLockup): void;
}

/** Thrown through the program's frames when its image is gone (it exited, or exec'd another). */
class ImageGone extends Error {}

const noexec = (bprm: LinuxBinprm, why: string) => new KernelError("ENOEXEC", `${bprm.filename}: ${why}`);

function sameType(t: FuncType | undefined, params: readonly number[], results: readonly number[]): boolean {
  return t !== undefined && t.params.length === params.length && t.params.every((p, i) => p === params[i])
    && t.results.length === results.length && t.results.every((r, i) => r === results[i]);
}

/** The trap's signal, and the words Linux's show_signal() would log for it. */
function trapSignal(message: string): [SignalName, string] {
  if (/divide by zero|remainder by zero|integer overflow|unrepresentable/.test(message)) return ["SIGFPE", "trap divide error"];
  if (/unreachable/.test(message)) return ["SIGILL", "trap invalid opcode"];
  return ["SIGSEGV", "segfault"];
}

export class BinfmtWasm implements LinuxBinfmt {
  readonly owner = null;

  constructor(
    private readonly exec: Exec,
    private readonly ctx: WasmContext,
  ) {}

  /**
   * load_wasm_binary(): ENOEXEC for anything but a valid core module with the program ABI above, ENOMEM
   * when its memory and stack do not fit a task; then the point of no return, the new address space and
   * the initial stack. The program runs when the exec has succeeded.
   */
  loadBinary(bprm: LinuxBinprm): void {
    if (MAGIC.some((b, i) => bprm.buf[i] !== b)) throw noexec(bprm, "Exec format error");
    const bytes = this.exec.readFile(bprm.file);
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(bytes);
    } catch (e) {
      if (e instanceof WebAssembly.CompileError) throw noexec(bprm, e.message);
      throw e;
    }
    const limits = this.checkAbi(bprm, bytes, module);
    const runnable = this.withBudgetChecks(bprm, bytes);
    const stack = stackLayout(bprm);
    const pages = limits.initial + Math.ceil(stack.size / WASM_PAGE);
    const maximum = Math.min(limits.maximum ?? TASK_SIZE_PAGES, TASK_SIZE_PAGES);
    if (pages > maximum) throw new KernelError("ENOMEM", `${bprm.filename}: Cannot allocate memory`);
    const memory = newMemory(bprm, pages, maximum);
    this.exec.beginNewExec(bprm, new MmStruct(memory, pages * WASM_PAGE));
    const args = stack.write(memory, pages * WASM_PAGE);
    const task = bprm.task;
    bprm.start = () => this.run(task, runnable, memory, args);
  }

  /** The program as it runs: the watchdog's budget checks in its code. */
  private withBudgetChecks(bprm: LinuxBinprm, bytes: Uint8Array): WebAssembly.Module {
    const name = bprm.task.comm.replace(/[^A-Za-z0-9_]/g, "_") || "program";
    try {
      return new WebAssembly.Module(instrument(bytes, { tick: WATCHDOG_TICK, moduleName: name }) as Uint8Array<ArrayBuffer>);
    } catch (e) {
      if (e instanceof WasmFormatError || e instanceof WebAssembly.CompileError) throw noexec(bprm, e.message);
      throw e;
    }
  }

  /** Imports only linux.memory (unshared, 32-bit) and linux.syscall of the right type; _start exported. */
  private checkAbi(bprm: LinuxBinprm, bytes: Uint8Array, module: WebAssembly.Module): { initial: number; maximum?: number } {
    for (const imp of WebAssembly.Module.imports(module)) {
      const expected = imp.module === "linux" && PROGRAM_IMPORTS.get(imp.name) === imp.kind;
      if (!expected) throw noexec(bprm, `imports ${imp.module}.${imp.name}, which is not linux.memory or linux.syscall`);
    }
    try {
      const sections = readSections(bytes);
      const memory = memoryImport(sections);
      if (!memory || memory.module !== "linux" || memory.name !== "memory") throw noexec(bprm, "does not import linux.memory");
      if (memory.flags) throw noexec(bprm, "imports a shared or 64-bit memory");
      const types = functionTypes(sections);
      const syscall = types.imports.get("linux.syscall");
      if (syscall && !sameType(syscall, Array(7).fill(I32), [I32])) throw noexec(bprm, "linux.syscall has the wrong type");
      const start = types.exports.get("_start");
      if (!start || start.params.length > 3 || !sameType(start, Array(start.params.length).fill(I32), [])) {
        throw noexec(bprm, "has no _start(argc, argv, envp)");
      }
      return memory;
    } catch (e) {
      if (e instanceof WasmFormatError) throw noexec(bprm, e.message);
      throw e;
    }
  }

  /** start_thread() and the return to user mode: run _start until the image is gone or the task traps. */
  private run(task: Task, module: WebAssembly.Module, memory: WebAssembly.Memory, args: readonly number[]): void {
    const mm = task.mm;
    const gone = () => task.exitCode !== null || task.mm !== mm;
    const entry = this.ctx.entry(task);
    const syscall = (nr: number, ...a: number[]): number => {
      const ret = entry(nr, a);
      if (gone()) throw new ImageGone();
      return ret;
    };
    const watchdog = this.ctx.watchdog;
    watchdog.enter();
    try {
      const instance = new WebAssembly.Instance(module, { linux: { memory, syscall }, [WATCHDOG_TICK.module]: { [WATCHDOG_TICK.name]: watchdog.table } });
      (instance.exports._start as (...a: number[]) => void)(...args);
      if (!gone()) this.ctx.tasks.exit(task, W_EXITCODE(0));
    } catch (e) {
      if (gone()) return;
      if (e instanceof SoftLockup) {
        this.ctx.softLockup(task, e);
        watchdog.touch();
        return this.ctx.tasks.exit(task, signo("SIGKILL"));
      }
      if (!(e instanceof WebAssembly.RuntimeError || e instanceof WebAssembly.LinkError || e instanceof RangeError)) throw e;
      const [sig, what] = e instanceof WebAssembly.RuntimeError ? trapSignal(e.message) : (["SIGSEGV", "segfault"] as const);
      const line = what === "segfault" ? `${task.comm}[${task.pid}]: segfault` : `traps: ${task.comm}[${task.pid}] ${what}`;
      this.ctx.info(`${line} (wasm: ${e.message})`);
      this.ctx.tasks.exit(task, signo(sig));
    } finally {
      watchdog.leave();
    }
  }
}

function newMemory(bprm: LinuxBinprm, initial: number, maximum: number): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial, maximum });
  } catch (e) {
    if (e instanceof RangeError) throw new KernelError("ENOMEM", `${bprm.filename}: Cannot allocate memory`);
    throw e;
  }
}

/** create_elf_tables()' part: argc, the argv and envp pointer arrays and their strings, 16-aligned. */
function stackLayout(bprm: LinuxBinprm): { size: number; write: (memory: WebAssembly.Memory, end: number) => number[] } {
  const strings = [...bprm.argv, ...bprm.envp];
  const bytes = strings.reduce((n, s) => n + s.length + 1, 0);
  const table = 4 * (1 + bprm.argv.length + 1 + bprm.envp.length + 1);
  const size = Math.ceil((table + bytes) / 16) * 16;
  return {
    size,
    write(memory, end) {
      const sp = end - size;
      const view = new DataView(memory.buffer);
      const mem = new Uint8Array(memory.buffer);
      let str = sp + table;
      const pointers = strings.map((s) => {
        mem.set(s, str);
        const at = str;
        str += s.length + 1;
        return at;
      });
      const words = [bprm.argv.length, ...pointers.slice(0, bprm.argv.length), 0, ...pointers.slice(bprm.argv.length), 0];
      words.forEach((w, i) => view.setUint32(sp + 4 * i, w, true));
      return [bprm.argv.length, sp + 4, sp + 4 * (bprm.argv.length + 2)];
    },
  };
}
