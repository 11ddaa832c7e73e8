// Pseudo-terminals (drivers/tty/pty.c): Unix98 pairs of a slave tty line, /dev/pts/N, and a master that
// types into it and reads its output.
//
// A program gets a pair as Linux gives one: open("/dev/ptmx") (posix_openpt; the chrdev 5:2, which
// finds the devpts mounted on /dev/pts at boot; /dev/pts/ptmx opens the same) gives the master, TIOCGPTN
// its number N, TIOCSPTLCK 0 unlocks the slave (unlockpt), and /dev/pts/N opens it; the master's read(2)
// takes what the slave wrote, its write(2) is the slave's input. The master's last close hangs the slave
// up (reads find end of file, writes fail with EIO, its foreground task gets SIGHUP) and takes its name
// away; its number is free again once the slave is closed too.
//
// The host holds masters too: a shell session's task has a slave on descriptors 0, 1 and 2 whose output
// goes to the session (through N_TTY, so ONLCR makes each newline CR NL, shown as a new line) and whose
// master sends nothing, so a read finds end of file; openPair() gives a slave and a PtyMaster for a test or
// a program. devpts (host/fs/devpts.ts) names every slave; the kernel's own mount of it, where a session's
// slave is opened, is a tree of its own with /dev/pts in it, so /proc/PID/fd shows the name Linux shows.

import { O_RDWR } from "../../../abi/fcntl.js";
import { POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../../abi/poll.js";
import { makedev, S_IFCHR, S_IFDIR } from "../../../abi/stat.js";
import { B38400, CREAD, CS8, TIOCGPTLCK, TIOCGPTN, TIOCGWINSZ, TIOCSPTLCK, TIOCSWINSZ } from "../../../abi/termios.js";
import { Dentry } from "../../fs/dcache.js";
import type { CharDevices } from "../../fs/char_dev.js";
import { devptsAcquire, devptsFsType, ptsDirectory, type PtsSource } from "../../fs/devpts.js";
import { SuperBlock, type File, type FileOperations, type FileSystemType, type Inode, type Timespec } from "../../fs/fs.js";
import { Mount } from "../../fs/namespace.js";
import type { Vfs } from "../../fs/vfs.js";
import { KernelError } from "../../kernel/error.js";
import { current, type Task } from "../../kernel/sched.js";
import { WaitQueue } from "../../kernel/wait.js";
import { copyFromUser, copyToUser } from "../../mm/uaccess.js";
import { ttyWait, TTYAUX_MAJOR, type Tty, type TtyClass, type TtyCore, type TtyDriver, type Winsize } from "./tty_io.js";
import { winsizeIoctl } from "./tty_ioctl.js";
import type { TtyPort } from "./tty_port.js";

/** UNIX98_PTY_SLAVE_MAJOR: /dev/pts/N is 136:N; the masters are 128:N. */
export const UNIX98_PTY_SLAVE_MAJOR = 136;
const UNIX98_PTY_MASTER_MAJOR = 128;
/** NR_UNIX98_PTY_MAX. */
const PTY_MAX = 1 << 20;
/** TTYB_DEFAULT_MEM_LIMIT: what a master holds of the slave's output before the slave's writers wait. */
const PTY_BUFFER = 65536;

/** The master side of a pair: what it writes is the slave's input; what the slave writes, it reads. */
export class PtyMaster {
  private output: number[] = [];
  /** A reader of the master waits here for the slave's output. */
  readonly readWait = new WaitQueue();

  constructor(private readonly port: TtyPort) {}

  /** The master's write(2): the bytes arrive at the slave's discipline. */
  write(data: Uint8Array | string): void {
    this.port.insert(typeof data === "string" ? new TextEncoder().encode(data) : data);
    this.port.push();
  }

  /** The master's read(2): what the slave sent since the last read, at most count bytes. */
  read(count = Infinity): Uint8Array {
    const out = Uint8Array.from(this.output.splice(0, count));
    if (out.length > 0) this.port.tty?.wakeup();
    return out;
  }

  get pending(): number {
    return this.output.length;
  }

  /** The slave's line, while it is open. */
  get tty(): Tty | null {
    return this.port.tty;
  }

  /** The slave's output: as much as the master's buffer takes; the count taken. */
  collect(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, PTY_BUFFER - this.output.length);
    for (let i = 0; i < n; i++) this.output.push(bytes[i]!);
    if (n > 0) this.readWait.wakeUp();
    return n;
  }
}

