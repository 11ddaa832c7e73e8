// kunit_try_catch (lib/kunit/try-catch.c): run a piece of a test case so that whatever ends it ends only
// that piece: it returns, it aborts (a failed assertion, kunit_skip), it traps, or the watchdog stops it.
//
// Linux runs the piece in a kthread of its own, which an abort or an Oops simply ends. Here the piece runs
// through the loader's gate, which turns a trap into an Oops but lets the module live on; an abort is an
// exception thrown out of the module's frames. Either way the frames the module was in never return, so the
// AssemblyScript shadow stack they took is given back by resetting its pointer to where the piece began.

import { errno } from "../../../abi/errno.js";
import { KernelError } from "../../kernel/error.js";
import { SoftLockup } from "../../kernel/watchdog.js";
import type { Module } from "../../module/internal.js";

/** kunit_try_catch_throw(): thrown by __kunit_abort out of the running case's frames. */
export class KunitAbort extends Error {
  constructor(readonly test: number) {
    super("kunit: test case aborted");
    this.name = "KunitAbort";
  }
}

/**
 * How the piece ended, as try_result says it: 0 it returned or aborted (-EFAULT, which kunit counts as
 * finished), -EINTR it faulted, -ETIMEDOUT the watchdog stopped it, another -errno the kernel could not run it.
 */
export type TryResult = { readonly code: 0; readonly aborted: boolean } | { readonly code: number };

/** The gate's try (ModuleLoader.tryCall): a fault of the module's own code is returned, logged as an Oops. */
export type TryCall = (mod: Module, fn: () => void) => Error | null;

export function kunitTryCatch(tryCall: TryCall, mod: Module, fn: () => void): TryResult {
  const sp = mod.exports?.stackPointer;
  const saved = sp?.value as number | undefined;
  const result = run(tryCall, mod, fn);
  // Where the piece returned, the pointer is back already; where it did not, this gives its frames back.
  if (sp && saved !== undefined) sp.value = saved;
  return result;
}

function run(tryCall: TryCall, mod: Module, fn: () => void): TryResult {
  try {
    const fault = tryCall(mod, fn);
    if (fault === null) return { code: 0, aborted: false };
    return { code: -errno(fault instanceof SoftLockup ? "ETIMEDOUT" : "EINTR") };
  } catch (e) {
    if (e instanceof KunitAbort) return { code: 0, aborted: true };
    if (e instanceof KernelError) return { code: -e.errno };
    throw e;
  }
}
