// statfs(2) and fstatfs(2) (fs/statfs.c): a filesystem's figures, from its super_operations.statfs or
// simple_statfs's defaults, with the mount's flags, as x86_64's struct statfs.

import { AT_FDCWD, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY } from "../../abi/fcntl.js";
import { STATFS_LAYOUT } from "../../abi/stat.js";
import type { Task } from "../kernel/sched.js";
import { copyToUser, getname } from "../mm/uaccess.js";
import type { Kstatfs, Path } from "./fs.js";
import { walk } from "./namei.js";
import type { Vfs } from "./vfs.js";

/** ST_VALID, and ST_RELATIME as every mount here is relatime. */
const ST_VALID = 0x20;
const ST_RELATIME = 0x1000;

/** simple_statfs(): what a filesystem without statfs reports. */
function simpleStatfs(): Kstatfs {
  return { type: 0, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, fsid: 0n, namelen: 255 };
}

/** calculate_f_flags(): the mount's flags as ST_* bits. */
function statfsFlags(flags: number): number {
  const map = [[MS_RDONLY, 1], [MS_NOSUID, 2], [MS_NODEV, 4], [MS_NOEXEC, 8]] as const;
  return map.reduce((f, [ms, st]) => (flags & ms ? f | st : f), ST_VALID | ST_RELATIME);
}

/** vfs_statfs() of a path into a struct statfs. */
function statfsOf(path: Path): Uint8Array {
  const sb = path.mnt.sb;
  const st = sb.op.statfs?.(sb) ?? simpleStatfs();
  const out = new Uint8Array(STATFS_LAYOUT.size);
  const view = new DataView(out.buffer);
  const set = (field: string, value: number | bigint) => {
    const f = STATFS_LAYOUT.fields.find((x) => x.name === field)!;
    if (f.size === 8) view.setBigUint64(f.offset, BigInt.asUintN(64, BigInt(value)), true);
    else view.setUint32(f.offset, Number(value) >>> 0, true);
  };
  set("f_type", st.type);
  set("f_bsize", st.bsize);
  set("f_blocks", st.blocks);
  set("f_bfree", st.bfree);
  set("f_bavail", st.bavail);
  set("f_files", st.files);
  set("f_ffree", st.ffree);
  set("f_fsid0", st.fsid & 0xffffffffn);
  set("f_fsid1", st.fsid >> 32n);
  set("f_namelen", st.namelen);
  set("f_frsize", st.bsize);
  set("f_flags", statfsFlags(sb.flags));
  return out;
}

export function sys_statfs(vfs: Vfs, task: Task, pathname: number, buf: number): number {
  const path = getname(task.mm, pathname);
  copyToUser(task.mm, buf, statfsOf(walk(vfs.at(task, AT_FDCWD, path), path)));
  return 0;
}

export function sys_fstatfs(task: Task, fd: number, buf: number): number {
  copyToUser(task.mm, buf, statfsOf(task.files.get(fd).path));
  return 0;
}
