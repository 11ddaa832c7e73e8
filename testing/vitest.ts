// The toolkit's suites as vitest tests: a module's KUnit cases, the POSIX filesystem checks, the character
// device checks and the system call module checks, each registered with describe/it where it is called.

import { readFileSync } from "node:fs";
import { beforeAll, describe, it } from "vitest";
import { resolveModules } from "./build.js";
import { CHRDEV_CHECKS, prepareChrdev, type ChrdevUnderTest } from "./chrdev.js";
import { fsCheckGroups, POSIX_CHECKS, prepareFs, type FsUnderTest } from "./fs.js";
import { runKunitModules, type KunitRunOptions } from "./kunit.js";
import { prepareSyscall, SYSCALL_CHECKS, type SyscallModuleUnderTest } from "./syscall.js";

/** How long a suite's module may take to build (compiling takes seconds, more on a busy machine): longer than vitest's default hook timeout. */
const BUILD_TIMEOUT = 120_000;

/** A module as a suite takes it: its binary, or a .wasm or .ts file (built before the tests run), or a module name. */
export type ModuleArg = Uint8Array | string;

/** The binary of a path (a .ts source is built), or the argument as it is (bytes, a module name). */
async function moduleBytes(module: ModuleArg | undefined): Promise<Uint8Array | string | undefined> {
  if (typeof module !== "string" || !/\.(ts|wasm)$/.test(module)) return module;
  const built = await resolveModules([module]);
  try {
    return new Uint8Array(readFileSync(built.modules[0]!));
  } finally {
    built.cleanup();
  }
}

/**
 * Each KUnit case of a module as a vitest test (await it at the top of a test file): the module is built if
 * a source, loaded with what it depends on in a fresh kernel, and its KTAP read back; a failed case fails
 * with its log (the check's report), a skipped one is skipped. A module that does not load fails one test.
 * Several modules (a driver and its test module using its symbols) are built together and loaded in order.
 */
export async function kunitSuites(module: string | readonly string[], opts: KunitRunOptions = {}): Promise<void> {
  const built = await resolveModules(typeof module === "string" ? [module] : module);
  const loadErrors: string[] = [];
  const run = (() => {
    try {
      return runKunitModules(built.modules, { ...opts, err: (t) => void loadErrors.push(t) });
    } finally {
      built.cleanup();
    }
  })();
  if (run.failedLoads.length > 0) {
    it(`loads ${[module].flat().join(" ")}`, () => {
      throw new Error(`${loadErrors.join("").trim()}\n${run.log.slice(-20).join("\n")}`);
    });
    return;
  }
  for (const suite of run.documents.flatMap((d) => d.subtests)) {
    describe(suite.name, () => {
      if (suite.subtests.length === 0) {
        it(suite.name, () => {
          if (suite.status !== "SUCCESS") throw new Error(suite.log.join("\n") || `${suite.name}: ${suite.status}`);
        });
      }
      for (const c of suite.subtests) {
        it(c.name, (ctx) => {
          if (c.status === "SKIPPED") return ctx.skip();
          if (c.status !== "SUCCESS") throw new Error(c.log.join("\n") || `${c.name}: ${c.status}`);
        });
      }
    });
  }
}

/** The POSIX filesystem checks (testing/fs.ts) against one filesystem type, each in a fresh kernel. */
export function fsConformance(fs: Omit<FsUnderTest, "module"> & { readonly module?: ModuleArg }): void {
  let under: FsUnderTest = { ...fs, module: undefined };
  beforeAll(async () => {
    under = { ...fs, module: await moduleBytes(fs.module) };
  }, BUILD_TIMEOUT);
  describe(`${fs.type}: POSIX conformance`, () => {
    for (const [group, checks] of fsCheckGroups(POSIX_CHECKS, fs)) {
      describe(group, () => {
        for (const check of checks) it(check.name, () => check.run(prepareFs(under)));
      });
    }
  });
}

/** The character device checks (testing/chrdev.ts) against one driver's device: those whose needs it meets. */
export function chrdevConformance(dev: Omit<ChrdevUnderTest, "module"> & { readonly module: ModuleArg }): void {
  let under: ChrdevUnderTest | undefined;
  beforeAll(async () => {
    under = { ...dev, module: (await moduleBytes(dev.module))! };
  }, BUILD_TIMEOUT);
  describe(`${dev.device}: character device conformance`, () => {
    for (const check of CHRDEV_CHECKS.filter((c) => !c.needs || c.needs(dev))) it(check.name, () => check.run(prepareChrdev(under!)));
  });
}

/** The system call module checks (testing/syscall.ts) that apply to its kind: register, override and chain, unload order. */
export function syscallModuleCheck(sc: Omit<SyscallModuleUnderTest, "module"> & { readonly module: ModuleArg }): void {
  let under: SyscallModuleUnderTest | undefined;
  beforeAll(async () => {
    under = { ...sc, module: (await moduleBytes(sc.module))! };
  }, BUILD_TIMEOUT);
  describe(`system call module ${typeof sc.module === "string" ? sc.module : ""}`.trimEnd(), () => {
    for (const check of SYSCALL_CHECKS.filter((c) => !c.needs || c.needs(sc))) it(check.name, () => check.run(prepareSyscall(under!)));
  });
}
