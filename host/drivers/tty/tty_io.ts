// The tty core (drivers/tty/tty_io.c): tty drivers and their lines, the tty_struct of an open line, and
// the file operations every tty device node has, which hand reads, writes, poll and ioctl to the line's
// discipline (N_TTY unless TIOCSETD chose another) and its output to the driver.
//
// A driver registers a range of minors on its major (tty_register_driver) and a port per line it has
// (tty_port_register_device). The first open of a line makes its tty: the termios the driver starts it
// with (kept from the last close, as driver->termios[] keeps it), N_TTY opened on it, the driver's open;
// the last close undoes that. The task that opens a line with no foreground task becomes its foreground
// task (unless it opens with O_NOCTTY), which the discipline's ISIG characters signal (there are no
// process groups here).
//
// tty_init() gives major 5 its first two minors: /dev/tty, the opener's controlling terminal, and
// /dev/console (pty.ts adds /dev/ptmx, 5:2). There are no sessions here: a task's controlling terminal
// is the line it is the foreground task of (it opened the line first, took it with TIOCSCTTY or
// TIOCSPGRP, or is a session's shell), until that line's last close or hang-up, as session_clear_tty()
// ends it in Linux; a forked child has none of its own.

import { O_NOCTTY, O_NONBLOCK } from "../../../abi/fcntl.js";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../../abi/poll.js";
import { signo } from "../../../abi/signal.js";
import { ERESTARTSYS } from "../../../abi/errno.js";
import { major, makedev, minor, S_IFCHR } from "../../../abi/stat.js";
import { IXOFF, N_TTY, stdTermios, VSTART, VSTOP, type Termios } from "../../../abi/termios.js";
import type { File, FileOperations, Inode } from "../../fs/fs.js";
import type { CharDevices } from "../../fs/char_dev.js";
import type { Kernfs } from "../../fs/kernfs.js";
import type { Devices } from "../base/core.js";
import { KernelError } from "../../kernel/error.js";
import { current, currentOrNull, type Task } from "../../kernel/sched.js";
import { sendSignal } from "../../kernel/signal.js";
import { WaitQueue } from "../../kernel/wait.js";
import type { Module } from "../../module/internal.js";
import { Ldiscs, type LdiscOps } from "./tty_ldisc.js";
import { ttyIoctl } from "./tty_ioctl.js";
import { TtyPort } from "./tty_port.js";

/** struct tty_operations, as the core calls the driver. */
export interface TtyOperations {
  open?(tty: Tty): void;
  close?(tty: Tty): void;
  /** Queue bytes for sending: how many it took (fewer when its buffer is full). */
  write(tty: Tty, bytes: Uint8Array): number;
  /** How many bytes write would take now; unbounded when absent. */
  writeRoom?(tty: Tty): number;
  /** The termios changed: the driver applies c_cflag (the baud rate). */
  setTermios?(tty: Tty, old: Termios): void;
}

/** TTY_DRIVER_TYPE_* with its subtype, as /proc/tty/drivers names them. */
export type TtyDriverType = "serial" | "pty:master" | "pty:slave" | "console" | "system";

export interface TtyDriver {
  /** /proc/tty/drivers' first column ("serial", "pty_slave"). */
  readonly driverName: string;
  /** The device name's stem: "ttyS" for /dev/ttyS0. */
  readonly name: string;
  readonly major: number;
  readonly minorStart: number;
  readonly num: number;
  readonly type: TtyDriverType;
  /** init_termios.c_cflag: B9600 | CS8 | CREAD | HUPCL | CLOCAL for a serial port. */
  readonly initCflag: number;
  readonly ops: TtyOperations;
  readonly owner: Module | null;
}

export interface Winsize {
  rows: number;
  cols: number;
}