/** A pair: its slave's port and inode, where its output goes, and the state of its master. */
interface Pair {
  readonly port: TtyPort;
  readonly inode: Inode;
  /** The slave's output to the master; the count taken. */
  readonly output: (bytes: Uint8Array) => number;
  /** How much output the master takes now. */
  readonly room: () => number;
  /** A /dev/ptmx master (not one the host holds), and whether it is still open. */
  readonly ptmx: boolean;
  masterOpen: boolean;
  /** TTY_PTY_LOCK: the slave cannot be opened (EIO) until the master unlocks it. */
  locked: boolean;
  /** TTY_OTHER_CLOSED: the slave was opened and is closed again; the master's read gives EIO. */
  slaveClosed: boolean;
  /** The window size both sides see (pty_resize() sets both). */
  readonly winsize: Winsize;
}

/** A /dev/ptmx open: its pair's number and master. */
interface PtmxFile {
  readonly index: number;
  readonly master: PtyMaster;
}

export class Ptys {
  /** devpts, for the kernel to register among its filesystems. */
  readonly fsType: FileSystemType;
  /** The kernel's own devpts mount (devpts_mnt): a tree of its own whose /dev/pts shows the slaves. */
  private readonly mnt: Mount;
  private readonly pts: Dentry;
  /** The numbers in use, as devpts_new_index() hands them out (the lowest free one). */
  private readonly pairs = new Map<number, Pair>();
  /** The masters of the open /dev/ptmx files, by number. */
  private readonly masters = new Map<number, PtyMaster>();
  private readonly slave: TtyDriver;
  private readonly master: TtyDriver;
  /** ptmx's operations, the same on /dev/ptmx and on every devpts's ptmx. */
  private readonly ptmxOps: FileOperations;

  constructor(
    private readonly vfs: Vfs,
    private readonly core: TtyCore,
    now: () => Timespec,
  ) {
    this.ptmxOps = this.ptmxOperations();
    const source: PtsSource = {
      slave: (n) => {
        const pair = this.pairs.get(n);
        return pair && (!pair.ptmx || pair.masterOpen) ? pair.inode : null;
      },
      indexes: () => [...this.pairs.keys()].filter((n) => source.slave(n) !== null).sort((a, b) => a - b),
      ptmxOps: this.ptmxOps,
    };
    this.fsType = devptsFsType(source);
    const sb = new SuperBlock(this.fsType, 0, now);
    const root = new Dentry("/", null, sb.newInode(S_IFDIR | 0o755, {}, {}));
    this.mnt = new Mount(0, sb, root, null, null, "devpts");
    this.pts = root.add("dev", sb.newInode(S_IFDIR | 0o755, {}, {})).add("pts", ptsDirectory(sb, source));
    const common = { minorStart: 0, num: PTY_MAX, initCflag: B38400 | CS8 | CREAD, owner: null };
    this.master = { ...common, driverName: "pty_master", name: "ptm", major: UNIX98_PTY_MASTER_MAJOR, type: "pty:master", ops: { write: (_t, b) => b.length } };
    this.slave = {
      ...common, driverName: "pty_slave", name: "pts", major: UNIX98_PTY_SLAVE_MAJOR, type: "pty:slave",
      ops: {
        write: (tty, bytes) => this.pairs.get(tty.index)?.output(bytes) ?? bytes.length,
        writeRoom: (tty) => this.pairs.get(tty.index)?.room() ?? PTY_BUFFER,
      },
    };
    core.register(this.master, false);
    core.register(this.slave, false);
    core.onRelease.push((tty) => {
      if (tty.driver === this.slave) this.slaveClosed(tty.index);
    });
  }

