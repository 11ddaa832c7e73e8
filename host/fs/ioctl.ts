// ioctl(2) (fs/ioctl.c): the generic commands do_vfs_ioctl() answers itself, then the file's
// unlocked_ioctl; ENOTTY when it has none.

import { O_NONBLOCK } from "../../abi/fcntl.js";
import { S_ISREG } from "../../abi/stat.js";
import { KernelError } from "../kernel/error.js";
import type { Task } from "../kernel/sched.js";
import { copyFromUser, copyToUser } from "../mm/uaccess.js";
import type { File } from "./fs.js";

const FIONCLEX = 0x5450;
const FIOCLEX = 0x5451;
const FIONBIO = 0x5421;
const FIONREAD = 0x541b;

function int(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

/** do_vfs_ioctl()'s own commands; undefined for one it leaves to the file. */
function generic(task: Task, fd: number, file: File, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case FIOCLEX:
    case FIONCLEX:
      task.files.setCloexec(fd, cmd === FIOCLEX);
      return 0;
    case FIONBIO: {
      const on = new DataView(copyFromUser(task.mm, arg, 4).buffer).getInt32(0, true) !== 0;
      file.flags = on ? file.flags | O_NONBLOCK : file.flags & ~O_NONBLOCK;
      return 0;
    }
    case FIONREAD:
      // file_ioctl(): for a regular file, the bytes left to read; other files answer it themselves.
      if (!S_ISREG(file.inode.mode)) return undefined;
      copyToUser(task.mm, arg, int(Math.max(0, file.inode.size - file.pos)));
      return 0;
    default:
      return undefined;
  }
}

export function sys_ioctl(task: Task, fd: number, cmd: number, arg: number): number {
  const file = task.files.get(fd);
  const done = generic(task, fd, file, cmd >>> 0, arg);
  if (done !== undefined) return done;
  if (!file.fop.ioctl) throw new KernelError("ENOTTY", `${fd}: Inappropriate ioctl for device`);
  return file.fop.ioctl(file, cmd >>> 0, arg);
}