/** struct tty_struct: an open line. */
export class Tty {
  termios: Termios;
  ldisc: LdiscOps;
  /** The discipline's own state (tty->disc_data). */
  discData: unknown = null;
  readonly readWait = new WaitQueue();
  readonly writeWait = new WaitQueue();
  /** Open files on it. */
  count = 0;
  /** The task the discipline's INTR and QUIT characters signal. */
  foreground: Task | null = null;
  /** The far end will send nothing more (the session's pty master): an empty read is end of file. */
  inputEnded = false;
  /** tty->flow.stopped: output is held (the STOP character under IXON, or TCXONC) until started again. */
  stopped = false;
  /** tty->flow.tco_stopped: stopped by TCXONC's TCOOFF, which only TCOON undoes. */
  tcoStopped = false;
  /** TTY_THROTTLED: the discipline asked the far end to stop sending. */
  throttled = false;
  /** tty_hung_up_p(): the line was hung up. */
  hungUp = false;
  /** struct winsize; a pty's slave shares its pair's, which the master sets too. */
  winsize: Winsize = { rows: 0, cols: 0 };

  constructor(
    readonly driver: TtyDriver,
    readonly index: number,
    readonly port: TtyPort,
    termios: Termios,
    ldisc: LdiscOps,
    /** Run work once the kernel code running now returns (a softirq, as tty_wakeup's work runs in Linux's drivers). */
    private readonly defer: (fn: () => void) => void,
  ) {
    this.termios = termios;
    this.ldisc = ldisc;
  }

  /** tty_name(): "ttyS0", "pts/3". */
  get name(): string {
    return this.driver.name === "pts" ? `pts/${this.index}` : `${this.driver.name}${this.index}`;
  }

  /** tty->ops->write: nothing is taken while output is stopped, as a stopped driver does not send. */
  write(bytes: Uint8Array): number {
    return bytes.length === 0 || this.stopped ? 0 : this.driver.ops.write(this, bytes);
  }

  /** tty_write_room(): none while output is stopped. */
  writeRoom(): number {
    if (this.stopped) return 0;
    return this.driver.ops.writeRoom ? this.driver.ops.writeRoom(this) : Number.MAX_SAFE_INTEGER;
  }

  /** tty_send_xchar(): a START or STOP character for the far end, ahead of the output and even while it is stopped. */
  sendXchar(c: number): void {
    this.driver.ops.write(this, Uint8Array.of(c));
  }

  /**
   * tty_throttle_safe() and tty_unthrottle_safe(): the discipline's buffer is nearly full, or has room
   * again. A serial line under IXOFF asks the far end to stop or start with STOP and START (serial_core's
   * uart_throttle); a pty has no throttle operation, so nothing is sent on one.
   */
  throttle(on: boolean): void {
    if (on === this.throttled) return;
    this.throttled = on;
    if (this.driver.type === "serial" && this.termios.iflag & IXOFF) this.sendXchar(this.termios.cc[on ? VSTOP : VSTART]!);
  }

  /** stop_tty(): hold the output. */
  stop(): void {
    this.stopped = true;
  }

  /** start_tty(): let the output go again, and writers on; not while TCOOFF holds it. */
  start(): void {
    if (!this.stopped || this.tcoStopped) return;
    this.stopped = false;
    this.wakeup();
  }

  /** What the driver received, to the discipline. */
  receive(bytes: Uint8Array): void {
    this.ldisc.receiveBuf?.(this, bytes);
  }

  /**
   * tty_wakeup(): writers may go on, and the discipline hears of it once the driver's code has returned,
   * so a discipline that writes from write_wakeup (SLIP) never runs inside its own write.
   */
  wakeup(): void {
    this.writeWait.wakeUp();
    this.defer(this.writeWakeup);
  }

  private readonly writeWakeup = (): void => {
    if (this.port.tty === this) this.ldisc.writeWakeup?.(this);
  };

  /** Wait on a queue: the call restarts when it is woken (or gives EAGAIN for a non-blocking file). */
  wait(file: File, wq: WaitQueue): never {
    return ttyWait(this.name, file, wq);
  }

