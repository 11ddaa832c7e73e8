// syscall_audit: wraps openat and unlinkat, logging the pid, the call and the path before calling on to
// whatever handled them before (the base kernel, or another module's override).

import {
  __NR_openat, __NR_unlinkat, GFP_KERNEL, kfree, kmalloc, pr_info, strncpy_from_user, syscall_call_next,
  syscall_override, syscall_unregister, current_pid,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Logs every openat and unlinkat with the caller's pid and path");

const PATH_MAX: i32 = 4096;

/** The path argument as a string, or "(efault)" when it cannot be read, as printk shows a bad pointer. */
function userPath(upath: i32): string {
  const buf = kmalloc(<usize>PATH_MAX, GFP_KERNEL);
  if (buf == 0) return "(nomem)";
  const len = strncpy_from_user(buf, <usize>upath, PATH_MAX);
  const path = len < 0 ? "(efault)" : String.UTF8.decodeUnsafe(buf, <usize>len);
  kfree(buf);
  return path;
}

function audit_openat(dirfd: i32, path: i32, flags: i32, mode: i32, a4: i32, a5: i32): i32 {
  pr_info("syscall_audit: pid %d openat(\"%s\")\n", current_pid(), userPath(path));
  return syscall_call_next(__NR_openat, dirfd, path, flags, mode, a4, a5);
}

function audit_unlinkat(dirfd: i32, path: i32, flags: i32, a3: i32, a4: i32, a5: i32): i32 {
  pr_info("syscall_audit: pid %d unlinkat(\"%s\")\n", current_pid(), userPath(path));
  return syscall_call_next(__NR_unlinkat, dirfd, path, flags, a3, a4, a5);
}

export function init_module(): i32 {
  let err = syscall_override(__NR_openat, audit_openat.index);
  if (err < 0) return err;
  err = syscall_override(__NR_unlinkat, audit_unlinkat.index);
  if (err < 0) {
    syscall_unregister(__NR_openat);
    return err;
  }
  pr_info("syscall_audit: watching openat and unlinkat\n");
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(__NR_unlinkat);
  syscall_unregister(__NR_openat);
  pr_info("syscall_audit: stopped\n");
}
