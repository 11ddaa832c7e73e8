// start_kernel(): one kernel instance, its subsystems wired together and its /proc files registered.

import { moduleSyscalls } from "../module/syscalls.js";
import { LOGLEVEL_DEFAULT } from "../../abi/kern_levels.js";
import { AT_FDCWD, MS_NOEXEC, MS_NOSUID, MS_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { syscallName } from "../../abi/syscalls.js";
import { devtmpfsFsType } from "../drivers/base/devtmpfs.js";
import { Devices } from "../drivers/base/core.js";
import { IoBus } from "../hw/bus.js";
import { Machine } from "../hw/machine.js";
import { HW_MODELS } from "../hw/models.js";
import { IrqController } from "../irq/manage.js";
import { IoPorts } from "../kernel/resource.js";
import { HZ } from "../../abi/poll.js";
import { Clock, reclaimTimers, type KernelTimer } from "../kernel/time/timer.js";
import { WaitRegistry } from "../kernel/wait.js";
import { Idr } from "../lib/idr.js";
import { CharDevices } from "../fs/char_dev.js";
import { Blkdev, lookupBdev } from "../block/fops.js";
import { Genhd } from "../block/genhd.js";
import { ModuleDisks } from "../block/module_ops.js";
import { BackingFiles } from "../block/backing.js";
import { HostfsUser } from "../fs/hostfs/hostfs_user.js";
import { BufferCache, ModuleBuffers } from "../fs/buffer.js";
import { currentOrNull } from "../kernel/sched.js";
import { FMODE_READ, FMODE_WRITE } from "../block/bdev.js";
import type { WalkContext } from "../fs/namei.js";
import type { FileOperations, FileSystemType, Inode } from "../fs/fs.js";
import { initSpecialInode } from "../fs/inode.js";
import { Kernfs } from "../fs/kernfs.js";
import { procCmdline, savedCommandLine } from "../fs/proc/cmdline.js";
import { debugfsFsType, DEBUGFS_MOUNTPOINT } from "../fs/debugfs.js";
import { Kunit, kunitParams } from "../lib/kunit/executor.js";
import { parseArgs } from "../module/params.js";
import { procFsType } from "../fs/proc/root.js";
import { sysfsFsType } from "../fs/sysfs.js";
import { ModuleFilesystems } from "../fs/module_ops.js";
import { BinfmtScript } from "../fs/binfmt_script.js";
import { BinfmtWasm } from "../fs/binfmt_wasm.js";
import { ModuleBinfmts } from "../fs/binfmt_module.js";
import { Exec } from "../fs/exec.js";
import { Ptys } from "../drivers/tty/pty.js";
import { nTty } from "../drivers/tty/n_tty.js";
import { ttyClass, TtyCore } from "../drivers/tty/tty_io.js";
import { ModuleTtys } from "../drivers/tty/module_ops.js";
import { Net } from "../net/core/net_namespace.js";
import { Vfs } from "../fs/vfs.js";
import { Tasks } from "../kernel/fork.js";
import type { Task } from "../kernel/sched.js";
import { builtinSyscalls } from "../kernel/sys_call_table.js";
import { SyscallTable } from "../kernel/syscalls.js";
import { moduleRelease, tryModuleGet } from "../module/ksyms.js";
import { Libc } from "../user/nolibc.js";
import { prepareNamespace, rootfsFsType } from "./do_mounts.js";
import { Taint } from "../kernel/panic.js";
import { LogBuffer, LOG_BUF_LEN, type LogRecord } from "../kernel/printk.js";
import { registerKernelSysctls } from "../kernel/sysctl.js";
import { softLockupLine, Watchdog, type SoftLockup } from "../kernel/watchdog.js";
import { Kallsyms } from "../module/kallsyms.js";
import { DEFAULT_AUTOCLEAN_DELAY, Kmod } from "../kernel/kmod.js";
import { autoclean } from "../module/autoclean.js";
import { kernelHalt } from "../kernel/reboot.js";
import type { Mount } from "../fs/namespace.js";
import { releaseDir } from "../kmod/depmod.js";
import { join } from "node:path";
import { ROOT } from "./paths.js";
import { MAX_MODULES, type Module } from "../module/internal.js";
import type { ModuleFn } from "../module/fnptr.js";
import { ModuleLoader, type LoaderContext, type LoadOptions } from "../module/main.js";
import { procModules } from "../module/procfs.js";
import { KernelCore } from "../kernel/core.js";

export interface KernelOptions {
  /** Microseconds since boot; defaults to the process's monotonic clock from the moment of boot. */
  readonly clockUsec?: () => number;
  /** Wall-clock nanoseconds, for ktime_get_real_ts64. */
  readonly realtimeNs?: () => bigint;
  /** Bytes of kmalloc memory each module may hold (default 8 MiB). */
  readonly kmallocCap?: number;
  /** The maximum of each module's linear memory, in 64 KiB pages (default 512: 32 MiB). */
  readonly memoryMaxPages?: number;
  /** The modules the kernel holds at once (default MAX_MODULES, 1,024); past it insmod is ENOMEM. */
  readonly maxModules?: number;
  readonly logBufLen?: number;
  /** The console: sees each record below the console log level as it is logged. */
  readonly console?: (record: LogRecord) => void;
  /**
   * This system's /lib/modules/<release>: where insmod, modinfo and modprobe find a module by name, and
   * so where request_module's modprobe looks (default: the tree's lib/modules/<release>, which npm ci fills).
   */
  readonly moduleDir?: string;
  /** Where modprobe reads modprobe.d configuration, most important first (default: the tree's etc/, run/ and lib/modprobe.d). */
  readonly modprobeConfig?: readonly string[];
  /** Seconds of simulated time between autoclean sweeps of modules loaded on demand (default 60, kerneld's). */
  readonly autocleanDelay?: number;
  /**
   * CONFIG_SOFTLOCKUP_DETECTOR (default true): modules get the watchdog's budget checks. False only to
   * measure what they cost (the benchmarks): module code that never ends then holds the kernel forever.
   */
  readonly softlockupDetector?: boolean;
  /** The kernel command line (/proc/cmdline), whose MODULE.PARAM=VALUE and modprobe.blacklist= modprobe applies; kunit.enable=0, kunit.filter_glob=GLOB and kunit.action=list are KUnit's; slub_debug turns the kmalloc fast path off. */
  readonly cmdline?: string;
}

/** How long a task may idle waiting to be woken before its call is interrupted (simulated time). */
export const IDLE_LIMIT_NS = 10e9;

function timespec(ns: bigint): { sec: number; nsec: number } {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

export const DEFAULT_KMALLOC_CAP = 8 << 20;
export const DEFAULT_MEMORY_MAX_PAGES = 512;

export class Kernel implements LoaderContext {
  readonly log: LogBuffer;
  readonly taint = new Taint();
  /** The soft-lockup detector every module's and program's budget checks call. */
  readonly watchdog: Watchdog;
  readonly kernfs = new Kernfs();
  /** The tree of the debugfs mount at /sys/kernel/debug. */
  readonly debugfs = new Kernfs();
  readonly kunit: Kunit;
  readonly kallsyms = new Kallsyms();
  readonly modules: ModuleLoader;
  readonly limits: LoaderContext["limits"];
  readonly chrdevs: CharDevices;
  /** The block layer: disks and majors, the buffer cache, block device nodes, disk drivers and filesystems as modules. */
  readonly genhd: Genhd;
  readonly buffers: BufferCache;
  readonly blkdev: Blkdev;
  readonly moduleDisks: ModuleDisks;
  readonly moduleBuffers: ModuleBuffers;
  readonly backingFiles: BackingFiles;
  /** The host side of hostfs: host files, each superblock confined to its directory. */
  readonly hostfs: HostfsUser;
  readonly vfs: Vfs;
  readonly tasks: Tasks;
  readonly syscalls: SyscallTable;
  readonly moduleFilesystems: ModuleFilesystems;
  /** execve and the binary formats: binfmt_script and binfmt_wasm built in, then what modules register. */
  readonly exec: Exec;
  readonly moduleBinfmts: ModuleBinfmts;
  /** The tty core: tty drivers, line disciplines, N_TTY. */
  readonly ttys: TtyCore;
  readonly moduleTtys: ModuleTtys;
  /** The network stack: net devices (lo built in, drivers as modules), IPv4, sockets. */
  readonly net: Net;
  /** The terminals shell sessions give their tasks. */
  readonly ptys: Ptys;
  readonly devices: Devices;
  /** The simulated machine: its I/O bus, its clock, its interrupt controller. */
  readonly bus = new IoBus();
  readonly clock: Clock;
  /** The hot symbols in wasm (host/kernel/core.ts). */
  readonly core: KernelCore;
  readonly irqs: IrqController;
  readonly ioports: IoPorts;
  readonly machine: Machine;
  readonly timers = new Idr<KernelTimer>();
  readonly waits = new WaitRegistry();
  readonly kmod: Kmod;
  readonly moduleDir: string;
  readonly modprobeConfig: readonly string[];
  /** saved_command_line: what the kernel was booted with, cut to COMMAND_LINE_SIZE. */
  readonly cmdline: string;
  /** `slub_debug` was on the command line: kmalloc and kfree keep every block's bookkeeping in the kernel. */
  readonly slubDebug: boolean;
  /** The mounts made at boot (/, /dev, /proc, /sys): halt leaves them. */
  readonly bootMounts: ReadonlySet<Mount>;
  /** pid 1: the task the kernel's own reads and writes of /proc and /sys run as. */
  readonly init: Task;
  private readonly initLibc: Libc;
  /** The task name Oops lines report: the command being run. */
  comm = "swapper/0";
  dieCounter = 0;
  private readonly realtime: () => bigint;

  constructor(opts: KernelOptions = {}) {
    const boot = performance.now();
    this.watchdog = new Watchdog(undefined, opts.softlockupDetector ?? true);
    this.log = new LogBuffer(opts.clockUsec ?? (() => (performance.now() - boot) * 1000), opts.logBufLen ?? LOG_BUF_LEN, opts.console);
    this.realtime = opts.realtimeNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.limits = {
      kmallocCap: opts.kmallocCap ?? DEFAULT_KMALLOC_CAP,
      memoryMaxPages: opts.memoryMaxPages ?? DEFAULT_MEMORY_MAX_PAGES,
      maxModules: opts.maxModules ?? MAX_MODULES,
    };
    this.modules = new ModuleLoader(this);
    this.moduleDir = opts.moduleDir ?? releaseDir(ROOT);
    this.modprobeConfig = opts.modprobeConfig ?? ["etc", "run", "lib"].map((d) => join(ROOT, d, "modprobe.d"));
    this.kernfs.add("/proc/modules", { mode: 0o444, show: () => procModules(this.modules.list()) });
    this.kernfs.add("/proc/kallsyms", { mode: 0o444, show: () => this.kallsyms.show() });
    this.cmdline = savedCommandLine(opts.cmdline ?? "");
    procCmdline(this.kernfs, this.cmdline);
    const params = parseArgs(this.cmdline);
    this.slubDebug = params.some(([name]) => name === "slub_debug");
    this.kunit = new Kunit({
      printk: (m, level) => void this.printk(m, level), warn: (m) => this.warn(m), taint: this.taint, debugfs: this.debugfs,
      tryCall: (mod, fn) => this.modules.tryCall(mod, fn), touchWatchdog: () => this.watchdog.touch(),
    }, kunitParams(params));
    registerKernelSysctls(this.kernfs, this.taint, this.log.levels, this.watchdog);
    const now = () => timespec(this.realtime());
    const guard = (mod: Module, f: ModuleFn) => this.modules.guard(mod, f);
    const owners = {
      getOwner: (owner: Module | null) => owner === null || tryModuleGet(owner, owner.handle),
      putOwner: (owner: Module | null) => void (owner && moduleRelease(owner)),
      requestModule: (name: string) => this.kmod.request(name),
    };
    this.chrdevs = new CharDevices({ err: (m) => void this.printk(m, 3), warn: (m) => this.warn(m), ...owners });
    this.vfs = new Vfs({
      now, warn: (m) => this.warn(m), ...owners,
      openBdev: (devName, flags, holder) => this.openBdev(devName, flags, holder),
      closeBdev: (bdev, holder) => this.blkdev.close(bdev, holder),
    });
    this.tasks = new Tasks(this.vfs);
    this.clock = new Clock((ns) => {
      this.core.jiffies(this.clock.jiffies);
      this.bus.tick(ns);
    }, (fn) => this.irqs.enter(fn));
    this.core = new KernelCore(this.clock.jiffies);
    this.ttys = new TtyCore(
      { chrdevs: this.chrdevs, warn: (m) => this.warn(m), raiseSoftirq: (fn) => this.irqs.raiseSoftirq(fn), ...owners }, nTty(this.clock),
    );
    this.ptys = new Ptys(this.vfs, this.ttys, now);
    this.irqs = new IrqController({ log: (level, m) => void this.printk(m, level) });
    const blk = {
      clock: this.clock,
      log: (level: number, m: string) => void this.printk(m, level),
      idle: (ns: number) => this.irqs.leave(() => ns > 0 && this.clock.advance(ns)),
    };
    this.buffers = new BufferCache({ ...blk, comm: () => currentOrNull()?.comm ?? this.comm });
    this.genhd = new Genhd({ ...blk, kernfs: this.kernfs, devices: () => this.devices, cache: () => this.buffers, warn: (m) => this.warn(m) });
    this.blkdev = new Blkdev(this.genhd, this.buffers, owners);
    this.moduleDisks = new ModuleDisks(this.genhd, guard);
    this.kmod = new Kmod({
      kernfs: this.kernfs,
      err: (m) => void this.printk(m, 3),
      modules: () => this.modules.list(),
      clock: this.clock,
      autocleanDelay: opts.autocleanDelay ?? DEFAULT_AUTOCLEAN_DELAY,
      autoclean: () => void autoclean(this.modules),
    });
    this.ioports = new IoPorts(this.bus, (m) => this.warn(m));
    this.machine = new Machine(this.bus, (irq, asserted) => this.irqs.setLevel(irq, asserted), HW_MODELS);
    this.exec = new Exec({
      vfs: this.vfs, tasks: this.tasks, ...owners, warn: (m) => this.warn(m), userMode: (fn) => this.irqs.leave(fn),
    });
    this.exec.formats.register(new BinfmtScript(this.exec));
    const programs = {
      tasks: this.tasks, entry: (t: Task) => this.entry(t), info: (m: string) => void this.printk(m, 6), watchdog: this.watchdog,
      softLockup: (t: Task, lockup: SoftLockup) => this.softLockup(t, lockup),
    };
    this.exec.formats.register(new BinfmtWasm(this.exec, programs));
    this.moduleBinfmts = new ModuleBinfmts(this.exec, guard, (m) => this.warn(m));
    this.net = new Net({
      kernfs: this.kernfs, clock: this.clock, vfs: this.vfs, guard, now,
      raiseSoftirq: (fn) => this.irqs.raiseSoftirq(fn),
      log: (level, m) => void this.printk(m, level),
      getOwner: (owner) => tryModuleGet(owner, owner.handle),
      putOwner: (owner) => moduleRelease(owner),
    });
    const syscalls = {
      ...builtinSyscalls(this.vfs, this.clock, this.exec, this.tasks, () => this.buffers.syncAll()), ...this.net.sockets.syscalls(),
      ...moduleSyscalls({ load: (b, o) => this.modules.load(b, o), unload: (n, f) => this.modules.unload(n, f), readFile: (f) => this.exec.readFile(f) }),
    };
    this.syscalls = new SyscallTable(syscalls, this.irqs);
    this.moduleFilesystems = new ModuleFilesystems(
      this.vfs.filesystems, guard, this.specialInode(), this.waits.tables, (m) => void this.printk(m, 3),
    );
    this.moduleBuffers = new ModuleBuffers(this.buffers, this.moduleFilesystems.sbs, (m) => this.warn(m));
    this.hostfs = new HostfsUser(this.moduleFilesystems.sbs);
    this.backingFiles = new BackingFiles({
      files: this.moduleFilesystems.files, inodes: this.moduleFilesystems.inodes, requests: this.genhd.requests,
      kernelTask: () => this.init, fput: (f) => this.vfs.fput(f), warn: (m) => this.warn(m),
    });
    this.mountBootFilesystems();
    this.bootMounts = new Set(this.vfs.ns.list());
    this.init = this.tasks.spawn("init", null);
    this.initLibc = this.libcFor(this.init);
    this.devices = new Devices(() => this.kernelWalk(), (m) => this.warn(m));
    const ttyDevices = ttyClass(this.devices, this.kernfs);
    this.ttys.init(ttyDevices);
    this.ptys.init(this.chrdevs, ttyDevices);
    this.moduleTtys = new ModuleTtys({
      core: this.ttys, devices: this.devices, guard, files: this.moduleFilesystems.files, pollTables: this.waits.tables,
    });
  }

  /** init_special_inode() as this kernel's filesystems use it: its character and block devices. */
  private specialInode(): (inode: Inode) => FileOperations {
    this.blkdevFops ??= this.blkdev.fileOperations();
    return initSpecialInode(this.chrdevs, this.blkdevFops);
  }

  private blkdevFops: FileOperations | undefined;

  /** get_tree_bdev(): the block device a mount names, walked from the calling task (init's at boot). */
  private openBdev(devName: string, flags: number, holder: object) {
    const task = currentOrNull() ?? this.init;
    const dev = lookupBdev(this.vfs.at(task, AT_FDCWD, devName), devName);
    return this.blkdev.open(dev, FMODE_READ | (flags & MS_RDONLY ? 0 : FMODE_WRITE), holder);
  }

  private mountBootFilesystems(): void {
    const special = this.specialInode();
    const types: FileSystemType[] = [
      sysfsFsType(this.kernfs), rootfsFsType(special), procFsType(this.kernfs, { find: (pid) => this.tasks.find(pid), pids: () => this.tasks.pids() }),
      devtmpfsFsType(special), debugfsFsType(this.debugfs), this.ptys.fsType,
    ];
    for (const t of types) this.vfs.filesystems.register(t);
    this.kernfs.add("/proc/filesystems", { mode: 0o444, show: () => this.vfs.filesystems.show() });
    this.kernfs.add("/proc/mounts", { mode: 0o444, show: () => this.vfs.ns.show() });
    this.kernfs.add("/proc/devices", { mode: 0o444, show: () => this.chrdevs.show() + this.genhd.showDevices() });
    this.kernfs.add("/proc/partitions", { mode: 0o444, show: () => this.genhd.showPartitions() });
    this.kernfs.add("/proc/interrupts", { mode: 0o444, show: () => this.irqs.show() });
    this.kernfs.add("/proc/ioports", { mode: 0o444, show: () => this.ioports.show() });
    this.kernfs.add("/proc/tty/drivers", { mode: 0o444, show: () => this.ttys.show() });
    this.kernfs.add("/proc/tty/ldiscs", { mode: 0o444, show: () => this.ttys.ldiscs.show() });
    for (const dir of ["/sys/module", "/sys/kernel", "/sys/fs", "/sys/block", DEBUGFS_MOUNTPOINT]) this.kernfs.addDir(dir);
    prepareNamespace(this.vfs, [
      ["devtmpfs", "devtmpfs", "/dev"], ["proc", "proc", "/proc"], ["sysfs", "sysfs", "/sys"], ["debugfs", "debugfs", DEBUGFS_MOUNTPOINT],
      // As systemd mounts it (less gid=5: no groups here), what a booted system's /proc/mounts shows.
      ["devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "mode=620,ptmxmode=000"],
    ]);
  }

  /** Paths as the kernel itself walks them: from init's root, whatever the calling task's cwd. */
  private kernelWalk(): WalkContext {
    return { ns: this.vfs.ns, root: this.init.fs.root, start: this.init.fs.root };
  }

  /** A new task (a process) whose cwd is init's, with the small C library that drives its system calls. */
  spawn(comm: string): Libc {
    return this.libcFor(this.tasks.spawn(comm, this.init));
  }

  /** fork(2) of a TypeScript-driven task: a child with the parent's memory, descriptors, root and cwd. */
  fork(parent: Libc): Libc {
    return this.libcFor(this.tasks.fork(parent.task));
  }

  private libcFor(task: Task): Libc {
    return new Libc(this.syscalls, task, (t) => this.idleUntilWoken(t));
  }

  /** A program's system call entry (binfmt_wasm): nolibc's, which restarts a call that has to wait. */
  private entry(task: Task): (nr: number, args: readonly number[]) => number {
    const libc = this.libcFor(task);
    return (nr, args) => libc.syscall(nr, ...args);
  }

  /**
   * The idle loop for a task driven synchronously: let simulated time run, a jiffy at a time, until the
   * task is woken. False (the call then fails with EINTR, as if interrupted) when nothing could wake it:
   * no device on the bus and no timer pending, or ten seconds of simulated time gone by.
   */
  idleUntilWoken(task: Task): boolean {
    return this.idle(task, IDLE_LIMIT_NS) && !task.sleeping;
  }

  /**
   * Let simulated time run for up to ns while the task sleeps, a jiffy at a time; false as soon as nothing
   * could wake it (no device on the bus and no timer pending).
   */
  idle(task: Task, ns: number): boolean {
    const jiffy = 1e9 / HZ;
    for (let waited = 0; task.sleeping && waited < ns; waited += jiffy) {
      if (this.bus.list().length === 0 && this.clock.nextTimerNs() === null) return false;
      this.clock.advance(jiffy);
    }
    return true;
  }

  /**
   * Let simulated time pass (the shell's `hw tick`): devices work and interrupt as they go (the hardware
   * runs beside the kernel), and timers fire as kernel code.
   */
  tick(ns: number): void {
    this.clock.advance(ns);
  }

  /**
   * A task's own code ran past the soft-lockup threshold without the kernel scheduling (a wasm program, or
   * a command driven synchronously): the watchdog's line, and taint L. Its caller kills the task.
   */
  softLockup(task: Task, lockup: SoftLockup): void {
    this.printk(softLockupLine(lockup.seconds, task.comm, task.pid), 0);
    this.taint.add("SOFTLOCKUP");
  }

  /** Halt in order (kernel_halt, host/kernel/reboot.ts): unmount, unload every module, "reboot: System halted". */
  halt(): void {
    this.as("halt", () => kernelHalt(this));
  }

  /** printk with an explicit level (LOGLEVEL_DEFAULT: from the message's KERN_* prefix). */
  printk(message: string, level: number = LOGLEVEL_DEFAULT): number {
    return this.log.printk(message, level);
  }

  warn(message: string): void {
    this.log.printk(message, 4);
  }

  reclaimResources(mod: Module): string[] {
    const syscalls = this.syscalls
      .removeOwner(mod)
      .map((nr) => `system call ${nr} (${syscallName(nr) ?? "unnamed"}) still installed at unload; removed`);
    const irqs = this.irqs.freeOwner(mod).map((irq) => `irq ${irq} handler still installed at unload; freed`);
    this.waits.reclaim(mod);
    const block = [...this.moduleBuffers.reclaim(mod), ...this.genhd.reclaim(mod), ...this.backingFiles.reclaim(mod)];
    this.moduleDisks.forget(mod);
    this.kunit.reclaim(mod);
    return [
      ...this.net.reclaim(mod),
      ...syscalls, ...block, ...this.moduleTtys.reclaim(mod), ...this.moduleFilesystems.reclaim(mod), ...this.chrdevs.reclaim(mod),
      ...this.devices.reclaim(mod), ...irqs,
      ...reclaimTimers(this.clock, this.timers, mod), ...this.ioports.reclaim(mod), ...this.moduleBinfmts.reclaim(mod),
    ];
  }

  moduleLive(mod: Module): void {
    this.kunit.moduleLive(mod);
  }

  callModule<T>(mod: Module, fn: () => T): T {
    return this.modules.call(mod, fn);
  }

  moduleByHandle(handle: number): Module | undefined {
    return this.modules.byHandle(handle);
  }

  realtimeNs(): bigint {
    return this.realtime();
  }

  /** insmod: load a module binary; see ModuleLoader.load for the errors. */
  insmod(bytes: Uint8Array, opts: LoadOptions = {}): Module {
    return this.as("insmod", () => this.modules.load(bytes, opts));
  }

  /** rmmod: see ModuleLoader.unload for the errors. */
  rmmod(name: string, force = false): void {
    this.as("rmmod", () => this.modules.unload(name, force));
  }

  /** Read a whole file as init, through the VFS (cat). */
  read(path: string): string {
    return new TextDecoder().decode(this.as("cat", () => this.initLibc.readFile(path)));
  }

  /** Write a file as init in one write(2), as `echo VALUE > PATH` does for /proc and /sys (VALUE with its newline). */
  write(path: string, buf: string): void {
    this.as("echo", () => {
      const fd = this.initLibc.open(path, O_WRONLY);
      try {
        this.initLibc.write(fd, buf);
      } finally {
        this.initLibc.close(fd);
      }
    });
  }

  private as<T>(comm: string, fn: () => T): T {
    const saved = this.comm;
    this.comm = comm;
    try {
      return this.irqs.enter(fn);
    } finally {
      this.comm = saved;
    }
  }
}