  /**
   * tty_vhangup(): the far end is gone (a pty's master closed). Reads find end of file, writes fail with
   * EIO, and the foreground task gets SIGHUP, as the session of a closed terminal does.
   */
  hangup(): void {
    if (this.hungUp) return;
    this.hungUp = true;
    if (this.foreground && this.foreground.exitCode === null) sendSignal(this.foreground, signo("SIGHUP"));
    this.readWait.wakeUp();
    this.writeWait.wakeUp();
  }
}

/** Sleep on wq for a tty file named name: the call restarts when woken; EAGAIN for a non-blocking file. */
export function ttyWait(name: string, file: File, wq: WaitQueue): never {
  if (file.flags & O_NONBLOCK) throw new KernelError("EAGAIN", `${name}: Resource temporarily unavailable`);
  wq.add(current());
  throw new KernelError(ERESTARTSYS, `${name}: waiting`);
}

export interface TtyContext {
  readonly chrdevs: CharDevices;
  requestModule(name: string): number;
  getOwner(owner: Module | null): boolean;
  putOwner(owner: Module | null): void;
  warn(message: string): void;
  /** raise_softirq(): fn runs once the kernel code running now returns. */
  raiseSoftirq(fn: () => void): void;
}

/** /proc/tty/drivers' first lines, which Linux prints before the first driver whatever is registered. */
const PSEUDO_DRIVERS = [
  ["/dev/tty", "tty", 0, "system:/dev/tty"],
  ["/dev/console", "console", 1, "system:console"],
  ["/dev/ptmx", "ptmx", 2, "system"],
] as const;
export const TTYAUX_MAJOR = 5;
/** hung_up_tty_poll(): everything at once. */
const HUNG_UP_POLL = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;

/** tty_class: a device's node in devtmpfs (mode as tty_devnode() gives it) and /sys/class/tty/NAME/dev. */
export interface TtyClass {
  create(dev: number, name: string, mode: number): void;
}

export function ttyClass(devices: Devices, kernfs: Kernfs): TtyClass {
  return {
    create: (dev, name, mode) => {
      devices.create(null, major(dev), minor(dev), name, S_IFCHR, mode);
      kernfs.add(`/sys/class/tty/${name}/dev`, { mode: 0o444, show: () => `${major(dev)}:${minor(dev)}\n` });
    },
  };
}

export class TtyCore {
  readonly ldiscs: Ldiscs;
  /** Newest first, as list_add puts them (and /proc/tty/drivers lists them). */
  private readonly drivers: TtyDriver[] = [];
  private readonly ports = new Map<TtyDriver, Map<number, TtyPort>>();
  /** Told of each tty after its last close (module handles on it go). */
  readonly onRelease: ((tty: Tty) => void)[] = [];
  /** The termios each line had at its last close (driver->termios[]). */
  private readonly saved = new Map<TtyPort, Termios>();

  constructor(private readonly ctx: TtyContext, nTty: LdiscOps) {
    this.ldiscs = new Ldiscs(ctx);
    this.ldiscs.register(nTty);
  }

  /**
   * tty_init(): /dev/tty (5:0, crw-rw-rw-) and /dev/console (5:1, crw-------), each a chrdev region of
   * its own, as /proc/devices lists them.
   */
  init(cls: TtyClass): void {
    this.ctx.chrdevs.register(TTYAUX_MAJOR, "/dev/tty", { ...this.lineOperations(), open: (_inode, file) => this.openCurrent(file) }, null, 0, 1);
    cls.create(makedev(TTYAUX_MAJOR, 0), "tty", 0o666);
    this.ctx.chrdevs.register(TTYAUX_MAJOR, "/dev/console", { open: () => this.openConsole() }, null, 1, 1);
    cls.create(makedev(TTYAUX_MAJOR, 1), "console", 0o600);
  }

