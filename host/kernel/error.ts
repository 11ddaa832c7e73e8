// The host's one error type: a Linux errno and a message worded as Linux words it, culprit first.

import { errno, errnoName, strerror, type ErrnoName } from "../../abi/errno.js";

/** A refused kernel operation. `errno` is positive (ENOENT is 2); `code` its name where Linux has one. */
export class KernelError extends Error {
  readonly errno: number;
  readonly code: ErrnoName | undefined;

  /** code: an errno name, or a positive number (a module's init may return any -errno). */
  constructor(code: ErrnoName | number, message: string) {
    super(message);
    this.name = "KernelError";
    this.errno = typeof code === "number" ? code : errno(code);
    this.code = typeof code === "number" ? errnoName(code) : code;
  }

  /** "No such file or directory", as strerror() says it. */
  get strerror(): string {
    return strerror(this.errno);
  }
}

/**
 * Run the body of a symbol whose ABI returns nothing (unregister_chrdev, free_irq...): a refusal cannot
 * reach the module, and was logged where it happened, so it ends here; anything else propagates.
 */
export function discardRefusal(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
  }
}

/**
 * The -errno a kernel function returns across the wasm boundary for a refusal: a KernelError becomes its
 * negative errno; anything else is the host's own bug and is thrown on.
 */
export function refusal(e: unknown): number {
  if (e instanceof KernelError) return -e.errno;
  throw e;
}
