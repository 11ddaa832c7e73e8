// The module source `wasm-lkm init` writes for each type of project: small, complete, and commented where a
// newcomer needs to know what the kernel expects.

/** The kinds of module a project can start from. */
export const MODULE_TYPES = ["misc", "chrdev", "fs", "syscall"] as const;
export type ModuleType = (typeof MODULE_TYPES)[number];

/** What every module declares about itself (modinfo shows it). */
function header(name: string, description: string): string {
  return `MODULE_LICENSE("GPL");
MODULE_AUTHOR("The ${name} authors");
MODULE_DESCRIPTION("${description}");
MODULE_VERSION("0.1.0");
`;
}

function misc(name: string): string {
  return `// ${name}: a kernel module. It greets \`who\` \`count\` times when it is loaded and says goodbye when it is
// unloaded; other modules may ask it how many greetings it gave.

import { EINVAL, pr_info } from "wasm-lkm/kernel";

${header(name, "Greets whom you like, as often as you like")}
// A parameter is an exported variable: insmod sets it (${name} who=you count=2), /sys/module/${name}/parameters
// shows it with the mode given (0o644: root may write it while the module is loaded).
export let who: string = "world";
module_param(who, charp, 0o644);
MODULE_PARM_DESC(who, "Whom to greet");

export let count: i32 = 1;
module_param(count, int, 0o444);
MODULE_PARM_DESC(count, "How many times to greet when loaded");

let greeted: i32 = 0;

/**
 * Greet \`who\` another \`times\` times. Returns the greetings so far, or -EINVAL for a negative number, greeting
 * no one. Exported symbols cross to other modules (${name}_test.ts calls these), so they take and return
 * numbers only.
 */
export function ${name}_greet(times: i32): i32 {
  if (times < 0) return -EINVAL;
  for (let i = 0; i < times; i++) {
    pr_info("${name}: Hello, %s!\\n", who);
    greeted++;
  }
  return greeted;
}
EXPORT_SYMBOL(${name}_greet);

/** How many greetings so far. */
export function ${name}_greetings(): i32 {
  return greeted;
}
EXPORT_SYMBOL(${name}_greetings);

/** 0 to load, or a negative errno to refuse: insmod then fails with that error and nothing stays behind. */
export function init_module(): i32 {
  const got = ${name}_greet(count);
  return got < 0 ? got : 0;
}

export function cleanup_module(): void {
  pr_info("${name}: Goodbye, %s.\\n", who);
}
`;
}

function chrdev(name: string): string {
  return `// ${name}: a character device, /dev/${name}. Reading it gives what was last written to it (at first the
// parameter \`greeting\` and a newline); a write replaces the contents from its offset on, up to SIZE bytes.

import {
  copy_from_user, copy_to_user, device_create, device_destroy, EFAULT, ENOSPC, file_operations, pr_info, register_chrdev,
  THIS_MODULE, unregister_chrdev,
} from "wasm-lkm/kernel";

${header(name, "A character device that keeps what is written to it")}
export let greeting: string = "Hello from ${name}";
module_param(greeting, charp, 0o444);
MODULE_PARM_DESC(greeting, "What the device holds when loaded");

const SIZE: i32 = 4096;
const data = new Uint8Array(SIZE);
let size: i32 = 0;
let major: u32 = 0;
// Operations are function table indices (fn.index) in a struct in the module's memory; an empty slot is the
// kernel's default (read and write: EINVAL, llseek: the generic one).
const fops = new file_operations();

/**
 * read(file, buf, count, pos): copy up to count bytes from offset pos to the caller's buffer and return how
 * many (0 at the end). The kernel moves the file's offset by what is returned. Module memory and the
 * caller's are apart: only copy_to_user reaches the caller's, and a bad buffer is EFAULT.
 */
function dev_read(file: u32, buf: usize, count: i32, pos: i32): i32 {
  if (pos >= size) return 0;
  const n = min(count, size - pos);
  if (copy_to_user(buf, data.dataStart + <usize>pos, <usize>n) != 0) return -EFAULT;
  return n;
}

/**
 * How many of count bytes written at offset pos fit in the device: all, those before its end, or -ENOSPC
 * from the end on. Exported (${name}_test.ts tests it) and so, as every exported symbol, numbers only.
 */
export function ${name}_write_room(pos: i32, count: i32): i32 {
  if (pos >= SIZE) return -ENOSPC;
  return min(count, SIZE - pos);
}
EXPORT_SYMBOL(${name}_write_room);

/** write(file, buf, count, pos): take what fits from offset pos on; ENOSPC when nothing does. */
function dev_write(file: u32, buf: usize, count: i32, pos: i32): i32 {
  const n = ${name}_write_room(pos, count);
  if (n < 0) return n;
  if (copy_from_user(data.dataStart + <usize>pos, buf, <usize>n) != 0) return -EFAULT;
  size = pos + n;
  return n;
}

export function init_module(): i32 {
  const text = Uint8Array.wrap(String.UTF8.encode(greeting + "\\n"));
  size = min(text.length, SIZE);
  data.set(text.subarray(0, size));
  fops.owner = THIS_MODULE;
  fops.read = dev_read.index;
  fops.write = dev_write.index;
  const got = register_chrdev(0, "${name}", fops);
  if (got < 0) return got;
  major = <u32>got;
  const err = device_create(major, 0, "${name}");
  if (err < 0) {
    unregister_chrdev(major, "${name}");
    return err;
  }
  pr_info("${name}: /dev/${name} is %u:0\\n", major);
  return 0;
}

export function cleanup_module(): void {
  device_destroy(major, 0);
  unregister_chrdev(major, "${name}");
}
`;
}

