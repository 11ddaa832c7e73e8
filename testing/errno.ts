// Checks that a kernel operation is refused as Linux refuses it: its errno, its message, and nothing changed.
// They throw node's AssertionError, so they serve vitest, node:test and the conformance commands alike.

import { AssertionError, deepStrictEqual } from "node:assert/strict";
import type { ErrnoName } from "../abi/errno.js";
import { Kernel } from "../host/init/main.js";
import { KernelError } from "../host/kernel/error.js";
import { snapshot } from "../scripts/fuzz/snapshot.js";

/** Run fn, which must fail with a KernelError of that errno name (and message, if given); returns the error. */
export function expectErrno(fn: () => unknown, code: ErrnoName, message?: string | RegExp): KernelError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof KernelError)) {
    throw new AssertionError({ message: `expected ${code}, got ${caught === undefined ? "success" : String(caught)}`, actual: caught, expected: code });
  }
  if (caught.code !== code) throw new AssertionError({ message: `expected ${code}, got ${caught.code}: ${caught.message}`, actual: caught.code, expected: code });
  const wrong = typeof message === "string" ? caught.message !== message : message !== undefined && !message.test(caught.message);
  if (wrong) throw new AssertionError({ message: `${code} with the wrong message: ${caught.message}`, actual: caught.message, expected: message });
  return caught;
}

/**
 * Run fn, which must be refused as expectErrno says, and check that what it was refused leaves exactly as
 * before: a kernel's module state (its modules, symbols, devices, slots...), or whatever `kept` reads.
 */
export function expectRefused(kept: Kernel | (() => unknown), fn: () => unknown, code: ErrnoName, message?: string | RegExp): KernelError {
  const state = kept instanceof Kernel ? () => snapshot(kept) : kept;
  const before = state();
  const err = expectErrno(fn, code, message);
  deepStrictEqual(state(), before, `${code}: the refusal changed what it should have left alone`);
  return err;
}
