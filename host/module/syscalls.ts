// The module system calls (kernel/module/main.c): init_module, finit_module and delete_module, each refused
// to a caller without CAP_SYS_MODULE before it looks at anything else (may_init_module).

import { CAP_SYS_MODULE } from "../../abi/capability.js";
import { O_TRUNC } from "../../abi/fcntl.js";
import { MODULE_NAME_LEN } from "../../abi/module.js";
import type { SyscallName } from "../../abi/syscalls.js";
import type { File } from "../fs/fs.js";
import { isReadable } from "../fs/open.js";
import { capable, type Cred } from "../kernel/cred.js";
import { KernelError } from "../kernel/error.js";
import type { SyscallFn } from "../kernel/syscalls.js";
import { copyFromUser, getname } from "../mm/uaccess.js";
import type { LoadOptions } from "./main.js";

const MODULE_INIT_IGNORE_MODVERSIONS = 1;
const MODULE_INIT_IGNORE_VERMAGIC = 2;
const MODULE_INIT_COMPRESSED_FILE = 4;

/** What the calls drive: the loader, and kernel_read_file() for finit_module's descriptor. */
export interface ModuleCalls {
  load(bytes: Uint8Array, opts: LoadOptions): unknown;
  unload(name: string, force: boolean): void;
  readFile(file: File): Uint8Array;
}

/** may_init_module(): EPERM without CAP_SYS_MODULE, as insmod, rmmod and the system calls meet it. */
export function mayInitModule(what: string, cred?: Cred): void {
  if (!capable(CAP_SYS_MODULE, cred)) throw new KernelError("EPERM", `${what}: Operation not permitted`);
}

const u = (n: number) => n >>> 0;

export function moduleSyscalls(calls: ModuleCalls): Partial<Record<SyscallName, SyscallFn>> {
  return {
    /** init_module(umod, len, uargs): the module's bytes from the caller's memory. */
    init_module: (t, a) => {
      mayInitModule("init_module", t.cred);
      const bytes = copyFromUser(t.mm, u(a[0]), u(a[1]));
      calls.load(bytes, { args: getname(t.mm, u(a[2])) });
      return 0;
    },
    /** finit_module(fd, uargs, flags): EINVAL for an unknown flag, EBADF for a descriptor not open for reading. */
    finit_module: (t, a) => {
      mayInitModule("finit_module", t.cred);
      const flags = u(a[2]);
      if (flags & ~(MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC | MODULE_INIT_COMPRESSED_FILE)) {
        throw new KernelError("EINVAL", "finit_module: Invalid argument");
      }
      const file = t.files.get(a[0] | 0);
      if (!isReadable(file.flags)) throw new KernelError("EBADF", "finit_module: Bad file descriptor");
      const args = getname(t.mm, u(a[1]));
      calls.load(calls.readFile(file), {
        args, ignoreVermagic: (flags & MODULE_INIT_IGNORE_VERMAGIC) !== 0, ignoreModversions: (flags & MODULE_INIT_IGNORE_MODVERSIONS) !== 0,
      });
      return 0;
    },
    /** delete_module(name, flags): O_TRUNC forces, as rmmod -f asks. */
    delete_module: (t, a) => {
      mayInitModule("delete_module", t.cred);
      calls.unload(getname(t.mm, u(a[0]), MODULE_NAME_LEN), (u(a[1]) & O_TRUNC) !== 0);
      return 0;
    },
  };
}