  /**
   * unix98_pty_init()'s /dev/ptmx: the chrdev region 5:2 and its node (crw-rw-rw-, as tty_devnode()
   * makes it), whose open makes a pair as /dev/pts/ptmx's does.
   */
  init(chrdevs: CharDevices, cls: TtyClass): void {
    chrdevs.register(TTYAUX_MAJOR, "/dev/ptmx", this.ptmxOps, null, 2, 1);
    cls.create(makedev(TTYAUX_MAJOR, 2), "ptmx", 0o666);
  }

  /**
   * A new slave, /dev/pts/N, opened read-write (one reference: install it, dup it), whose output goes to
   * `output` decoded as UTF-8, as a terminal shows it, and whose master sends nothing; `shell` is its
   * foreground task, so the line is its controlling terminal (/dev/tty), as getty's open makes a login
   * shell's. Its number is free again once the last descriptor on it closes.
   */
  open(output: (text: string) => void, shell: Task): File {
    const decoder = new TextDecoder();
    // The session is the terminal that shows the output: ONLCR's "\r\n" is a new line there.
    const show = (bytes: Uint8Array) => (output(decoder.decode(bytes, { stream: true }).replaceAll("\r\n", "\n")), bytes.length);
    const file = this.openSlave(this.newPair(false, () => ({ output: show, room: () => PTY_BUFFER })));
    const tty = file.private as Tty;
    tty.inputEnded = true;
    tty.foreground = shell;
    return file;
  }

  /** A slave and its master, for a test or a program that types into the terminal. */
  openPair(): { slave: File; master: PtyMaster } {
    let master: PtyMaster | null = null;
    const index = this.newPair(false, (port) => {
      master = new PtyMaster(port);
      return { output: (bytes) => master!.collect(bytes), room: () => PTY_BUFFER - master!.pending };
    });
    return { slave: this.openSlave(index), master: master! };
  }

  /** devpts_new_index() and the slave's port and inode: the new pair's number. */
  private newPair(ptmx: boolean, far: (port: TtyPort, index: number) => Pick<Pair, "output" | "room">): number {
    let index = 0;
    while (this.pairs.has(index)) index++;
    if (index >= PTY_MAX) throw new KernelError("ENOSPC", "devpts: No space left on device");
    const port = this.core.addPort(this.slave, index);
    const inode = this.mnt.sb.newInode(S_IFCHR | 0o620, {}, { ...this.core.lineOperations(), open: (_inode, file) => this.slaveOpen(index, file) });
    inode.rdev = makedev(UNIX98_PTY_SLAVE_MAJOR, index);
    this.pairs.set(index, { port, inode, ...far(port, index), ptmx, masterOpen: true, locked: ptmx, slaveClosed: false, winsize: { rows: 0, cols: 0 } });
    return index;
  }

  /** pty_open() of a slave: EIO while it is locked or its master is gone. */
  private slaveOpen(index: number, file: File): void {
    const pair = this.pairs.get(index)!;
    if (pair.locked || !pair.masterOpen) throw new KernelError("EIO", `pts/${index}: Input/output error`);
    this.core.open(pair.port, file).winsize = pair.winsize;
    pair.slaveClosed = false;
  }

  /** The slave's last close (on its node or /dev/tty): a ptmx master reads EIO from now; the number is free once the master is gone too. */
  private slaveClosed(index: number): void {
    const pair = this.pairs.get(index)!;
    pair.slaveClosed = true;
    if (pair.ptmx && pair.masterOpen) {
      this.masters.get(index)?.readWait.wakeUp();
      return;
    }
    this.free(index);
  }

