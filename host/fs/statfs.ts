// statfs(2) and fstatfs(2) (fs/statfs.c): the filesystem's figures from its super_operations.statfs, with
// the VFS's part added: f_fsid from the device unless the filesystem gives its own, f_frsize, and f_flags from the mount.

import { AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../../abi/fcntl.js";
import { ST_NODEV, ST_NOEXEC, ST_NOSUID, ST_RDONLY, ST_RELATIME, ST_VALID, STATFS_LAYOUT } from "../../abi/stat.js";
import { structWriter } from "../../abi/types.js";
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
  const { set, done } = structWriter(STATFS_LAYOUT);
  set("f_type", st.type);
  set("f_bsize", st.bsize);
  set("f_blocks", st.blocks);
  set("f_bfree", st.bfree);
  set("f_bavail", st.bavail);
  set("f_files", st.files);
  set("f_ffree", st.ffree);
  // The filesystem's own (ext2's from its UUID), else u64_to_fsid(huge_encode_dev(s_dev)) for one on a device, as
  // fat's; 0 for the others, as simple_statfs leaves it.
  const fsid = st.fsid !== 0n ? st.fsid : BigInt(sb.bdev ? sb.dev : 0);
  set("f_fsid0", Number(fsid & 0xffffffffn));
  set("f_fsid1", Number(fsid >> 32n));
  set("f_namelen", st.namelen);
  set("f_frsize", st.bsize);
  set("f_flags", fFlags(sb));
  return done();
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
