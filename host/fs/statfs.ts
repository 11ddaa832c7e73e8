// statfs(2) and fstatfs(2) (fs/statfs.c): the filesystem's figures from its super_operations.statfs, with
// the VFS's part added: f_fsid from the device, f_frsize, and f_flags from the mount.

import { AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../../abi/fcntl.js";
import { ST_NODEV, ST_NOEXEC, ST_NOSUID, ST_RDONLY, ST_RELATIME, ST_VALID, STATFS_LAYOUT } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser, getname } from "../mm/uaccess.js";
import type { SuperBlock } from "./fs.js";
import { walk } from "./namei.js";
import type { Vfs } from "./vfs.js";

/** calculate_f_flags(): ST_VALID, the mount's flags, and relatime, which every mount here has. */
function fFlags(sb: SuperBlock): number {
  let flags = ST_VALID | ST_RELATIME;
  for (const [ms, st] of [[MS_RDONLY, ST_RDONLY], [MS_NOSUID, ST_NOSUID], [MS_NODEV, ST_NODEV], [MS_NOEXEC, ST_NOEXEC]] as const) if (sb.flags & ms) flags |= st;
  return flags;
}

/** statfs_by_dentry(): ENOSYS for a filesystem without statfs, as Linux's. */
export function fillStatfs(sb: SuperBlock): Uint8Array {
  if (!sb.op.statfs) throw new KernelError("ENOSYS", `${sb.type.name}: statfs: Function not implemented`);
  const st = sb.op.statfs(sb);
  const out = new Uint8Array(STATFS_LAYOUT.size);
  const view = new DataView(out.buffer);
  const set = (field: string, value: number) => {
    const f = STATFS_LAYOUT.fields.find((x) => x.name === field)!;
    if (f.size === 8) view.setBigInt64(f.offset, BigInt(Math.trunc(value)), true);
    else view.setUint32(f.offset, value >>> 0, true);
  };
  set("f_type", st.type);
  set("f_bsize", st.bsize);
  set("f_blocks", st.blocks);
  set("f_bfree", st.bfree);
  set("f_bavail", st.bavail);
  set("f_files", st.files);
  set("f_ffree", st.ffree);
  // u64_to_fsid(huge_encode_dev(s_dev)) for a filesystem on a device; 0 for the others, as simple_statfs leaves it.
  set("f_fsid0", sb.bdev ? sb.dev : 0);
  set("f_namelen", st.namelen);
  set("f_frsize", st.bsize);
  set("f_flags", fFlags(sb));
  return out;
}

export function sys_statfs(vfs: Vfs, task: Task, pathname: number, buf: number): number {
  const path = getname(task.mm, pathname);
  const sb = walk(vfs.at(task, AT_FDCWD, path), path).dentry.inode.sb;
  copyToUser(task.mm, buf, fillStatfs(sb));
  return 0;
}

export function sys_fstatfs(task: Task, fd: number, buf: number): number {
  copyToUser(task.mm, buf, fillStatfs(task.files.get(fd).inode.sb));
  return 0;
}
