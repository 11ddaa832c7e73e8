// binfmt_java: Java class files run by a Java VM, as Linux 2.0's fs/binfmt_java.c ran them before
// binfmt_misc took its place: a file starting 0xCAFEBABE runs as `java CLASS ARGS...`, where CLASS is the
// file's name without its directory and its ".class" (the VM finds the class by its own CLASSPATH rules).
//
// The magic starts with an unprintable byte, so executing a class file while this module is not loaded
// makes the kernel ask for binfmt-beba (bytes 2-3, 0xBA 0xBE, as a little-endian u16): the alias below.

import {
  bprm_change_interp, bprm_get_buf, bprm_get_filename, copy_string_kernel, ENOEXEC, linux_binfmt, open_exec, PATH_MAX,
  register_binfmt, remove_arg_zero, THIS_MODULE, unregister_binfmt,
} from "../../abi/include/kernel";

MODULE_LICENSE("GPL");
MODULE_AUTHOR("wasm-lkm developers");
MODULE_DESCRIPTION("Java class files, run by a Java VM");
MODULE_ALIAS("binfmt-beba");

export let java: string = "/usr/bin/java";
module_param(java, charp, 0o644);
MODULE_PARM_DESC(java, "The Java VM that runs class files");

const MAGIC: StaticArray<u8> = [0xca, 0xfe, 0xba, 0xbe];
const SUFFIX = ".class";

const fmt = new linux_binfmt();
const header = new Uint8Array(4);
const filename = new Uint8Array(PATH_MAX);

/** Where the class name lies in filename[0, len): after the last '/', before a ".class" ending. */
function classStart(len: i32): i32 {
  let start = 0;
  for (let i = 0; i < len; i++) if (filename[i] == 0x2f) start = i + 1;
  return start;
}

function classEnd(start: i32, len: i32): i32 {
  const n = SUFFIX.length;
  if (len - start < n) return len;
  for (let i = 0; i < n; i++) if (filename[len - n + i] != <u8>SUFFIX.charCodeAt(i)) return len;
  return len - n;
}

/** load_java(): `java CLASS ARGS...` in place of `FILE ARGS...`, then the VM is searched for. */
function load_java(bprm: u32): i32 {
  if (bprm_get_buf(bprm, header.dataStart, 4) != 4) return -ENOEXEC;
  for (let i = 0; i < 4; i++) if (header[i] != MAGIC[i]) return -ENOEXEC;
  const len = bprm_get_filename(bprm, filename.dataStart, filename.length);
  if (len < 0) return len;
  const start = classStart(len);
  let err = remove_arg_zero(bprm);
  if (err == 0) err = copy_string_kernel(filename.dataStart + <usize>start, classEnd(start, len) - start, bprm);
  // A path written to the parameter with echo keeps its newline; a path never ends in one.
  const vm = String.UTF8.encode(java.trimEnd());
  const vmLen = vm.byteLength;
  if (err == 0) err = copy_string_kernel(changetype<usize>(vm), vmLen, bprm);
  if (err == 0) err = bprm_change_interp(changetype<usize>(vm), vmLen, bprm);
  if (err == 0) err = open_exec(changetype<usize>(vm), vmLen, bprm);
  return err;
}

export function init_module(): i32 {
  fmt.module = THIS_MODULE;
  fmt.load_binary = load_java.index;
  return register_binfmt(fmt);
}

export function cleanup_module(): void {
  unregister_binfmt(fmt);
}