  /** tty_open_current_tty(): the opener's controlling terminal, opened once more (tty_reopen); ENXIO without one. */
  private openCurrent(file: File): void {
    const tty = this.currentTty();
    if (!tty) throw new KernelError("ENXIO", "/dev/tty: No such device or address");
    tty.count++;
    file.private = tty;
  }

  /** get_current_tty(): the open, not hung-up line whose foreground task is the caller. */
  private currentTty(): Tty | null {
    const task = currentOrNull();
    if (!task) return null;
    for (const ports of this.ports.values()) {
      for (const { tty } of ports.values()) if (tty && tty.foreground === task && !tty.hungUp) return tty;
    }
    return null;
  }

  /**
   * tty_lookup_driver() for 5:1: console_device() finds no console with a tty here (the kernel's console
   * is the printk sink the host gives, KernelOptions.console, not a tty driver), so ENODEV, as on a Linux
   * booted without a console driver.
   */
  private openConsole(): never {
    throw new KernelError("ENODEV", "/dev/console: No such device");
  }

  /**
   * tty_register_driver(): the driver's major (a device node of it opens a line); with chrdev false
   * (the ptys, whose nodes carry their files' operations) only the list. EBUSY if the major is taken.
   */
  register(driver: TtyDriver, chrdev = true): void {
    if (chrdev) this.ctx.chrdevs.register(driver.major, driver.name, this.fileOperations(driver), driver.owner);
    this.drivers.unshift(driver);
    this.ports.set(driver, new Map());
  }

  /** tty_unregister_driver(): EBUSY while one of its lines is open. */
  unregister(driver: TtyDriver, chrdev = true): void {
    const open = [...(this.ports.get(driver)?.values() ?? [])].find((p) => p.tty);
    if (open) throw new KernelError("EBUSY", `${driver.driverName}: ${open.tty!.name} is open`);
    if (chrdev) this.ctx.chrdevs.unregister(driver.major, driver.owner);
    this.drivers.splice(this.drivers.indexOf(driver), 1);
    for (const port of this.ports.get(driver)!.values()) this.saved.delete(port);
    this.ports.delete(driver);
  }

  /** The drivers a module registered, taken back at rmmod. */
  driversOf(owner: Module): TtyDriver[] {
    return this.drivers.filter((d) => d.owner === owner);
  }

  /** tty_port_register_device(): line index of the driver has a port. EINVAL outside num, EBUSY if it has one. */
  addPort(driver: TtyDriver, index: number): TtyPort {
    const ports = this.ports.get(driver);
    if (!ports) throw new KernelError("EINVAL", `${driver.name}${index}: driver not registered`);
    if (!Number.isInteger(index) || index < 0 || index >= driver.num) throw new KernelError("EINVAL", `${driver.name}${index}: index outside 0..${driver.num - 1}`);
    if (ports.has(index)) throw new KernelError("EBUSY", `${driver.name}${index}: port already registered`);
    const port = new TtyPort(driver, index);
    ports.set(index, port);
    return port;
  }

  removePort(port: TtyPort): void {
    if (port.tty) throw new KernelError("EBUSY", `${port.tty.name} is open`);
    this.ports.get(port.driver)?.delete(port.index);
    this.saved.delete(port);
  }

  /** The file operations of a driver's device nodes: open finds the line by minor (ENXIO without a port). */
  fileOperations(driver: TtyDriver): FileOperations {
    return {
      ...this.lineOperations(),
      open: (inode: Inode, file: File) => {
        const index = minor(inode.rdev) - driver.minorStart;
        const port = this.ports.get(driver)?.get(index);
        if (major(inode.rdev) !== driver.major || !port) throw new KernelError("ENXIO", `${driver.name}${index}: No such device or address`);
        this.open(port, file);
      },
    };
  }

