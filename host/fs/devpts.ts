// devpts (fs/devpts/inode.c): the filesystem on /dev/pts that names the pty slaves, /dev/pts/N, beside
// a ptmx node (c 5:2, mode 000 as Linux's default ptmxmode) whose open makes a new pair.
//
// The pairs are the kernel's (host/drivers/tty/pty.ts): every mount shows the same ones, the single
// instance a mount without newinstance shows on Linux before 4.7. A mount has a directory of its own
// whose names are looked up afresh each time, so a slave whose master has gone is gone from every mount.
// A ptmx node outside devpts (/dev/ptmx, 5:2) opens a pair only where a devpts is mounted on "pts" beside
// it, as devpts_acquire() finds one since Linux 4.7.

import { DEVPTS_SUPER_MAGIC } from "../../abi/magic.js";
import { dtType, makedev, S_IFCHR, S_IFDIR } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { FileOperations, FileSystemType, Inode, Path, SuperBlock } from "./fs.js";
import { dirEmitDots, simpleStatfs } from "./libfs.js";
import type { MountNamespace } from "./namespace.js";

/** TTYAUX_MAJOR:2, /dev/ptmx. */
export const PTMX_DEV = makedev(5, 2);

/** What a devpts directory shows: the slaves that have a name, and how ptmx opens a pair. */
export interface PtsSource {
  /** The slave /dev/pts/N is, or null. */
  slave(index: number): Inode | null;
  /** The numbers that have a slave, ascending. */
  indexes(): number[];
  readonly ptmxOps: FileOperations;
}

/** readdir positions: 0 and 1 the dots, 2 ptmx, 3 + N slave N (stable while others come and go). */
const FIRST_SLAVE_POS = 3;

/** The directory of one mount: ptmx and the slaves, found by name at each lookup. */
export function ptsDirectory(sb: SuperBlock, src: PtsSource): Inode {
  const ptmx = sb.newInode(S_IFCHR, {}, src.ptmxOps);
  ptmx.rdev = PTMX_DEV;
  const find = (name: string): Inode | null => (name === "ptmx" ? ptmx : /^(0|[1-9]\d{0,6})$/.test(name) ? src.slave(Number(name)) : null);
  const dir = sb.newInode(S_IFDIR | 0o755, {
    lookup: (_dir, name) => find(name),
    revalidate: (_dir, name, inode) => find(name) === inode,
  }, {
    iterate: (file, ctx) => {
      if (!dirEmitDots(file, ctx)) return;
      if (ctx.pos === 2) {
        if (!ctx.emit("ptmx", ptmx.ino, dtType(S_IFCHR))) return;
        ctx.pos = FIRST_SLAVE_POS;
      }
      for (const n of src.indexes()) {
        if (FIRST_SLAVE_POS + n < ctx.pos) continue;
        if (!ctx.emit(String(n), src.slave(n)!.ino, dtType(S_IFCHR))) return;
        ctx.pos = FIRST_SLAVE_POS + n + 1;
      }
    },
  });
  // devpts_fill_super()'s set_nlink(inode, 2): the slaves are no directories.
  dir.nlink = 2;
  return dir;
}

/** devpts_show_options(): the slaves' mode (glibc's grantpt mode, 620) and ptmx's; the mount's own options are not taken. */
const SHOW_OPTIONS = ",mode=620,ptmxmode=000";

export function devptsFsType(src: PtsSource): FileSystemType {
  return {
    name: "devpts", requiresDev: false, owner: null,
    mount: (sb) => {
      sb.op.showOptions = () => SHOW_OPTIONS;
      sb.op.statfs = simpleStatfs(DEVPTS_SUPER_MAGIC);
      return ptsDirectory(sb, src);
    },
  };
}

/**
 * devpts_acquire(): the devpts a ptmx file opens a pair in: its own when it is a devpts's ptmx, else
 * (devpts_ptmx_path) the one mounted on "pts" in the same directory, found in the dentry cache as
 * path_pts() finds it and followed to the top mount. ENOENT when there is no "pts" there, ENODEV when
 * what is there is not the root of a devpts mount (umount /dev/pts leaves devtmpfs's directory).
 */
export function devptsAcquire(ns: MountNamespace, path: Path, devpts: FileSystemType): SuperBlock {
  if (path.mnt.sb.type === devpts) return path.mnt.sb;
  // dget_parent(): a mount's root is its own parent.
  const pts = (path.dentry.parent ?? path.dentry).children.get("pts");
  if (!pts) throw new KernelError("ENOENT", "ptmx: no pts directory beside it: No such file or directory");
  let top: Path = { mnt: path.mnt, dentry: pts };
  for (let m = ns.mountedOn(top.mnt, top.dentry); m; m = ns.mountedOn(top.mnt, top.dentry)) top = { mnt: m, dentry: m.root };
  if (top.mnt.sb.type !== devpts) throw new KernelError("ENODEV", "ptmx: no devpts mounted on pts beside it: No such device");
  return top.mnt.sb;
}
