// Pseudo-terminals (drivers/tty/pty.c, fs/devpts): tty lines whose far end is a master the host holds,
// as a terminal emulator or sshd holds /dev/ptmx. A shell session's task has one on descriptors 0, 1 and
// 2: what is written to the slave goes through N_TTY's output processing to the session's output,
// standard output and standard error alike, as on any terminal. That master sends nothing, so a read of
// the slave finds end of file, as after Ctrl-D. A pair opened with openPair() has a master that types
// into the slave (PtyMaster.write) and collects its output (PtyMaster.read).
//
// devpts is not mounted here: each slave's dentry stands where /dev/pts/N would, in a tree of its own, so
// /proc/PID/fd shows the name Linux shows; the slave and master drivers are in /proc/tty/drivers.

import { O_RDWR } from "../../../abi/fcntl.js";
import { makedev, S_IFCHR, S_IFDIR } from "../../../abi/stat.js";
import { B38400, CREAD, CS8 } from "../../../abi/termios.js";
import { Dentry } from "../../fs/dcache.js";
import { SuperBlock, type File, type FileSystemType, type Timespec } from "../../fs/fs.js";
import { Mount } from "../../fs/namespace.js";
import type { Vfs } from "../../fs/vfs.js";
import { KernelError } from "../../kernel/error.js";
import type { Tty, TtyCore, TtyDriver } from "./tty_io.js";
import type { TtyPort } from "./tty_port.js";

/** UNIX98_PTY_SLAVE_MAJOR: /dev/pts/N is 136:N; the masters are 128:N. */
export const UNIX98_PTY_SLAVE_MAJOR = 136;
const UNIX98_PTY_MASTER_MAJOR = 128;
/** NR_UNIX98_PTY_MAX. */
const PTY_MAX = 1 << 20;

const devpts: FileSystemType = {
  name: "devpts",
  requiresDev: false,
  owner: null,
  mount: () => {
    throw new KernelError("ENODEV", "devpts: No such device");
  },
};

/** The master side of a pair: what it writes is the slave's input; what the slave writes, it reads. */
export class PtyMaster {
  private output: number[] = [];

  constructor(private readonly port: TtyPort) {}

  /** The master's write(2): the bytes arrive at the slave's discipline. */
  write(data: Uint8Array | string): void {
    this.port.insert(typeof data === "string" ? new TextEncoder().encode(data) : data);
    this.port.push();
  }

  /** The master's read(2): what the slave sent since the last read. */
  read(): Uint8Array {
    const out = Uint8Array.from(this.output);
    this.output = [];
    return out;
  }

  /** The slave's line, while it is open. */
  get tty(): Tty | null {
    return this.port.tty;
  }

  collect(bytes: Uint8Array): void {
    for (const b of bytes) this.output.push(b);
  }
}

export class Ptys {
  private readonly mnt: Mount;
  /** Where the slaves' dentries hang: "/dev/pts" of the private tree. */
  private readonly pts: Dentry;
  /** The slave numbers in use, each with where its output goes; a new slave takes the lowest free one, as devpts_new_index() does. */
  private readonly used = new Map<number, (bytes: Uint8Array) => void>();
  private readonly slave: TtyDriver;
  private readonly master: TtyDriver;

  constructor(
    private readonly vfs: Vfs,
    private readonly core: TtyCore,
    now: () => Timespec,
  ) {
    const sb = new SuperBlock(devpts, 0, now);
    const dir = () => sb.newInode(S_IFDIR | 0o755, {}, {});
    const root = new Dentry("/", null, dir());
    this.mnt = new Mount(0, sb, root, null, null, "devpts");
    this.pts = root.add("dev", dir()).add("pts", dir());
    const common = { minorStart: 0, num: PTY_MAX, initCflag: B38400 | CS8 | CREAD, owner: null };
    this.master = { ...common, driverName: "pty_master", name: "ptm", major: UNIX98_PTY_MASTER_MAJOR, type: "pty:master", ops: { write: (_t, b) => b.length } };
    this.slave = {
      ...common, driverName: "pty_slave", name: "pts", major: UNIX98_PTY_SLAVE_MAJOR, type: "pty:slave",
      ops: { write: (tty, bytes) => (this.used.get(tty.index)?.(bytes), bytes.length) },
    };
    core.register(this.master, false);
    core.register(this.slave, false);
  }

  /**
   * A new slave, /dev/pts/N, opened read-write (one reference: install it, dup it), whose output goes to
   * `output` decoded as UTF-8, as a terminal shows it, and whose master sends nothing. Its number is free again once the last
   * descriptor on it closes.
   */
  open(output: (text: string) => void): File {
    const decoder = new TextDecoder();
    // The session is the terminal that shows the output: ONLCR's "\r\n" is a new line there.
    const file = this.openSlave((bytes) => output(decoder.decode(bytes, { stream: true }).replaceAll("\r\n", "\n")));
    (file.private as Tty).inputEnded = true;
    return file;
  }

  /** A slave and its master, for a test or a program that types into the terminal. */
  openPair(): { slave: File; master: PtyMaster } {
    let master: PtyMaster | null = null;
    const slave = this.openSlave((bytes) => master?.collect(bytes));
    master = new PtyMaster((slave.private as Tty).port);
    return { slave, master };
  }

  private openSlave(output: (bytes: Uint8Array) => void): File {
    let index = 0;
    while (this.used.has(index)) index++;
    const port = this.core.addPort(this.slave, index);
    this.used.set(index, output);
    const lines = this.core.lineOperations();
    const inode = this.mnt.sb.newInode(S_IFCHR | 0o620, {}, {
      ...lines,
      open: (_inode, file) => void this.core.open(port, file),
      release: (inode, file) => {
        try {
          lines.release!(inode, file);
        } finally {
          if (!port.tty) this.free(port);
        }
      },
    });
    inode.rdev = makedev(UNIX98_PTY_SLAVE_MAJOR, index);
    try {
      return this.vfs.openFile({ mnt: this.mnt, dentry: this.pts.add(String(index), inode) }, O_RDWR);
    } catch (e) {
      this.free(port);
      throw e;
    }
  }

  private free(port: TtyPort): void {
    this.core.removePort(port);
    this.pts.drop(String(port.index));
    this.used.delete(port.index);
  }
}