  /** The slave opened read-write through the kernel's own devpts mount. */
  private openSlave(index: number): File {
    try {
      return this.vfs.openFile({ mnt: this.mnt, dentry: this.pts.add(String(index), this.pairs.get(index)!.inode) }, O_RDWR);
    } catch (e) {
      this.free(index);
      throw e;
    }
  }

  private free(index: number): void {
    const pair = this.pairs.get(index)!;
    this.core.removePort(pair.port);
    this.pts.drop(String(index));
    this.pairs.delete(index);
    this.masters.delete(index);
  }

  /**
   * ptmx_open() and the master's file operations (pty_unix98_ops with n_tty's raw read and write). The
   * open finds its devpts first (ENOENT, ENODEV: nothing is allocated); every devpts shows the same
   * pairs here, so which one it found does not change the pair.
   */
  private ptmxOperations(): FileOperations {
    const ptmxOf = (file: File) => file.private as PtmxFile;
    return {
      open: (_inode, file) => {
        devptsAcquire(this.vfs.ns, file.path, this.fsType);
        const index = this.newPair(true, (port, n) => {
          const master = new PtyMaster(port);
          this.masters.set(n, master);
          return { output: (bytes) => master.collect(bytes), room: () => PTY_BUFFER - master.pending };
        });
        file.private = { index, master: this.masters.get(index)! } satisfies PtmxFile;
      },
      read: (file, ubuf, count) => {
        const { index, master } = ptmxOf(file);
        if (master.pending === 0) {
          if (this.pairs.get(index)!.slaveClosed) throw new KernelError("EIO", `ptm/${index}: Input/output error`);
          return ttyWait(`ptm/${index}`, file, master.readWait);
        }
        const bytes = master.read(count);
        copyToUser(current().mm, ubuf, bytes);
        return bytes.length;
      },
      write: (file, ubuf, count) => {
        ptmxOf(file).master.write(copyFromUser(current().mm, ubuf, count));
        return count;
      },
      poll: (file, pt) => {
        const { index, master } = ptmxOf(file);
        pt.wait(master.readWait);
        const hup = this.pairs.get(index)!.slaveClosed ? POLLHUP : 0;
        return (master.pending > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM | hup;
      },
      ioctl: (file, cmd, arg) => this.ptmxIoctl(ptmxOf(file), cmd, arg),
      llseek: () => {
        throw new KernelError("ESPIPE", "Illegal seek");
      },
      release: (_inode, file) => this.masterClosed(ptmxOf(file).index),
    };
  }

  /** pty_unix98_ioctl(): TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK, and the window size; ENOTTY for the rest. */
  private ptmxIoctl(ptmx: PtmxFile, cmd: number, arg: number): number {
    const pair = this.pairs.get(ptmx.index)!;
    const put = (value: number) => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, value, true);
      copyToUser(current().mm, arg, out);
      return 0;
    };
    switch (cmd) {
      case TIOCGPTN:
        return put(ptmx.index);
      case TIOCGPTLCK:
        return put(pair.locked ? 1 : 0);
      case TIOCSPTLCK:
        pair.locked = new DataView(copyFromUser(current().mm, arg, 4).buffer).getInt32(0, true) !== 0;
        return 0;
      case TIOCGWINSZ:
      case TIOCSWINSZ:
        return winsizeIoctl(pair.winsize, cmd, arg);
      default:
        throw new KernelError("ENOTTY", `ptm/${ptmx.index}: Inappropriate ioctl for device`);
    }
  }

  /** pty_close() of a master: the slave hangs up and loses its name; the number goes with the slave's last close. */
  private masterClosed(index: number): void {
    const pair = this.pairs.get(index)!;
    pair.masterOpen = false;
    this.pts.drop(String(index));
    if (pair.port.tty) pair.port.tty.hangup();
    else this.free(index);
  }
}