function fs(name: string): string {
  return `// ${name}: a filesystem holding one read-only file, greeting, whose text is the parameter \`greeting\` and a
// newline. Mount it with \`mount -t ${name} none DIR\`; each mount is a superblock of its own.

import {
  copy_to_user, dir_ctx_set_pos, dir_emit, DT_DIR, DT_REG, EFAULT, ENOMEM, file_inode, file_operations, file_system_type,
  inode_get_ino, inode_operations, inode_set_ops, inode_set_size, new_inode, pr_info, register_filesystem, S_IFDIR,
  S_IFREG, unregister_filesystem,
} from "wasm-lkm/kernel";

${header(name, "A filesystem with one file")}
// mount -t ${name} finds the module by this alias and loads it when it is not loaded yet (modprobe fs-${name}).
MODULE_ALIAS("fs-${name}");

export let greeting: string = "Hello from ${name}";
module_param(greeting, charp, 0o444);
MODULE_PARM_DESC(greeting, "The text of the file greeting");

const FILE = "greeting";

/** A mount's two inodes. Inodes and superblocks are handles the kernel gives; their data stays in the kernel. */
class Mount {
  constructor(public root: u32, public file: u32) {}
}
const mounts = new Map<u32, Mount>();
const superOf = new Map<u32, u32>();
let text = new Uint8Array(0);

const fsType = new file_system_type();
const dirIops = new inode_operations();
const dirFops = new file_operations();
const fileFops = new file_operations();

/** mount(sb, flags): make the root inode and return it, or a negative errno to fail the mount. */
function fs_mount(sb: u32, flags: i32): i32 {
  const root = new_inode(sb, S_IFDIR | 0o555);
  const file = new_inode(sb, S_IFREG | 0o444);
  if (root == 0 || file == 0) return -ENOMEM;
  inode_set_ops(root, dirIops, dirFops);
  inode_set_ops(file, changetype<inode_operations>(0), fileFops);
  inode_set_size(file, text.length);
  mounts.set(sb, new Mount(root, file));
  superOf.set(root, sb);
  return <i32>root;
}

/** kill_sb(sb): the mount is gone (umount); forget what was kept for it. */
function fs_kill_sb(sb: u32): void {
  superOf.delete(mounts.get(sb).root);
  mounts.delete(sb);
}

/** lookup(dir, name, len): the inode of that name (UTF-8 bytes in this module's memory), 0 for none. */
function fs_lookup(dir: u32, name: usize, len: i32): i32 {
  if (String.UTF8.decodeUnsafe(name, <usize>len) != FILE) return 0;
  return <i32>mounts.get(superOf.get(dir)).file;
}

function emit(ctx: u32, name: string, inode: u32, type: i32): bool {
  const bytes = String.UTF8.encode(name);
  return dir_emit(ctx, changetype<usize>(bytes), bytes.byteLength, inode_get_ino(inode), <u32>type);
}

/**
 * iterate(file, ctx, pos): emit the entries from position pos on, setting the position after each, and stop
 * when dir_emit says the reader's buffer is full; getdents calls again from where it stopped.
 */
function fs_iterate(file: u32, ctx: u32, pos: i32): i32 {
  const dir = file_inode(file);
  if (pos == 0) {
    if (!emit(ctx, ".", dir, DT_DIR)) return 0;
    dir_ctx_set_pos(ctx, (pos = 1));
  }
  if (pos == 1) {
    if (!emit(ctx, "..", dir, DT_DIR)) return 0;
    dir_ctx_set_pos(ctx, (pos = 2));
  }
  if (pos == 2) {
    if (!emit(ctx, FILE, mounts.get(superOf.get(dir)).file, DT_REG)) return 0;
    dir_ctx_set_pos(ctx, 3);
  }
  return 0;
}

/**
 * How many bytes a read of count at offset pos gets from the file greeting: those before its end, 0 from
 * its end on. Exported (${name}_test.ts tests it) and so, as every exported symbol, numbers only.
 */
export function ${name}_read_len(pos: i32, count: i32): i32 {
  if (pos >= text.length) return 0;
  return min(count, text.length - pos);
}
EXPORT_SYMBOL(${name}_read_len);

/** read(file, buf, count, pos): as a character device's; the kernel moves the offset by what is returned. */
function fs_read(file: u32, buf: usize, count: i32, pos: i32): i32 {
  const n = ${name}_read_len(pos, count);
  if (n == 0) return 0;
  if (copy_to_user(buf, text.dataStart + <usize>pos, <usize>n) != 0) return -EFAULT;
  return n;
}

export function init_module(): i32 {
  text = Uint8Array.wrap(String.UTF8.encode(greeting + "\\n"));
  dirIops.lookup = fs_lookup.index;
  dirFops.iterate = fs_iterate.index;
  fileFops.read = fs_read.index;
  fsType.name = "${name}";
  fsType.mount = fs_mount.index;
  fsType.kill_sb = fs_kill_sb.index;
  const err = register_filesystem(fsType);
  if (err < 0) return err;
  pr_info("${name}: registered\\n");
  return 0;
}

export function cleanup_module(): void {
  unregister_filesystem(fsType);
}
`;
}