  /**
   * tty_open() on a port: the first open makes the tty; each open counts; file.private is the tty. The
   * opener takes a line with no live foreground task, unless O_NOCTTY (tty_open_proc_set_tty()).
   */
  open(port: TtyPort, file: File): Tty {
    const tty = port.tty ?? this.initDev(port);
    tty.count++;
    const task = currentOrNull();
    if (task && !(file.flags & O_NOCTTY) && (!tty.foreground || tty.foreground.exitCode !== null)) tty.foreground = task;
    file.private = tty;
    port.push();
    return tty;
  }

  /** tty_init_dev(): termios, N_TTY, the driver's open; a refusal undoes it all. */
  private initDev(port: TtyPort): Tty {
    const driver = port.driver;
    const termios = this.saved.get(port) ?? stdTermios(driver.initCflag);
    termios.line = N_TTY;
    const tty = new Tty(driver, port.index, port, termios, this.ldiscs.get(N_TTY), (fn) => this.ctx.raiseSoftirq(fn));
    tty.ldisc.open?.(tty);
    port.tty = tty;
    try {
      driver.ops.open?.(tty);
    } catch (e) {
      port.tty = null;
      tty.ldisc.close?.(tty);
      this.ldiscs.put(tty.ldisc);
      throw e;
    }
    return tty;
  }

  /** tty_release(): the last close closes the driver's line and the discipline, keeping the termios. */
  release(tty: Tty): void {
    if (--tty.count > 0) return;
    try {
      tty.driver.ops.close?.(tty);
    } finally {
      tty.port.tty = null;
      tty.ldisc.close?.(tty);
      this.ldiscs.put(tty.ldisc);
      this.saved.set(tty.port, tty.termios);
      tty.readWait.wakeUp();
      tty.writeWait.wakeUp();
      for (const hook of this.onRelease) hook(tty);
    }
  }

  /** A tty's read, write, poll, ioctl and release, as every tty file has them. */
  lineOperations(): FileOperations {
    const ttyOf = (file: File) => file.private as Tty;
    return {
      read: (file, ubuf, count) => {
        const tty = ttyOf(file);
        if (tty.hungUp) return 0;
        if (!tty.ldisc.read) throw new KernelError("EIO", `${tty.name}: Input/output error`);
        return tty.ldisc.read(tty, file, ubuf, count);
      },
      write: (file, ubuf, count) => {
        const tty = ttyOf(file);
        if (tty.hungUp || !tty.ldisc.write) throw new KernelError("EIO", `${tty.name}: Input/output error`);
        return tty.ldisc.write(tty, file, ubuf, count);
      },
      poll: (file, pt) => {
        const tty = ttyOf(file);
        if (tty.hungUp) return HUNG_UP_POLL;
        return tty.ldisc.poll ? tty.ldisc.poll(tty, file, pt) : 0;
      },
      ioctl: (file, cmd, arg) => ttyIoctl(this.ldiscs, ttyOf(file), file, cmd, arg),
      llseek: () => {
        throw new KernelError("ESPIPE", "Illegal seek");
      },
      release: (_inode, file) => this.release(ttyOf(file)),
    };
  }

  /** /proc/tty/drivers: the pseudo-drivers, then "%-20s /dev/%-8s %3d %d-%d %s" per driver, newest first. */
  show(): string {
    if (this.drivers.length === 0) return "";
    const head = PSEUDO_DRIVERS.map(([name, dev, min, type]) => `${name.padEnd(20)} /dev/${dev.padEnd(8)} ${String(TTYAUX_MAJOR).padStart(3)} ${String(min).padStart(7)} ${type}\n`);
    const rows = this.drivers.map((d) => {
      const range = d.num > 1 ? `${d.minorStart}-${d.minorStart + d.num - 1}` : String(d.minorStart).padStart(7);
      return `${d.driverName.padEnd(20)} /dev/${d.name.padEnd(8)} ${String(d.major).padStart(3)} ${range} ${d.type}\n`;
    });
    return head.join("") + rows.join("");
  }
}
