// The gate every call into module code passes: a wasm trap or a BUG() becomes an Oops, never a crash.
//
// The culprit is the module of the innermost wasm frame (modpost names each binary's "name" section after
// its module, so V8's frames read wasm://wasm/NAME-hash); the module the call entered is the fallback.

import { LOGLEVELS } from "../../abi/kern_levels.js";
import type { StructLayout } from "../../abi/types.js";
import type { ModuleMemory } from "../mm/maccess.js";
import { currentCred } from "./cred.js";
import { KernelError } from "./error.js";
import type { Taint } from "./panic.js";
import { UTS_RELEASE } from "../../abi/version.js";
import { SoftLockup, softLockupLine } from "./watchdog.js";

/** An AssemblyScript abort() inside a module: BUG(). */
export class ModuleBug extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "ModuleBug";
  }
}

export interface WasmFrame {
  readonly module: string;
  readonly func: string;
  /** wasm-function[N]:0xOFFSET, or 0xOFFSET when the stack's formatter dropped the function index */
  readonly where: string;
}

// V8's own format is "at F (wasm://wasm/NAME-hash:wasm-function[N]:0xOFFSET)"; a custom Error.prepareStackTrace
// (source-map-support, vitest) prints "at F (wasm://wasm/NAME-hash:1:COLUMN)" with COLUMN the byte offset + 1.
const FRAME = /at (\S+) \(wasm:\/\/wasm\/([A-Za-z0-9_]+)-[0-9a-f]+:(?:(wasm-function\[\d+\]:0x[0-9a-f]+)|1:(\d+))\)/;

/** The wasm frames of an error's stack, innermost first, with asc's path-qualified names shortened. */
export function wasmFrames(err: Error): WasmFrame[] {
  const frames: WasmFrame[] = [];
  for (const line of (err.stack ?? "").split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const module = m[2]!;
    const qualified = m[1]!.startsWith(`${module}.`) ? m[1]!.slice(module.length + 1) : m[1]!;
    const func = qualified.split("<")[0]!.split("@")[0]!.split("/").pop()!;
    const where = m[3] ?? `0x${(Number(m[4]) - 1).toString(16)}`;
    frames.push({ module, func, where });
  }
  return frames;
}

/** A trap, a BUG(), a soft lockup or a stack overflow from module code; anything else is the host's own bug. */
export function isModuleFault(err: unknown): err is Error {
  if (err instanceof WebAssembly.RuntimeError || err instanceof ModuleBug || err instanceof SoftLockup) return true;
  return err instanceof RangeError && wasmFrames(err).length > 0;
}

/** What die() needs from the kernel. */
export interface DieContext {
  log(level: number, message: string): void;
  readonly taint: Taint;
  /** The task the fault happened in ("insmod", "rmmod", "cat") and its pid (1 outside a system call). */
  readonly comm: string;
  readonly pid: number;
  /** print_modules(): " name(flags)" for each loaded module. */
  modulesLinkedIn(): string;
  /** Oopses so far: the [#N] of the next one. */
  dieCounter: number;
}

/**
 * die(): log the Oops for a module fault and taint D; for a soft lockup, the watchdog's report instead and
 * taint L (watchdog_timer_fn). Returns the culprit's name and function.
 */
export function die(ctx: DieContext, err: Error, entered: string): { module: string; func: string } {
  const frames = wasmFrames(err);
  const top = frames[0] ?? { module: entered, func: "?", where: "" };
  const emerg = (m: string) => ctx.log(LOGLEVELS.KERN_EMERG, m);
  if (err instanceof SoftLockup) {
    emerg(softLockupLine(err.seconds, ctx.comm, ctx.pid));
    emerg(`Modules linked in:${ctx.modulesLinkedIn()}`);
    showRegs(ctx, top, frames);
    ctx.taint.add("SOFTLOCKUP");
    return { module: top.module, func: top.func };
  }
  if (err instanceof ModuleBug) {
    ctx.log(LOGLEVELS.KERN_CRIT, `kernel BUG at ${err.file ? `${err.file}:${err.line}` : `${top.func} [${top.module}]`}!`);
    if (err.message) ctx.log(LOGLEVELS.KERN_CRIT, err.message);
    emerg(`Oops: invalid opcode: 0000 [#${++ctx.dieCounter}]`);
  } else {
    ctx.log(LOGLEVELS.KERN_ALERT, `BUG: wasm trap in ${top.module}: ${err.message}`);
    emerg(`Oops: 0000 [#${++ctx.dieCounter}]`);
  }
  showRegs(ctx, top, frames);
  emerg(`Modules linked in:${ctx.modulesLinkedIn()}`);
  ctx.log(LOGLEVELS.KERN_WARNING, "---[ end trace 0000000000000000 ]---");
  ctx.taint.add("DIE");
  return { module: top.module, func: top.func };
}

/** show_regs(): the task line, where it was and the call trace. */
function showRegs(ctx: DieContext, top: WasmFrame, frames: readonly WasmFrame[]): void {
  const warn = (m: string) => ctx.log(LOGLEVELS.KERN_WARNING, m);
  warn(`CPU: 0 UID: ${currentCred().uid} PID: ${ctx.pid} Comm: ${ctx.comm.slice(0, 20)} ${ctx.taint} ${UTS_RELEASE} #1`);
  warn(`RIP: ${top.func} [${top.module}] ${top.where}`.trimEnd());
  warn("Call Trace:");
  warn(" <TASK>");
  for (const f of frames) warn(`  ${f.func} [${f.module}] ${f.where}`);
  warn(" </TASK>");
}

/** What __warn() needs from the kernel. */
export type WarnContext = Pick<DieContext, "log" | "taint" | "comm">;

/**
 * __warn() after __warn_printk(): a WARN() in kernel code at `where` (file and function), reached from the
 * module frames on `trace`'s stack: the report between its markers, then taint W. Nothing dies.
 */
export function warn(ctx: WarnContext, where: string, message: string, trace: Error): void {
  const w = (m: string) => ctx.log(LOGLEVELS.KERN_WARNING, m);
  w("------------[ cut here ]------------");
  w(message);
  w(`WARNING: CPU: 0 PID: 1 at ${where}`);
  w(`CPU: 0 UID: 0 PID: 1 Comm: ${ctx.comm.slice(0, 20)} ${ctx.taint} ${UTS_RELEASE} #1`);
  w("Call Trace:");
  w(" <TASK>");
  for (const f of wasmFrames(trace)) w(`  ${f.func} [${f.module}] ${f.where}`);
  w(" </TASK>");
  w("---[ end trace 0000000000000000 ]---");
  ctx.taint.add("WARN");
}

/**
 * A struct in a module's memory, read for a report on the module's own data: an address outside that memory
 * is the trap the module's own load would have met (an Oops for the module, never a host error).
 */
export function readStructOrTrap(memory: ModuleMemory, ptr: number, layout: StructLayout): Record<string, number> {
  try {
    return memory.readStruct(ptr, layout);
  } catch (e) {
    if (e instanceof KernelError) throw new WebAssembly.RuntimeError("memory access out of bounds");
    throw e;
  }
}

/**
 * The error a caller sees when the module code it called died: EFAULT for an Oops, ETIME ("Timer
 * expired") when the watchdog stopped it.
 */
export function oopsError(err: Error, module: string, func: string): KernelError {
  if (err instanceof SoftLockup) return new KernelError("ETIME", `${module}: soft lockup in ${func}, stopped by the watchdog`);
  return new KernelError("EFAULT", `${module}: Oops in ${func}`);
}