function syscall(name: string): string {
  return `// ${name}: a system call, number \`nr\`. ${name}(msg) logs the NUL-terminated string msg with the caller's pid and
// returns its length; EFAULT for a bad pointer, EINVAL for a message of MAX bytes or more.

import {
  current_pid, EINVAL, pr_info, strncpy_from_user, syscall_register, syscall_unregister,
} from "wasm-lkm/kernel";

${header(name, "A system call that logs its caller's message")}
export let nr: i32 = 335;
module_param(nr, int, 0o444);
MODULE_PARM_DESC(nr, "The system call number to take (a free slot; 335 is the first hole in x86_64's table)");

const MAX: i32 = 256;
const buf = new Uint8Array(MAX);

/**
 * What the call returns for a message strncpy_from_user copied \`copied\` bytes of into buf: its length, the
 * copy's own error (-EFAULT), or -EINVAL when it filled buf with no NUL (MAX bytes or more). Exported
 * (${name}_test.ts tests it) and so, as every exported symbol, numbers only.
 */
export function ${name}_msg_len(copied: i32): i32 {
  if (copied < 0) return copied;
  return copied >= MAX ? -EINVAL : copied;
}
EXPORT_SYMBOL(${name}_msg_len);

/**
 * A system call gets six 32-bit arguments, whether it uses them or not, and returns a value or a negative
 * errno. msg points into the caller's memory, which the module reaches only by copying (strncpy_from_user).
 */
function sys_${name}(msg: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 {
  const len = ${name}_msg_len(strncpy_from_user(buf.dataStart, <usize>msg, MAX));
  if (len < 0) return len;
  pr_info("${name}: pid %d says %s\\n", current_pid(), String.UTF8.decodeUnsafe(buf.dataStart, <usize>len));
  return len;
}

export function init_module(): i32 {
  const err = syscall_register(nr, sys_${name}.index);
  if (err < 0) return err;
  pr_info("${name}: system call %d installed\\n", nr);
  return 0;
}

export function cleanup_module(): void {
  syscall_unregister(nr);
}
`;
}

/** The module source of a project of that type, for the module NAME. */
export function moduleSource(type: ModuleType, name: string): string {
  return { misc, chrdev, fs, syscall }[type](name);
}

/** Each type's exported symbols, as prototypes: what its header declares. */
const EXPORTS: Record<ModuleType, (name: string) => string[]> = {
  misc: (n) => [`${n}_greet(times: i32): i32`, `${n}_greetings(): i32`],
  chrdev: (n) => [`${n}_write_room(pos: i32, count: i32): i32`],
  fs: (n) => [`${n}_read_len(pos: i32, count: i32): i32`],
  syscall: (n) => [`${n}_msg_len(copied: i32): i32`],
};

const symbolOf = (proto: string): string => proto.slice(0, proto.indexOf("("));

/** The symbols a module of that type exports, by name. */
export function exportedSymbols(type: ModuleType, name: string): string[] {
  return EXPORTS[type](name).map(symbolOf);
}

/** src/include/NAME.ts: the module's exports declared as another module (its KUnit test module) imports them. */
export function includeSource(type: ModuleType, name: string): string {
  const decls = EXPORTS[type](name).map(
    (proto) => `// @ts-ignore: decorator\n@external("kernel", "${symbolOf(proto)}")\nexport declare function ${proto};\n`,
  );
  return `// The symbols ${name} exports (src/${name}.ts), declared as a module using them imports them, as a C
// module's header declares them. The loader binds each to ${name}'s own function and loads ${name} first.

${decls.join("\n")}`;
}
