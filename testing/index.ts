// wasm-lkm/testing: test your own modules with vitest (or any runner). Boot a kernel, load modules built from
// source or read from files, drive them through a task's system calls, read the kernel log, turn a module's
// KUnit cases into tests, and put a filesystem, a character device or a system call module through the
// conformance checks the tree's own modules pass.

export { bootKernel, LoadedModule, loadModule, TestKernel, type MountOptions } from "./kernel.js";
export { buildModule, resolveModules } from "./build.js";
export { moduleExports } from "./module.js";
export { expectErrno, expectRefused } from "./errno.js";
export { BAD_PTR, getdentsOnce, names, neg, sys, text, tree, userBuffer, userString, writeFile } from "./vfs.js";
export { chrdevConformance, fsConformance, kunitSuites, syscallModuleCheck, type ModuleArg } from "./vitest.js";
export { CHRDEV_CHECKS, prepareChrdev, type ChrdevCheck, type ChrdevContext, type ChrdevUnderTest } from "./chrdev.js";
export { fsCheckGroups, POSIX_CHECKS, prepareFs, type FsCheck, type FsContext, type FsUnderTest } from "./fs.js";
export { prepareSyscall, SYSCALL_CHECKS, type SyscallCheck, type SyscallContext, type SyscallModuleUnderTest } from "./syscall.js";
export { installedTestModules, runKunitModules, type KunitRun, type KunitRunOptions } from "./kunit.js";
export { countCases, extractKtap, formatSummary, ktapDocuments, parseKtap, type KtapCounts, type KtapStatus, type KtapTest } from "./ktap.js";
export type { Kernel, KernelOptions } from "../host/init/main.js";
export type { Libc, Stat, Dirent } from "../host/user/nolibc.js";
export * from "../abi/fcntl.js";
export * from "../abi/poll.js";
export { ERRNO, type ErrnoName } from "../abi/errno.js";
