// unlink_guard: overrides unlinkat and refuses (EPERM) to remove anything at or under the path prefix in
// its `protect` parameter. The path is resolved as unlinkat will act on it (cwd, dirfd, symlinks in the
// directories), so "cd /protected; rm x" and "/other/../protected/x" are refused too.

import {
  __NR_unlinkat, ENOMEM, EPERM, GFP_KERNEL, kfree, kmalloc, pr_info, pr_notice, syscall_call_next, syscall_override,
  syscall_unregister, current_pid, user_path_resolve,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Refuses unlink and rmdir under a protected path");

export let protect: string = "/protected";
module_param(protect, charp, 0o644);
MODULE_PARM_DESC(protect, "The directory (and everything under it) that may not be removed from");

const PATH_MAX: i32 = 4096;

/** Whether path is the protected prefix itself or lies below it. */
function guarded(path: string): bool {
  const prefix = protect.endsWith("/") && protect.length > 1 ? protect.slice(0, protect.length - 1) : protect;
  if (prefix == "/") return true;
  return path == prefix || path.startsWith(prefix + "/");
}

function guard_unlinkat(dirfd: i32, upath: i32, flags: i32, a3: i32, a4: i32, a5: i32): i32 {
  // A guard that cannot check must not let the call through.
  const buf = kmalloc(<usize>PATH_MAX, GFP_KERNEL);
  if (buf == 0) return -ENOMEM;
  const len = user_path_resolve(dirfd, <usize>upath, buf, PATH_MAX);
  const path = len >= 0 ? String.UTF8.decodeUnsafe(buf, <usize>len) : "";
  kfree(buf);
  if (len >= 0 && guarded(path)) {
    pr_notice("unlink_guard: refused pid %d removing %s\n", current_pid(), path);
    return -EPERM;
  }
  return syscall_call_next(__NR_unlinkat, dirfd, upath, flags, a3, a4, a5);
}

export function init_module(): i32 {
  const err = syscall_override(__NR_unlinkat, guard_unlinkat.index);
  if (err < 0) return err;
  pr_info("unlink_guard: protecting %s\n", protect);
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(__NR_unlinkat);
  pr_info("unlink_guard: no longer protecting %s\n", protect);
}
