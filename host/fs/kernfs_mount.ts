// A mountable view of a kernfs tree (fs/kernfs/{mount,dir,file,symlink}.c): procfs and sysfs are two of them.
//
// Inodes are made on lookup and revalidated on every walk, since the tree changes under the dcache as
// modules come and go: a name whose node is gone or replaced is looked up afresh (d_revalidate).

import { O_ACCMODE, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { dtType, S_IFDIR, S_IFLNK, S_IFREG } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import { current } from "../kernel/sched.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import type { File, FileOperations, FileSystemType, Inode, InodeOperations, SuperBlock } from "./fs.js";
import type { KernfsAttr, KernfsNode } from "./kernfs.js";
import { dirEmitDots, simpleStatfs } from "./libfs.js";

/** The tree a kernfs mount shows: nodes by absolute path, and a directory's names. */
export interface KernfsTree {
  node(path: string): KernfsNode | null;
  list(dir: string): string[];
}

export interface KernfsMountOptions {
  readonly name: string;
  /** statfs's f_type: the filesystem answers with simple_statfs(). */
  readonly magic: number;
  /** The tree's directory that becomes the mount's root ("/proc", "/sys"). */
  readonly top: string;
  readonly dirMode: number;
  /** st_size of attribute files: 0 in procfs, a page in sysfs. */
  readonly fileSize: number;
  /** The most bytes a show() gives a reader (sysfs: a page less its NUL); procfs's seq_files have no limit. */
  readonly showMax?: number;
}

interface KernfsInfo {
  readonly tree: KernfsTree;
  readonly opts: KernfsMountOptions;
  readonly inos: Map<string, number>;
  nextIno: number;
}

const info = (sb: SuperBlock) => sb.fsInfo as KernfsInfo;
const nodeOf = (inode: Inode) => inode.private as KernfsNode;
const join = (dir: string, name: string) => `${dir}/${name}`;

function sameNode(a: KernfsNode, b: KernfsNode | null): boolean {
  if (!b || a.kind !== b.kind) return false;
  if (a.kind === "file") return b.kind === "file" && a.attr === b.attr;
  return a.kind !== "link" || (b.kind === "link" && a.target === b.target);
}

function inodeFor(sb: SuperBlock, node: KernfsNode): Inode {
  const fi = info(sb);
  let ino = fi.inos.get(node.path);
  if (ino === undefined) fi.inos.set(node.path, (ino = fi.nextIno++));
  const [mode, iop, fop] =
    node.kind === "dir" ? [S_IFDIR | fi.opts.dirMode, dirOps, dirFops]
    : node.kind === "link" ? [S_IFLNK | 0o777, linkOps, {}]
    : [S_IFREG | node.attr.mode, {}, fileFops];
  const inode = sb.newInode(mode, iop, fop, ino);
  inode.private = node;
  inode.size = node.kind === "file" ? fi.opts.fileSize : node.kind === "link" ? node.target.length : 0;
  // A directory's link count is its own two plus each subdirectory's "..", as kernfs keeps it.
  if (node.kind === "dir") inode.nlink = 2 + fi.tree.list(node.path).filter((n) => fi.tree.node(`${node.path}/${n}`)?.kind === "dir").length;
  return inode;
}

const dirOps: InodeOperations = {
  lookup(dir, name) {
    const node = info(dir.sb).tree.node(join(nodeOf(dir).path, name));
    return node ? inodeFor(dir.sb, node) : null;
  },
  revalidate(dir, name, inode) {
    return sameNode(nodeOf(inode), info(dir.sb).tree.node(join(nodeOf(dir).path, name)));
  },
};

const linkOps: InodeOperations = {
  getLink: (inode) => (nodeOf(inode) as Extract<KernfsNode, { kind: "link" }>).target,
};

const dirFops: FileOperations = {
  iterate(file, ctx) {
    if (!dirEmitDots(file, ctx)) return;
    const { tree } = info(file.inode.sb);
    const dir = nodeOf(file.inode).path;
    const names = tree.list(dir);
    for (let i = ctx.pos - 2; i < names.length; i++) {
      const node = tree.node(join(dir, names[i]!));
      if (!node) continue;
      const mode = inodeFor(file.inode.sb, node).mode;
      if (!ctx.emit(names[i]!, info(file.inode.sb).inos.get(node.path)!, dtType(mode))) return;
      ctx.pos = i + 3;
    }
  },
};

type AttrNode = Extract<KernfsNode, { kind: "file" }>;

/** kernfs_get_active(): the attribute a descriptor was opened on, while the tree still holds it; ENODEV once removed. */
function activeAttr(file: File): KernfsAttr {
  const node = nodeOf(file.inode) as AttrNode;
  if (!sameNode(node, info(file.inode.sb).tree.node(node.path))) throw new KernelError("ENODEV", `${node.path}: No such device`);
  return node.attr;
}

/** kernfs_fop_open(): EACCES to write an attribute without store, or to read one that is not readable. */
const fileFops: FileOperations = {
  open(inode, file) {
    const { attr } = nodeOf(inode) as AttrNode;
    const acc = file.flags & O_ACCMODE;
    const path = (nodeOf(inode) as AttrNode).path;
    if (acc !== O_RDONLY && (!attr.store || (attr.mode & 0o222) === 0)) throw new KernelError("EACCES", `${path}: Permission denied`);
    if (acc !== O_WRONLY && (attr.mode & 0o444) === 0) throw new KernelError("EACCES", `${path}: Permission denied`);
  },
  /** seq_file: show() runs when a read starts at 0, and later reads continue from that snapshot. */
  read(file, ubuf, count, pos) {
    const attr = activeAttr(file);
    if (pos === 0 || !(file.private instanceof Uint8Array)) {
      file.private = new TextEncoder().encode(attr.show()).subarray(0, info(file.inode.sb).opts.showMax);
    }
    const data = (file.private as Uint8Array).subarray(pos, pos + count);
    copyToUser(current().mm, ubuf, data);
    return data.length;
  },
  /** Each write(2) is one store() of its bytes, as sysfs and proc sysctls take them. */
  write(file, ubuf, count) {
    const attr = activeAttr(file);
    const text = new TextDecoder().decode(copyFromUser(current().mm, ubuf, count));
    attr.store!(text);
    return count;
  },
};

/** A filesystem type whose mounts show `tree` from opts.top down. */
export function kernfsFileSystem(tree: KernfsTree, opts: KernfsMountOptions): FileSystemType {
  return {
    name: opts.name,
    requiresDev: false,
    owner: null,
    mount(sb) {
      sb.fsInfo = { tree, opts, inos: new Map(), nextIno: 1 } satisfies KernfsInfo;
      sb.op.statfs = simpleStatfs(opts.magic);
      return inodeFor(sb, { kind: "dir", path: opts.top });
    },
  };
}
