// Pseudo-terminals (drivers/tty/pty.c, fs/devpts): the terminal a shell session's task has on descriptors
// 0, 1 and 2. The session holds the master side, as a terminal emulator or sshd holds /dev/ptmx: what is
// written to the slave appears in the session's output, standard output and standard error alike, as on
// any terminal. The master sends nothing, so a read of the slave finds end of file, as after Ctrl-D.
//
// devpts is not mounted here: each slave's dentry stands where /dev/pts/N would, in a tree of its own, so
// /proc/PID/fd shows the name Linux shows.

import { O_RDWR } from "../../../abi/fcntl.js";
import { makedev, S_IFCHR, S_IFDIR } from "../../../abi/stat.js";
import { Dentry } from "../../fs/dcache.js";
import { SuperBlock, type File, type FileOperations, type FileSystemType, type Timespec } from "../../fs/fs.js";
import { Mount } from "../../fs/namespace.js";
import type { Vfs } from "../../fs/vfs.js";
import { KernelError } from "../../kernel/error.js";
import { current } from "../../kernel/sched.js";

/** UNIX98_PTY_SLAVE_MAJOR: /dev/pts/N is 136:N. */
export const UNIX98_PTY_SLAVE_MAJOR = 136;

const devpts: FileSystemType = {
  name: "devpts",
  requiresDev: false,
  owner: null,
  mount: () => {
    throw new KernelError("ENODEV", "devpts: No such device");
  },
};

export class Ptys {
  private readonly mnt: Mount;
  /** Where the slaves' dentries hang: "/dev/pts" of the private tree. */
  private readonly pts: Dentry;
  /** The slave numbers in use; a new slave takes the lowest free one, as devpts_new_index() does. */
  private readonly used = new Set<number>();

  constructor(
    private readonly vfs: Vfs,
    now: () => Timespec,
  ) {
    const sb = new SuperBlock(devpts, 0, now);
    const dir = () => sb.newInode(S_IFDIR | 0o755, {}, {});
    const root = new Dentry("/", null, dir());
    this.mnt = new Mount(0, sb, root, null, null, "devpts");
    this.pts = root.add("dev", dir()).add("pts", dir());
  }

  /**
   * A new slave, /dev/pts/N, opened read-write (one reference: install it, dup it), whose writes go to
   * `output`. Its number is free again once the last descriptor on it closes.
   */
  open(output: (text: string) => void): File {
    let index = 0;
    while (this.used.has(index)) index++;
    this.used.add(index);
    const inode = this.mnt.sb.newInode(S_IFCHR | 0o620, {}, this.slaveOps(index, output));
    inode.rdev = makedev(UNIX98_PTY_SLAVE_MAJOR, index);
    return this.vfs.openFile({ mnt: this.mnt, dentry: this.pts.add(String(index), inode) }, O_RDWR);
  }

  private slaveOps(index: number, output: (text: string) => void): FileOperations {
    const decoder = new TextDecoder();
    return {
      read: () => 0,
      write: (_file, ubuf, count) => {
        output(decoder.decode(current().mm.bytes(ubuf, count), { stream: true }));
        return count;
      },
      llseek: () => {
        throw new KernelError("ESPIPE", "Illegal seek");
      },
      release: () => {
        this.pts.drop(String(index));
        this.used.delete(index);
      },
    };
  }
}
