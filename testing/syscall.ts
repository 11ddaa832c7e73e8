// System call module checks: a module that registers a call of its own, or lays itself over one and calls on
// (syscall_override + syscall_call_next), takes its slot at insmod, gives it back at rmmod, and stacks with
// another override (the tree's syscall_chain module) whichever of the two is unloaded first.

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Kernel } from "../host/init/main.js";
import { loadModule } from "./kernel.js";
import type { Libc } from "../host/user/nolibc.js";
import { neg } from "./vfs.js";

export interface SyscallModuleUnderTest {
  /** The module: its binary, or a module name the kernel's modprobe finds. */
  readonly module: Uint8Array | string;
  readonly params?: string;
  /** The slot it takes. */
  readonly nr: number;
  /** "register": a call of its own in an empty slot. "override": laid over what the slot held, calling on. */
  readonly kind: "register" | "override";
  /** The call as a program makes it: its result is compared with the module, without it, and with others around. */
  readonly call: (libc: Libc) => number;
  /** For an override: whether the call gives what the call below gives (it only watches). Default true. */
  readonly chains?: boolean;
}

export interface SyscallContext {
  readonly kernel: Kernel;
  readonly libc: Libc;
  readonly sc: SyscallModuleUnderTest;
  /** Load the module under test; returns its name. */
  load(): string;
  /** Load syscall_chain over the slot. */
  loadChain(): void;
  /** How many calls syscall_chain has passed on. */
  chainCalls(): number;
}

export interface SyscallCheck {
  readonly name: string;
  readonly needs?: (sc: SyscallModuleUnderTest) => boolean;
  run(c: SyscallContext): void;
}

export function prepareSyscall(sc: SyscallModuleUnderTest): SyscallContext {
  const kernel = new Kernel();
  return {
    kernel, libc: kernel.spawn("test"), sc,
    load: () => loadModule(kernel, sc.module, sc.params),
    loadChain: () => void loadModule(kernel, "syscall_chain", `nr=${sc.nr}`),
    // Its parameter's global, read directly: reading its sysfs file would make system calls of its own.
    chainCalls: () => kernel.modules.find("syscall_chain")!.params.find((p) => p.name === "calls")!.global.value as number,
  };
}

/** What the call gives in a kernel without the module. */
function baseline(c: SyscallContext): number {
  const fresh = new Kernel();
  return c.sc.call(fresh.spawn("test"));
}

const override = (sc: SyscallModuleUnderTest) => sc.kind === "override";

export const SYSCALL_CHECKS: readonly SyscallCheck[] = [
  {
    name: "takes its slot at insmod, named as its owner, and gives it back at rmmod without a warning",
    run: (c) => {
      const before = c.kernel.syscalls.owners(c.sc.nr);
      const name = c.load();
      deepStrictEqual(c.kernel.syscalls.owners(c.sc.nr), [...before, name]);
      c.kernel.log.clear();
      c.kernel.rmmod(name);
      deepStrictEqual(c.kernel.syscalls.owners(c.sc.nr), before);
      deepStrictEqual(c.kernel.log.read().map((r) => r.text).filter((t) => t.includes("still installed")), []);
    },
  },
  {
    name: "answers its new call, which is ENOSYS before it loads and after it goes",
    needs: (sc) => sc.kind === "register",
    run: (c) => {
      strictEqual(c.sc.call(c.libc), neg("ENOSYS"));
      const name = c.load();
      const answered = c.sc.call(c.libc);
      strictEqual(answered === neg("ENOSYS"), false, "the module's handler answers");
      c.kernel.rmmod(name);
      strictEqual(c.sc.call(c.libc), neg("ENOSYS"));
    },
  },
  {
    name: "calls on to the call below it, whose result the program gets",
    needs: (sc) => override(sc) && sc.chains !== false,
    run: (c) => {
      const expected = baseline(c);
      c.load();
      strictEqual(c.sc.call(c.libc), expected);
    },
  },
  {
    name: "stays below another override that calls on through it, and either may be unloaded first",
    run: (c) => {
      const alone = (() => {
        const k = prepareSyscall(c.sc);
        k.load();
        return c.sc.call(k.libc);
      })();
      const name = c.load();
      c.loadChain();
      const calls = c.chainCalls();
      strictEqual(c.sc.call(c.libc), alone, "through syscall_chain, the module still answers");
      strictEqual(c.chainCalls(), calls + 1, "the call went through syscall_chain");
      c.kernel.rmmod(name);
      strictEqual(c.sc.call(c.libc), override(c.sc) ? baseline(c) : neg("ENOSYS"), "with the module gone from below, the chain calls on past it");
      strictEqual(c.chainCalls(), calls + 2);
      c.kernel.rmmod("syscall_chain");
    },
  },
  {
    name: "lays itself over another override and calls on through it, and either may be unloaded first",
    needs: override,
    run: (c) => {
      c.loadChain();
      const name = c.load();
      const expected = c.sc.chains === false ? undefined : baseline(c);
      const got = c.sc.call(c.libc);
      if (expected !== undefined) strictEqual(got, expected);
      c.kernel.rmmod("syscall_chain");
      strictEqual(c.sc.call(c.libc), got, "with syscall_chain gone from below, the module calls on to the base call");
      c.kernel.rmmod(name);
      strictEqual(c.sc.call(c.libc), baseline(c));
    },
  },
];
