// A kernel for a test: boot it, load modules into it (bytes, files, or names from its module directory),
// give it tasks that make system calls, mount filesystems, and read what it logged.

import { readFileSync } from "node:fs";
import type { ASUtil } from "@assemblyscript/loader";
import { Kernel, type KernelOptions } from "../host/init/main.js";
import { modulePath } from "../host/cli/kmod.js";
import { runProgram } from "../host/cli/session.js";
import type { KunitSuite } from "../host/lib/kunit/test.js";
import type { Module } from "../host/module/internal.js";
import type { Libc } from "../host/user/nolibc.js";
import { moduleExports } from "./module.js";

/** A module a test loaded: its kernel record, the binary it came from, and its own exports. */
export class LoadedModule {
  constructor(
    private readonly kernel: Kernel,
    readonly module: Module,
    readonly bytes: Uint8Array,
  ) {}

  get name(): string {
    return this.module.name;
  }

  /** Its exported functions through @assemblyscript/loader (testing/module.ts), each call through the kernel's gate. */
  exports<T extends Record<string, unknown> = Record<string, unknown>>(): ASUtil & T {
    return moduleExports<T>(this.kernel, this.module, this.bytes);
  }

  /** Its KUnit suites as they ran when it loaded (what /sys/kernel/debug/kunit shows). */
  get kunit(): readonly KunitSuite[] {
    return this.kernel.kunit.suites(this.module);
  }
}

export interface MountOptions {
  /** The device or name mount(2) is given (default: the type's name). */
  readonly source?: string;
  readonly flags?: number;
  /** The filesystem's own options, as mount -o gives them. */
  readonly data?: string;
}

export class TestKernel {
  /** The task that loads, mounts and reads for the test itself. */
  private readonly admin: Libc;

  constructor(readonly kernel: Kernel) {
    this.admin = kernel.spawn("test");
  }

  /** A new task (a process whose cwd is /) making system calls with nolibc: open, read, write, lseek, ioctl, poll, syscall... */
  task(comm = "test"): Libc {
    return this.kernel.spawn(comm);
  }

  /** insmod: a module binary, or a .wasm file, with its parameters ("who=me count=3"). Throws KernelError as insmod fails. */
  insmod(module: Uint8Array | string, params = ""): LoadedModule {
    const bytes = typeof module === "string" ? new Uint8Array(readFileSync(module)) : module;
    const mod = this.kernel.insmod(bytes, { args: params, filename: typeof module === "string" ? module : undefined });
    return new LoadedModule(this.kernel, mod, bytes);
  }

  /** modprobe NAME [PARAMS]: a module of the kernel's module directory, after what it depends on. Throws as loadModule does. */
  modprobe(name: string, params = ""): LoadedModule {
    const mod = this.kernel.modules.find(loadModule(this.kernel, name, params))!;
    return new LoadedModule(this.kernel, mod, new Uint8Array(readFileSync(modulePath(name, this.kernel.moduleDir))));
  }

  rmmod(name: string, force = false): void {
    this.kernel.rmmod(name, force);
  }

  /** mount(2) of a new `type` instance on dir, made first if missing. */
  mount(type: string, dir: string, opts: MountOptions = {}): void {
    this.mkdirs(dir);
    this.admin.mount(opts.source ?? type, dir, type, opts.flags ?? 0, opts.data ?? "");
  }

  umount(dir: string): void {
    this.admin.umount(dir);
  }

  /** mkdir -p. */
  mkdirs(dir: string): void {
    let path = "";
    for (const part of dir.split("/").filter((p) => p !== "")) {
      path += `/${part}`;
      try {
        this.admin.stat(path);
      } catch {
        this.admin.mkdir(path);
      }
    }
  }

  /** A file read whole, as cat reads it. */
  read(path: string): string {
    return this.kernel.read(path);
  }

  /** One write(2) of text, as echo TEXT > PATH makes it. */
  write(path: string, text: string): void {
    this.kernel.write(path, text);
  }

  /** The kernel log, a line per line. */
  dmesg(): string[] {
    return this.kernel.log.read().flatMap((r) => r.text.split("\n"));
  }

  /** dmesg -C. */
  clearDmesg(): void {
    this.kernel.log.clear();
  }

  /** The lines logged while fn ran (fn's own exception, if any, passes through). */
  captureDmesg(fn: () => unknown): string[] {
    const last = this.kernel.log.read().at(-1)?.seq ?? -1;
    fn();
    return this.kernel.log.read().filter((r) => r.seq > last).flatMap((r) => r.text.split("\n"));
  }
}

/**
 * Load a module into a kernel: a binary with insmod, a name with modprobe (what it depends on first). Returns
 * the module's name; throws insmod's KernelError, or an Error with what modprobe printed.
 */
export function loadModule(kernel: Kernel, module: Uint8Array | string, params = ""): string {
  if (module instanceof Uint8Array) return kernel.insmod(module, { args: params }).name;
  const err: string[] = [];
  const argv = ["modprobe", module, ...params.split(" ").filter((p) => p !== "")];
  if (runProgram(kernel, argv, () => undefined, (t) => void err.push(t)) !== 0) throw new Error(`modprobe ${module}: ${err.join("").trim()}`);
  return module.replace(/-/g, "_");
}

/** A fresh kernel for a test (options as Kernel takes them: cmdline, module directory, limits...). */
export function bootKernel(opts: KernelOptions = {}): TestKernel {
  return new TestKernel(new Kernel(opts));
}
