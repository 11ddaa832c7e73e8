// The kernel API's documentation beyond each symbol's own doc in kernel.ts: how values cross between the
// kernel and a module, the sections the reference groups the symbols into, every field of every struct
// (for an operation: its arguments, its return, the context it runs in and what it may call), and the
// callbacks modules give as bare function pointers. scripts/gendocs.ts writes docs/kernel-api.md from it.

import type { KernelSymbolName, STRUCTS } from "./kernel.js";

/** An operation the kernel calls: a function-pointer field, or a callback given to a symbol. */
export interface OperationDoc {
  /** The AssemblyScript signature the function must have. */
  readonly signature: string;
  /** What it is asked to do, and what its arguments are. */
  readonly does: string;
  /** What to return, and what the kernel does with it. */
  readonly returns: string;
  /** What runs it, and so what it may call. */
  readonly context: string;
  /** What a 0 in the slot means: the kernel's default. */
  readonly empty: string;
}

/** A data field of a struct. */
export interface ValueDoc {
  readonly value: string;
}

type StructName = keyof typeof STRUCTS;
type FieldName<S extends StructName> = (typeof STRUCTS)[S][number][0];

export interface StructDoc<S extends StructName> {
  /** What the struct is, who fills it and when the kernel reads it. */
  readonly doc: string;
  readonly fields: { readonly [F in FieldName<S>]: OperationDoc | ValueDoc };
}

/** The contexts operations run in, each with what code in it may and may not do. */
const PROCESS =
  "Process context: the system call of the task current_pid() names. User memory is that task's (copy_to_user, copy_from_user, strncpy_from_user). It may wait: return what wait_event_interruptible returns (-ERESTARTSYS) and the call is restarted from the start when the queue is woken.";
const INTERRUPT =
  "Interrupt context: a line's edge, taken between system calls or when kernel code returns. There is no task: it must not touch user memory or wait (wait_event_interruptible returns -EINVAL). It may read and write its ports, wake_up_interruptible, mod_timer and printk.";
const TIMER = `Timer context: when simulated time passes the expiry. As interrupt context: ${INTERRUPT.slice(INTERRUPT.indexOf("There is no task"))}`;
const MOUNT = "Process context: the mount(2) of the task current_pid() names.";
const EXEC = "Process context: the execve(2) of the task current_pid() names, which holds the format's module for the call.";

/** The rules every symbol and operation follows, in the order the reference gives them. */
export const CONVENTIONS: readonly { readonly title: string; readonly text: string }[] = [
  {
    title: "Modules share no memory",
    text:
      "Each module has its own linear memory; the kernel's data and other modules' memories are out of its reach. A pointer is an address in the memory of whoever holds it: a module passes the kernel addresses in its own memory, and the kernel passes a module addresses in the module's memory (names it copied there for the call) or in the calling task's (user buffers). So symbols one module exports to another take and return numbers only, and modpost refuses any other (`EXPORT_SYMBOL(f) takes 's' as a string: only numbers cross between modules, which share no memory`).",
  },
  {
    title: "Numbers",
    text:
      "wasm32 is ILP32: `i32`/`u32` are C's int and unsigned int, `usize` a pointer or size_t, `bool` a byte that is 0 or 1. `i64` crosses as a BigInt on the host's side. A kernel object (inode, file, superblock, directory context, bprm, wait queue, timer, poll table) is an opaque `u32` handle, valid as long as its object lives; a handle of another module's object, or a stale one, is refused as a bad one is (-EINVAL, 0 or false, as each symbol says).",
  },
  {
    title: "Strings",
    text:
      "A `string` parameter of a kernel symbol is an AssemblyScript string in the module's memory (UTF-16; the kernel reads its length from the header before it), passed as is: `register_chrdev(0, \"scull\", fops)`. Names the kernel hands a module (lookup, create, rename...) are UTF-8 bytes at (ptr, len) in the module's memory, valid only during the call: copy what you keep (`String.UTF8.decodeUnsafe(ptr, len)`). Names a module hands back (dir_emit, inode_set_link, open_exec) are UTF-8 bytes at (ptr, len) in its memory.",
  },
  {
    title: "Buffers and user memory",
    text:
      "A `buf`/`ubuf` argument of read, write, ioctl or a system call is an address in the calling task's memory, not the module's: reach it only with copy_to_user, copy_from_user and strncpy_from_user, which check it and return the bytes not copied (a bad address is EFAULT, never a trap). A buffer of the module's own passed to the kernel is its address: `bytes.dataStart`, or `changetype<usize>(arrayBuffer)`.",
  },
  {
    title: "Structs and function pointers",
    text:
      "A struct is an `@unmanaged class` from the header, laid out as abi/ says (little-endian, each field at its natural alignment), passed by its address. A function pointer field holds `fn.index`, the function's slot in the module's table (0 for none); the function must have exactly the signature given below. The kernel reads a struct when it is given it (register_chrdev, register_filesystem, inode_set_ops, sb_set_ops, register_binfmt): later changes to it are not seen, so keep it in a global and fill it before registering. Every call through a function pointer goes through one gate: a trap is an Oops naming the module, which is marked dead and loses what it registered; the caller gets an error (EFAULT, or ETIME when the watchdog stopped code that ran too long), and the kernel goes on.",
  },
  {
    title: "Errors",
    text:
      "A symbol returning `i32` returns 0 (or a count, a handle, a major) on success and a negative errno on failure: `if (err < 0) return err;`. Operations report failure the same way. The errno constants (ENOMEM, EINVAL...) are in the header, positive as in C, so `return -ENOMEM`. Symbols returning a handle return 0 for failure; `void` ones that are refused log a warning naming the module and change nothing.",
  },
  {
    title: "Ownership",
    text:
      "Whatever a module registers (a major, a device node, a filesystem, a system call, an interrupt handler, an I/O region, a timer, a wait queue, a binary format, a kmalloc block, a module reference) is its own: only it may give it back, and rmmod gives back whatever it left, with a warning for each (`scull: character major 240 (scull) still registered at unload; unregistered`).",
  },
];

/** The symbols, grouped as the reference lists them; each section opens with what its symbols are for. */
export const SYMBOL_SECTIONS: readonly { readonly title: string; readonly intro: string; readonly symbols: readonly KernelSymbolName[] }[] = [
  {
    title: "Logging",
    intro:
      "The header's printk(fmt, ...) and pr_emerg ... pr_debug(fmt, ...) call _printk with up to six arguments of 32 bits or strings; fmt takes `%d %i %u %x %X %o %c %s %p %%` with flags, width and precision, and printk takes the level from a KERN_* prefix (`printk(KERN_INFO + \"...\")`).",
    symbols: ["_printk"],
  },
  {
    title: "Memory",
    intro:
      "kmalloc blocks come from the module's own heap and are counted against its cap (8 MiB by default); a module may also use AssemblyScript's own allocation (new, arrays), which the same heap serves. rmmod frees blocks the module forgot, with a warning.",
    symbols: ["kmalloc", "kzalloc", "kfree", "ksize"],
  },
  {
    title: "Modules and references",
    intro: "A module pins itself or another while it needs it: rmmod refuses a module whose count is not 0.",
    symbols: ["__this_module", "try_module_get", "module_put", "module_refcount"],
  },
  {
    title: "The current task and user memory",
    intro: "For code running in process context: the task whose system call it serves, and that task's memory.",
    symbols: ["current_pid", "copy_to_user", "copy_from_user", "strncpy_from_user", "user_path_resolve"],
  },
  {
    title: "Time and timers",
    intro: "Time is simulated: it moves when the kernel's user lets it (a test, `hw tick`, a task waiting), or with the wall clock under `wasm-lkm boot`.",
    symbols: ["ktime_get_real_ts64", "get_jiffies", "timer_setup", "mod_timer", "del_timer"],
  },
  {
    title: "Waiting",
    intro:
      "A system call cannot block inside the kernel: it returns -ERESTARTSYS from wait_event_interruptible, and is restarted from the start once the queue is woken (or fails with EINTR when nothing can wake it; EAGAIN is the module's answer for O_NONBLOCK).",
    symbols: ["init_waitqueue_head", "wait_event_interruptible", "wake_up_interruptible", "poll_wait"],
  },
  {
    title: "System calls",
    intro: "A system call handler gets the call's six arguments as i32, used or not, and returns its result or a negative errno.",
    symbols: ["syscall_register", "syscall_override", "syscall_call_next", "syscall_unregister"],
  },
  {
    title: "Character devices",
    intro: "A driver owns a major's minors 0-255 with its file_operations; opening a node of that major pins the driver's module until the last close.",
    symbols: [
      "register_chrdev", "unregister_chrdev", "device_create", "device_destroy", "imajor", "iminor", "file_pos", "file_flags",
      "file_set_private", "file_get_private", "file_inode",
    ],
  },
  {
    title: "Filesystems",
    intro:
      "A filesystem registers a file_system_type; its mount makes the root inode, and its inode_operations and file_operations do the rest. The VFS keeps inodes, dentries and the POSIX rules (permissions, link counts of . and .., busy mounts); the module keeps the contents. Each mount holds the module.",
    symbols: [
      "register_filesystem", "unregister_filesystem", "new_inode", "sb_set_ops", "inode_set_ops", "inode_set_link", "inode_get_ino",
      "inode_get_mode", "inode_get_size", "inode_set_size", "inode_set_blocks", "inode_get_nlink", "set_nlink", "inc_nlink",
      "drop_nlink", "inode_touch", "dir_emit", "dir_ctx_set_pos", "inode_get_dev", "sb_mount_data", "inode_set_owner",
      "inode_get_uid", "inode_get_gid", "setattr_copy", "inode_set_times", "inode_get_atime", "inode_get_mtime", "inode_get_ctime", "inode_set_rdev",
      "inode_set_ino", "sb_id", "sb_set_rdonly",
    ],
  },
  {
    title: "Host files (hostfs)",
    intro:
      "hostfs reaches a host directory through these, each confined to the directory hostfs_set_root gave the superblock: paths are (ptr, len) UTF-8 bytes relative to it, and none may leave it by '..' or a symlink.",
    symbols: [
      "hostfs_set_root", "hostfs_stat", "hostfs_read", "hostfs_write", "hostfs_readdir", "hostfs_create", "hostfs_mkdir", "hostfs_unlink",
      "hostfs_rmdir", "hostfs_rename", "hostfs_truncate", "hostfs_set_attr", "hostfs_readlink", "hostfs_symlink", "hostfs_statfs",
    ],
  },
  {
    title: "Block devices",
    intro:
      "A disk driver registers a block major and allocates disks on it with block_device_operations; the block layer hands it one request at a time (queue_rq), which it ends with blk_mq_end_request, at once or later from its interrupt handler (docs/block.md).",
    symbols: [
      "register_blkdev", "unregister_blkdev", "alloc_disk", "set_capacity", "set_capacity_and_notify", "get_capacity", "set_disk_ro",
      "set_disk_partscan", "add_disk", "del_gendisk", "put_disk", "bdev_disk_changed", "disk_openers", "blk_rq_pos", "blk_rq_sectors",
      "rq_data_dir", "blk_rq_copy_to", "blk_rq_copy_from", "blk_mq_end_request", "blk_rq_file_rw",
    ],
  },
  {
    title: "The buffer cache",
    intro:
      "A filesystem on a block device reads and writes its blocks through buffers (struct buffer_head) that the cache shares and writes back: by sync, fsync, umount, or a flusher after 30 s of simulated time.",
    symbols: [
      "sb_set_blocksize", "sb_bdev_nr_sectors", "sb_bread", "sb_getblk", "brelse", "bh_read", "sb_bread_to_user", "bh_write", "mark_buffer_dirty", "sync_dirty_buffer", "sync_blockdev",
    ],
  },
  {
    title: "Files a module holds",
    intro: "A driver may hold a task's open file beyond the system call that gave it (a loop device's backing file).",
    symbols: ["fget", "fput", "file_path"],
  },
  {
    title: "I/O ports",
    intro: "The simulated machine's devices sit on an I/O bus; a driver claims its ports first, and an access outside its regions is refused with a warning and reads as all ones.",
    symbols: ["request_region", "release_region", "inb", "inw", "inl", "outb", "outw", "outl", "insw", "outsw"],
  },
  {
    title: "Interrupts",
    intro: "The machine has a PC's 16 edge-triggered lines; a handler runs for each edge on its line, in interrupt context.",
    symbols: ["request_irq", "free_irq", "disable_irq", "enable_irq"],
  },
  {
    title: "TTY drivers and line disciplines",
    intro:
      "A tty driver registers its major and a port per line; the tty core makes the tty on the first open, runs the line's discipline (N_TTY by default, with termios) and hands the driver its output. A driver passes what it received to the discipline with tty_insert_flip_string and tty_flip_buffer_push. A line discipline (tty_register_ldisc) takes a line's input and output instead of N_TTY once TIOCSETD chooses it; its module is pinned while a line uses it (docs/tty.md).",
    symbols: [
      "tty_register_driver", "tty_unregister_driver", "tty_port_register_device", "tty_port_unregister_device", "tty_insert_flip_string",
      "tty_flip_buffer_push", "tty_port_tty_wakeup", "tty_index", "tty_get_baud_rate", "tty_encode_baud_rate", "tty_register_ldisc",
      "tty_unregister_ldisc", "tty_driver_write", "tty_write_room",
    ],
  },
  {
    title: "Network devices",
    intro:
      "A network driver allocates a net device, gives it net_device_ops and registers it (eth%d names take the lowest free number). Frames travel in socket buffers whose data lies in the driver's memory: a received one is filled through skb_put and handed to netif_rx; one to send arrives at ndo_start_xmit, read through skb_data and skb_len (docs/net.md).",
    symbols: [
      "alloc_netdev", "alloc_etherdev", "free_netdev", "netdev_priv", "netdev_set_ops", "eth_hw_addr_set", "eth_hw_addr_random", "netdev_printk", "register_netdev", "unregister_netdev",
      "netif_start_queue", "netif_stop_queue", "netif_wake_queue", "netif_queue_stopped", "netif_carrier_on", "netif_carrier_off", "netif_carrier_ok",
      "netdev_stats_add", "alloc_skb", "dev_alloc_skb", "skb_put", "skb_push", "skb_pull", "skb_reserve", "skb_data", "skb_len", "skb_set_protocol",
      "eth_type_trans", "kfree_skb", "dev_kfree_skb", "netif_rx",
    ],
  },
  {
    title: "Binary formats",
    intro:
      "execve asks each format in turn whether a file is of its kind. A module's format cannot lay out an image itself: as binfmt_script and binfmt_misc do, it rewrites argv and names an interpreter, which execve then loads.",
    symbols: [
      "register_binfmt", "insert_binfmt", "unregister_binfmt", "bprm_get_buf", "bprm_get_filename", "bprm_get_interp", "remove_arg_zero",
      "copy_string_kernel", "bprm_change_interp", "open_exec",
    ],
  },
  {
    title: "KUnit",
    intro:
      "A test module uses these through the KUnit header (`wasm-lkm/kunit`: KUNIT_CASE, kunit_test_suites, the KUNIT_EXPECT_* and KUNIT_ASSERT_* checks, kunit_info, kunit_skip), which calls the `__kunit_*` symbols for it; see docs/testing.md. A case is a `struct kunit` the kernel makes and frees.",
    symbols: [
      "__kunit_test_suite", "__kunit_test_case", "__kunit_fail_binary", "__kunit_fail_binary_ptr", "__kunit_fail_binary_str",
      "__kunit_fail_unary", "__kunit_fail_ptr_not_err", "__kunit_fail_mem", "__kunit_fail", "__kunit_assert_message", "__kunit_abort",
      "__kunit_mark_skipped", "__kunit_printk", "kunit_kmalloc", "kunit_kfree",
    ],
  },
  {
    title: "Locks and lists",
    intro:
      "A module takes spinlocks and rwlocks from `wasm-lkm/spinlock` (spin_lock_init, DEFINE_SPINLOCK, spin_lock, spin_unlock, spin_trylock, spin_is_locked, the _bh, _irq and _irqsave forms; rwlock_init, DEFINE_RWLOCK, read_lock, write_lock and their unlock, trylock, _bh and _irqsave forms), mutexes from `wasm-lkm/mutex` (mutex_init, DEFINE_MUTEX, mutex_lock, mutex_unlock, mutex_trylock, mutex_is_locked, mutex_lock_interruptible, mutex_destroy) and lists from `wasm-lkm/list` (LIST_HEAD, INIT_LIST_HEAD, list_add, list_add_tail, list_del, list_del_init, list_replace, list_move, list_splice, list_entry...): inline code on a spinlock_t, rwlock_t, mutex or list_head in its own memory, with no call, as Linux's UP build with CONFIG_DEBUG_SPINLOCK, CONFIG_DEBUG_MUTEXES, lockdep and CONFIG_DEBUG_LIST. Only a failed check calls these reports, which log Linux's message and oops the module; see docs/kernel.md.",
    symbols: ["spin_bug", "rwlock_bug", "debug_locks_warn_on", "print_deadlock_bug", "__list_add_valid_or_report", "__list_del_entry_valid_or_report"],
  },
];

const NAME_ARGS = "name, len: the name's UTF-8 bytes in the module's memory, valid for the call";
const NEW_INODE_RETURNS = "The new inode's handle (from new_inode, linked into dir by the module), or a negative errno; the VFS makes the dentry.";
const NO_OP_DIR = "The VFS refuses the operation with EPERM, as Linux's does.";

export const STRUCT_DOCS: { readonly [S in StructName]: StructDoc<S> } = {
  timespec64: {
    doc: "A time as seconds and nanoseconds since the epoch, which ktime_get_real_ts64 fills.",
    fields: { tv_sec: { value: "Seconds." }, tv_nsec: { value: "Nanoseconds, 0 to 999999999." } },
  },
  file_system_type: {
    doc: "A filesystem, given to register_filesystem (read then: the name and function pointers are copied).",
    fields: {
      name: { value: "The type's name, as mount -t and /proc/filesystems give it; a second registration of a name is EBUSY." },
      fs_flags: { value: "FS_REQUIRES_DEV (1) for a filesystem on a block device; 0 lists it as nodev in /proc/filesystems." },
      mount: {
        signature: "(sb: u32, flags: i32): i32",
        does: "Set up a new superblock sb for mount(2) with the mount's flags (MS_RDONLY...): make its root directory with new_inode and inode_set_ops, and sb_set_ops if it has super_operations.",
        returns: "The root inode's handle, or a negative errno to fail the mount (the kernel then forgets the superblock and its inodes; kill_sb is not called).",
        context: MOUNT,
        empty: "Not allowed: register_filesystem refuses a type without mount (EINVAL).",
      },
      kill_sb: {
        signature: "(sb: u32): void",
        does: "The superblock is going (umount, or the namespace going away): free what the module kept for it. Its inodes' handles go with it.",
        returns: "Nothing.",
        context: "Process context: the umount(2) (or halt) that ends the last mount of it.",
        empty: "Nothing is called; the kernel forgets the superblock.",
      },
    },
  },
  super_operations: {
    doc: "A superblock's operations, given to sb_set_ops (from mount, usually).",
    fields: {
      evict_inode: {
        signature: "(inode: u32): void",
        does: "The inode has no links and no users left: free what the module keeps for it. Its handle goes afterwards.",
        returns: "Nothing.",
        context: "Whatever dropped the last link or user: an unlink, rmdir or rename over it, the close of its last open file, or umount.",
        empty: "Nothing is called.",
      },
      put_super: {
        signature: "(sb: u32): void",
        does: "Linux's put_super; this kernel does not call it yet (kill_sb of file_system_type is where a superblock's end is seen).",
        returns: "Nothing.",
        context: "Not called.",
        empty: "Nothing.",
      },
      statfs: {
        signature: "(sb: u32, buf: struct kstatfs): i32",
        does: "Fill buf (zeroed) with the filesystem's type magic, block size, block and inode counts and longest name, for statfs(2) and fstatfs(2); the kernel adds f_frsize and f_flags, and f_fsid if it leaves it 0.",
        returns: "0, or -errno for statfs(2) to fail with.",
        context: "Process context: a statfs(2) or fstatfs(2) of a path on the filesystem.",
        empty: "statfs(2) fails with ENOSYS, as Linux's does for a superblock without one.",
      },
      show_options: {
        signature: "(sb: u32, buf: usize, size: i32): i32",
        does: "Write the filesystem's own mount options, each starting with a comma (\",uid=1000,fmask=0022\"), UTF-8 without a NUL, into buf: /proc/mounts shows them after the VFS's (\"rw,relatime\").",
        returns: "The length written (0 for none), or -errno to show none.",
        context: "Process context: a read of /proc/mounts or mount's listing.",
        empty: "Only the VFS's options are shown.",
      },
    },
  },
  inode_operations: {
    doc: "An inode's operations, given to inode_set_ops with its file operations (0 for either keeps the VFS's). The VFS has checked permissions, the name's length and what exists before each call.",
    fields: {
      lookup: {
        signature: "(dir: u32, name: usize, len: i32): i32",
        does: `Find the entry of that name in directory dir; ${NAME_ARGS}. Not called for . and .., which the VFS answers.`,
        returns: "The inode's handle, 0 when there is no such entry (the VFS makes a negative dentry: ENOENT, or room to create), or a negative errno.",
        context: PROCESS,
        empty: "Every name is absent from the directory.",
      },
      create: {
        signature: "(dir: u32, name: usize, len: i32, mode: u32): i32",
        does: `A regular file of that name and mode (S_IFREG | permissions after the umask) in dir, for open(O_CREAT); ${NAME_ARGS}. The name does not exist yet.`,
        returns: NEW_INODE_RETURNS,
        context: PROCESS,
        empty: "The VFS refuses to create files in the directory with EACCES, as Linux's does.",
      },
      mkdir: {
        signature: "(dir: u32, name: usize, len: i32, mode: u32): i32",
        does: `A directory (S_IFDIR | permissions) in dir; ${NAME_ARGS}. new_inode gives a directory nlink 2; the module counts the new .. in dir with inc_nlink.`,
        returns: NEW_INODE_RETURNS,
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      mknod: {
        signature: "(dir: u32, name: usize, len: i32, mode: u32, rdev: u32): i32",
        does: `A device node, FIFO or socket (mode's type) in dir, for mknod(2); ${NAME_ARGS}. The VFS sets rdev on the inode and makes it open as its device.`,
        returns: NEW_INODE_RETURNS,
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      symlink: {
        signature: "(dir: u32, name: usize, len: i32, target: usize, tlen: i32): i32",
        does: `A symbolic link in dir to the target (UTF-8 at target, tlen bytes, valid for the call); ${NAME_ARGS}. The module records the target with inode_set_link; the VFS follows it.`,
        returns: NEW_INODE_RETURNS,
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      unlink: {
        signature: "(dir: u32, name: usize, len: i32, inode: u32): i32",
        does: `Remove the name (of inode, not a directory) from dir and drop_nlink the inode; ${NAME_ARGS}.`,
        returns: "0, or a negative errno (the name stays).",
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      rmdir: {
        signature: "(dir: u32, name: usize, len: i32, inode: u32): i32",
        does: `Remove the empty directory inode from dir: its links go to 0 and dir loses the .. link; ${NAME_ARGS}.`,
        returns: "0, or a negative errno: ENOTEMPTY when the directory has entries (the module knows; the VFS does not).",
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      rename: {
        signature: "(olddir: u32, oldname: usize, oldlen: i32, newdir: u32, newname: usize, newlen: i32): i32",
        does: "Move the entry oldname of olddir to newname in newdir (both names as UTF-8 bytes valid for the call), replacing what is there; the VFS has checked that a replaced directory is empty and that a directory is not moved under itself. The module fixes link counts (a moved directory's .., a replaced inode's link).",
        returns: "0, or a negative errno (nothing moved).",
        context: PROCESS,
        empty: NO_OP_DIR,
      },
      setattr: {
        signature: "(inode: u32, attr: struct iattr): i32",
        does: "notify_change's change of the attributes attr.ia_valid names (ATTR_SIZE: truncate, ftruncate, O_TRUNC; ATTR_MODE: chmod; ATTR_UID, ATTR_GID: chown; ATTR_ATIME, ATTR_MTIME: utimensat; ATTR_CTIME always): refuse what the filesystem cannot keep, write the rest to it, then setattr_copy (and inode_set_size for a new size: drop what lies past it, read zeros up to a larger one).",
        returns: "0, or a negative errno (nothing changes).",
        context: PROCESS,
        empty: "The VFS changes the in-memory inode alone (the size stays), and nothing reaches the filesystem.",
      },
      revalidate: {
        signature: "(dir: u32, name: usize, len: i32, inode: u32): i32",
        does: `d_revalidate: whether the name the dcache holds in dir still names inode, asked on every path walk through it, for a filesystem whose contents change behind the kernel's back (hostfs: the host's own changes); ${NAME_ARGS}. The module may refresh the inode's attributes while it checks. A name it says is stale is dropped and looked up afresh; an inode it set_nlink'ed to 0 and nobody holds is evicted.`,
        returns: "1 if it still holds, 0 if not (the VFS looks the name up again), or a negative errno for the walk.",
        context: PROCESS,
        empty: "A cached name holds until the kernel itself unlinks or renames it.",
      },
    },
  },
  file_operations: {
    doc: "An open file's operations: a character device's (register_chrdev) or an inode's (inode_set_ops). The kernel keeps the file's offset (f_pos) and moves it; a module sees it as the pos argument, or file_pos for llseek.",
    fields: {
      owner: { value: "THIS_MODULE, as in Linux. The kernel pins the module that registered the operations while a file is open, whatever this says." },
      llseek: {
        signature: "(file: u32, offset: i32, whence: i32): i32",
        does: "Where lseek(2) moves the offset: whence is SEEK_SET, SEEK_CUR (from file_pos(file)) or SEEK_END (from the size the module knows).",
        returns: "The new offset, which the kernel stores as f_pos; or a negative errno (EINVAL for a bad whence or a negative result), leaving f_pos alone.",
        context: PROCESS,
        empty: "generic_file_llseek: SET, CUR and END against the inode's size (0 for a device), SEEK_DATA and SEEK_HOLE.",
      },
      read: {
        signature: "(file: u32, buf: usize, count: i32, pos: i32): i32",
        does: "Copy up to count bytes from offset pos to buf, an address in the calling task's memory, with copy_to_user. pos is f_pos for read(2), the given offset for pread(2).",
        returns: "The bytes copied (0 at the end of the data), which the kernel adds to f_pos for read(2) (not for pread); or a negative errno. A count larger than asked is the driver's bug: the call fails with EIO and the kernel logs it once.",
        context: PROCESS,
        empty: "EINVAL.",
      },
      write: {
        signature: "(file: u32, buf: usize, count: i32, pos: i32): i32",
        does: "Take up to count bytes at buf in the calling task's memory (copy_from_user) and write them at offset pos: f_pos, or the end of file with O_APPEND, or pwrite's offset.",
        returns: "The bytes taken, which the kernel adds to the position to make the new f_pos (not for pwrite); a short count is a partial write. Or a negative errno (ENOSPC, EFBIG...). More than asked is EIO, as for read.",
        context: PROCESS,
        empty: "EINVAL.",
      },
      iterate: {
        signature: "(file: u32, ctx: u32, pos: i32): i32",
        does: "List the directory from position pos (0 is ., 1 is ..; after that positions are the module's): for each entry call dir_emit(ctx, name, len, ino, DT_type), and after it dir_ctx_set_pos(ctx, the position after it). Stop when dir_emit returns false: the reader's buffer is full, and getdents calls again from the position set.",
        returns: "0, or a negative errno.",
        context: PROCESS,
        empty: "getdents on it is ENOTDIR.",
      },
      poll: {
        signature: "(file: u32, pt: u32): i32",
        does: "For poll(2) and select(2): call poll_wait(file, wq, pt) for each wait queue whose wake-up may make the file ready, then say what is ready now.",
        returns: "The POLL* mask ready now (POLLIN | POLLRDNORM to read, POLLOUT | POLLWRNORM to write, POLLHUP, POLLERR); the caller sleeps on the queues named when it is 0 and its timeout allows.",
        context: `${PROCESS} It must not wait itself.`,
        empty: "Always ready: POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM.",
      },
      unlocked_ioctl: {
        signature: "(file: u32, cmd: u32, arg: u32): i32",
        does: "A device-specific command, as _IO/_IOR/_IOW/_IOWR encode it (direction, size, type, number); arg is a number or an address in the calling task's memory, as the command says. The kernel answers its generic commands (FIONREAD on a regular file...) first.",
        returns: "What the command returns (0, or a value), or a negative errno: ENOTTY for a command the driver does not know.",
        context: PROCESS,
        empty: "ENOTTY.",
      },
      open: {
        signature: "(inode: u32, file: u32): i32",
        does: "A file is being opened on the inode: check the flags (file_flags), pick the device by iminor, and keep per-open state with file_set_private.",
        returns: "0, or a negative errno: open(2) fails with it and the module is not kept pinned.",
        context: PROCESS,
        empty: "The open succeeds.",
      },
      release: {
        signature: "(inode: u32, file: u32): i32",
        does: "The last descriptor of the file is closed (close, exit, or dup2 over it): free the per-open state.",
        returns: "0. The file is released whatever it returns.",
        context: "Process context: the close(2) or exit of the task holding the last descriptor.",
        empty: "Nothing is called.",
      },
      fsync: {
        signature: "(file: u32): i32",
        does: "Make the file's data durable (fsync(2), fdatasync(2)).",
        returns: "0, or a negative errno, which fsync returns.",
        context: PROCESS,
        empty: "fsync(2) on the file is EINVAL.",
      },
    },
  },
  linux_binfmt: {
    doc: "A binary format, given to register_binfmt or insert_binfmt.",
    fields: {
      module: { value: "THIS_MODULE, by convention; the kernel pins the module that registered the format while its load_binary runs." },
      load_binary: {
        signature: "(bprm: u32): i32",
        does: "Is the file being executed of this format? Read its first bytes with bprm_get_buf. If it is, rewrite argv (remove_arg_zero, copy_string_kernel), set the interpreter (bprm_change_interp, open_exec) and return 0: execve then searches the formats again for the interpreter.",
        returns: "0 once the interpreter is set; -ENOEXEC when the file is not of this format (the next format is asked); another negative errno to fail the execve with it.",
        context: EXEC,
        empty: "Not allowed: registration refuses a format without load_binary (EINVAL).",
      },
    },
  },
  block_device_operations: {
    doc: "A disk driver's operations (include/linux/blkdev.h), given to alloc_disk (read then).",
    fields: {
      owner: { value: "THIS_MODULE, as in Linux. The kernel pins the module that allocated the disk while the disk or a partition is open, whatever this says." },
      queue_rq: {
        signature: "(disk: u32, rq: u32): i32",
        does: "Take a request: its first sector (blk_rq_pos), length (blk_rq_sectors) and direction (rq_data_dir); move its data with blk_rq_copy_to (a READ) or blk_rq_copy_from (a WRITE), or blk_rq_file_rw; end it with blk_mq_end_request(rq, 0 or -errno), now or later (from the interrupt handler). One request is in flight per disk; one not ended in 30 s of simulated time fails with EIO.",
        returns: "0 once it has taken the request, or a negative errno to fail it at once (the I/O fails with EIO).",
        context: "Whatever does the I/O: a task's read, write, sync or mount, or the flusher, which runs with no task as a timer does. So it must not touch user memory or wait.",
        empty: "Not allowed: alloc_disk refuses operations without queue_rq (it returns 0).",
      },
      open: {
        signature: "(disk: u32, mode: u32): i32",
        does: "The disk or one of its partitions is opened (a node, a mount, a loop device): mode is FMODE_READ (1) | FMODE_WRITE (2).",
        returns: "0, or a negative errno: the open fails with it.",
        context: PROCESS,
        empty: "The open succeeds.",
      },
      release: {
        signature: "(disk: u32): i32",
        does: "An open of the disk or a partition is closed, after the last close's dirty buffers were written back.",
        returns: "Ignored.",
        context: "Process context: the close, exit or umount that ends the open.",
        empty: "Nothing is called.",
      },
      ioctl: {
        signature: "(disk: u32, mode: u32, cmd: u32, arg: u32): i32",
        does: "An ioctl on the disk's node that the block layer does not answer itself (its BLK* commands); arg is a number or an address in the calling task's memory, as the command says.",
        returns: "What the command returns, or a negative errno: ENOTTY for a command the driver does not know.",
        context: PROCESS,
        empty: "ENOTTY.",
      },
    },
  },
  net_device_ops: {
    doc: "A network driver's operations (include/linux/netdevice.h), given to netdev_set_ops (read then). Each takes the device's handle.",
    fields: {
      ndo_open: {
        signature: "(dev: u32): i32",
        does: "The device is brought up (ip link set DEV up): claim the card's interrupt if not yet, start it, netif_start_queue.",
        returns: "0, or a negative errno: the device stays down and ip prints the error.",
        context: PROCESS,
        empty: "The device comes up with its queue started.",
      },
      ndo_stop: {
        signature: "(dev: u32): i32",
        does: "The device is brought down (ip link set DEV down, unregister_netdev): netif_stop_queue, stop the card.",
        returns: "Ignored.",
        context: PROCESS,
        empty: "Nothing is called.",
      },
      ndo_start_xmit: {
        signature: "(skb: u32, dev: u32): i32",
        does: "Send the frame in skb (skb_data, skb_len; an Ethernet device's frame starts with its header). The driver owns skb: dev_kfree_skb it once the card has the data. If the card cannot take another, netif_stop_queue and netif_wake_queue from the transmit-done interrupt.",
        returns: "NETDEV_TX_OK once it took the frame; NETDEV_TX_BUSY to have the core keep skb and offer it again after netif_wake_queue.",
        context: "Whatever sends: a task's system call, or the stack answering a frame in softirq context. It must not wait.",
        empty: "Not allowed: netdev_set_ops refuses operations without it (EINVAL).",
      },
      ndo_tx_timeout: {
        signature: "(dev: u32, txqueue: u32): void",
        does: "The transmit watchdog found the queue stopped for longer than 5 s: reset the card, then netif_wake_queue.",
        returns: "Nothing.",
        context: TIMER,
        empty: "Only the watchdog's message.",
      },
      ndo_set_mac_address: {
        signature: "(dev: u32, addr: usize): i32",
        does: "ip link set DEV address MAC: program the card's station address from the ETH_ALEN bytes at addr, then eth_hw_addr_set.",
        returns: "0, or a negative errno, which ip reports.",
        context: PROCESS,
        empty: "The address is set in the device only (eth_mac_addr), refused with EBUSY while the device is up.",
      },
      ndo_get_stats: {
        signature: "(dev: u32): usize",
        does: "Someone reads the device's counters (/proc/net/dev, /sys/class/net/DEV/statistics/*, ip -s link; Linux's dev_get_stats): bring the driver's struct net_device_stats up to date (an 8390 adds its tally registers) and return its address. The driver then counts its packets and bytes itself, as in Linux; the core adds only its own drops (rx_dropped, tx_dropped, rx_nohandler).",
        returns: "The address of a struct net_device_stats in the module's memory; 0 (or a fault) gives the core's own counters instead.",
        context: "Process context: the read of the file or the ip command.",
        empty: "The core's counters: the packets and bytes it handed each way, and what netdev_stats_add added.",
      },
      ndo_do_ioctl: {
        signature: "(dev: u32, ifr: usize, cmd: i32): i32",
        does: "A socket ioctl on the device: SIOCDEVPRIVATE to SIOCDEVPRIVATE + 15 (the driver's own; ifr_data, the u32 at ifr + IFNAMSIZ, is an address in the caller's memory, for copy_from_user and copy_to_user), and the MII commands SIOCGMIIPHY, SIOCGMIIREG, SIOCSMIIREG (a struct mii_ioctl_data at ifr + IFNAMSIZ, Linux's if_mii(ifr)). ifr is the kernel's copy of the caller's struct ifreq (IFREQ_SIZE bytes), copied back when the call returns 0. Linux 5.15 split this operation into ndo_siocdevprivate and ndo_eth_ioctl; here it is the one it was.",
        returns: "0, or a negative errno, which the ioctl returns (EOPNOTSUPP for a command the driver does not answer).",
        context: PROCESS,
        empty: "EOPNOTSUPP, as Linux answers for a driver without it.",
      },
    },
  },
  net_device_stats: {
    doc: "A driver's counters (struct net_device_stats), in its memory, returned by ndo_get_stats. Each is an unsigned long: 32 bits here, as on a 32-bit Linux. /proc/net/dev sums some of them into one column as Linux does.",
    fields: {
      rx_packets: { value: "Frames received and handed to the stack." },
      tx_packets: { value: "Frames sent." },
      rx_bytes: { value: "Bytes of the frames received (from the link header on)." },
      tx_bytes: { value: "Bytes of the frames sent." },
      rx_errors: { value: "Bad frames received, in all." },
      tx_errors: { value: "Frames that could not be sent, in all." },
      rx_dropped: { value: "Frames received but dropped for want of memory (the core adds its own)." },
      tx_dropped: { value: "Frames dropped before sending (the core adds its own)." },
      multicast: { value: "Multicast frames received." },
      collisions: { value: "Collisions on the wire." },
      rx_length_errors: { value: "Frames of a bad length." },
      rx_over_errors: { value: "Receive ring overruns." },
      rx_crc_errors: { value: "Frames with a bad CRC." },
      rx_frame_errors: { value: "Frame alignment errors." },
      rx_fifo_errors: { value: "Receive FIFO overruns." },
      rx_missed_errors: { value: "Frames the card missed (no room)." },
      tx_aborted_errors: { value: "Transmits aborted (excess collisions)." },
      tx_carrier_errors: { value: "Transmits that lost the carrier." },
      tx_fifo_errors: { value: "Transmit FIFO underruns." },
      tx_heartbeat_errors: { value: "SQE test failures." },
      tx_window_errors: { value: "Late collisions." },
      rx_compressed: { value: "Compressed frames received (CSLIP, PPP)." },
      tx_compressed: { value: "Compressed frames sent." },
    },
  },
  mii_ioctl_data: {
    doc: "The MII commands' argument (struct mii_ioctl_data), IFNAMSIZ bytes into the ifreq ndo_do_ioctl gets: changetype<mii_ioctl_data>(ifr + IFNAMSIZ), as Linux's if_mii(ifr).",
    fields: {
      phy_id: { value: "The PHY's address: SIOCGMIIPHY sets it, SIOCGMIIREG and SIOCSMIIREG read it." },
      reg_num: { value: "The PHY register to read or write (MII_BMCR 0, MII_BMSR 1, MII_PHYSID1 2...)." },
      val_in: { value: "The value SIOCSMIIREG writes." },
      val_out: { value: "The value SIOCGMIIREG reads, filled in by the driver." },
    },
  },
  iattr: {
    doc: "The attributes inode_operations.setattr is to change (struct iattr), in the module's memory for the call: only those ia_valid names.",
    fields: {
      ia_valid: { value: "The ATTR_* bits of what changes, Linux's values: ATTR_MODE 1, ATTR_UID 2, ATTR_GID 4, ATTR_SIZE 8, ATTR_ATIME 16, ATTR_MTIME 32, ATTR_CTIME 64 (always). chown's clearing of set-user-ID comes as ATTR_MODE with the mode it leaves." },
      ia_mode: { value: "The new mode's permission bits (S_IALLUGO), with ATTR_MODE; the type bits are the inode's." },
      ia_uid: { value: "The new owner, with ATTR_UID." },
      ia_gid: { value: "The new group, with ATTR_GID." },
      ia_size: { value: "The new size in bytes, with ATTR_SIZE." },
      ia_atime_sec: { value: "The new access time, seconds since the epoch, with ATTR_ATIME." },
      ia_atime_nsec: { value: "Its nanoseconds." },
      ia_mtime_sec: { value: "The new modification time, with ATTR_MTIME." },
      ia_mtime_nsec: { value: "Its nanoseconds." },
      ia_ctime_sec: { value: "The new change time (now), with ATTR_CTIME." },
      ia_ctime_nsec: { value: "Its nanoseconds." },
    },
  },
  kstatfs: {
    doc: "What super_operations.statfs fills in for statfs(2) (struct kstatfs), in the module's memory, zeroed before the call.",
    fields: {
      f_type: { value: "The filesystem's magic number (MSDOS_SUPER_MAGIC 0x4d44, EXT2_SUPER_MAGIC 0xef53...)." },
      f_bsize: { value: "Its block size in bytes, the unit of the block counts." },
      f_blocks: { value: "Blocks for data in all." },
      f_bfree: { value: "Blocks free." },
      f_bavail: { value: "Blocks free for unprivileged users." },
      f_files: { value: "Inodes in all (0 where there is no fixed number)." },
      f_ffree: { value: "Inodes free." },
      f_fsid: { value: "The filesystem's identifier (its two 32-bit halves are statfs's f_fsid's two ints; ext2's comes from its UUID); 0 for the kernel's, the device number." },
      f_namelen: { value: "The longest name, in bytes." },
    },
  },
  host_stat: {
    doc: "What hostfs_stat says of a host file (lstat), written into the module's struct.",
    fields: {
      mode: { value: "The file's type and permission bits (S_IFREG | 0644...)." },
      nlink: { value: "Its link count." },
      uid: { value: "Its owner on the host." },
      gid: { value: "Its group on the host." },
      size: { value: "Its size in bytes." },
      ino: { value: "Its inode number on the host." },
      blocks: { value: "The 512-byte sectors it takes on the host (st_blocks)." },
      atime_sec: { value: "Its access time, in seconds since the epoch." },
      atime_nsec: { value: "Its nanoseconds." },
      mtime_sec: { value: "Its modification time, in seconds since the epoch." },
      mtime_nsec: { value: "Its nanoseconds." },
      ctime_sec: { value: "Its change time, in seconds since the epoch." },
      ctime_nsec: { value: "Its nanoseconds." },
      btime_sec: { value: "Its birth time, in seconds since the epoch (0 where the host keeps none): with ino, what tells a file from a new one the host gave a freed inode number." },
      btime_nsec: { value: "Its nanoseconds." },
    },
  },
  tty_driver: {
    doc: "A tty driver (struct tty_driver), given to tty_register_driver with its tty_operations and read then.",
    fields: {
      owner: { value: "THIS_MODULE, as in Linux. The kernel pins the module that registered the driver while one of its lines is open, whatever this says." },
      driver_name: { value: "The name /proc/tty/drivers lists first (\"serial\")." },
      name: { value: "The stem of its device names: \"ttyS\" makes /dev/ttyS0, /dev/ttyS1..." },
      major: { value: "Its character major (4 for ttyS)." },
      minor_start: { value: "The minor of line 0 (64 for ttyS0)." },
      num: { value: "How many lines it may have; minor_start+num must not pass 256." },
      type: { value: "TTY_DRIVER_TYPE_SYSTEM (1), _CONSOLE (2) or _SERIAL (3), as /proc/tty/drivers shows it." },
      init_cflag: { value: "The c_cflag a line starts with (init_termios): B9600 | CS8 | CREAD | HUPCL | CLOCAL for a serial port." },
    },
  },
  tty_operations: {
    doc: "A tty driver's operations (struct tty_operations), given to tty_register_driver (read then). tty is the open line's handle; tty_index(tty) is its number.",
    fields: {
      open: {
        signature: "(tty: u32): i32",
        does: "The line's first open: start the hardware (enable its interrupts, set the baud rate from tty_get_baud_rate).",
        returns: "0, or a negative errno: the open fails with it.",
        context: PROCESS,
        empty: "The open succeeds.",
      },
      close: {
        signature: "(tty: u32): void",
        does: "The line's last close: quiesce the hardware.",
        returns: "Nothing.",
        context: "Process context: the close or exit that ends the last open.",
        empty: "Nothing is called.",
      },
      write: {
        signature: "(tty: u32, buf: usize, count: i32): i32",
        does: "Queue count bytes from buf (a block in the module's memory, valid for the call) for sending; when the hardware has room again, call tty_port_tty_wakeup.",
        returns: "The bytes taken (fewer than count when the driver's buffer is full), or a negative errno.",
        context: "Process context (a write, or N_TTY echoing), or interrupt context (N_TTY echoing what the driver pushed from its handler): it must not wait.",
        empty: "Not allowed: tty_register_driver refuses operations without write (EINVAL).",
      },
      write_room: {
        signature: "(tty: u32): i32",
        does: "How many bytes write would take now.",
        returns: "That count (0 when full).",
        context: "Process or interrupt context; it must not wait.",
        empty: "The driver is taken to have room for anything.",
      },
      set_termios: {
        signature: "(tty: u32): void",
        does: "The termios changed (TCSETS): apply c_cflag, the baud rate from tty_get_baud_rate; report a rate it set instead with tty_encode_baud_rate.",
        returns: "Nothing.",
        context: PROCESS,
        empty: "Nothing is called; the termios changes all the same.",
      },
    },
  },
  tty_ldisc_ops: {
    doc: "A line discipline (struct tty_ldisc_ops), given to tty_register_ldisc (read then). tty is the line's handle.",
    fields: {
      owner: { value: "THIS_MODULE, as in Linux. The kernel pins the module that registered the discipline while a line uses it, whatever this says." },
      num: { value: "Its number, 0-29 (N_SLIP is 1); TIOCSETD chooses it, and the kernel asks for tty-ldisc-<num> when nobody provides it." },
      name: { value: "Its name in /proc/tty/ldiscs (\"slip\")." },
      open: {
        signature: "(tty: u32): i32",
        does: "The discipline is put on the line (TIOCSETD): set up its state for it.",
        returns: "0, or a negative errno: TIOCSETD fails with it and the old discipline is put back.",
        context: PROCESS,
        empty: "It opens.",
      },
      close: {
        signature: "(tty: u32): void",
        does: "The discipline is taken off the line (another TIOCSETD, or the line's last close): free its state for it.",
        returns: "Nothing.",
        context: PROCESS,
        empty: "Nothing is called.",
      },
      read: {
        signature: "(tty: u32, file: u32, buf: usize, count: i32): i32",
        does: "read(2) on the line: copy up to count bytes to buf, an address in the calling task's memory (copy_to_user).",
        returns: "The bytes copied, or a negative errno (-ERESTARTSYS from wait_event_interruptible to wait).",
        context: PROCESS,
        empty: "read(2) fails with EIO.",
      },
      write: {
        signature: "(tty: u32, file: u32, buf: usize, count: i32): i32",
        does: "write(2) on the line: count bytes at buf in the calling task's memory (copy_from_user).",
        returns: "The bytes taken, or a negative errno.",
        context: PROCESS,
        empty: "write(2) fails with EIO.",
      },
      ioctl: {
        signature: "(tty: u32, file: u32, cmd: u32, arg: u32): i32",
        does: "An ioctl on the line other than TIOCSETD, TIOCGETD and the foreground and window-size ones, which the core answers first.",
        returns: "What the command returns; -ENOIOCTLCMD (-515) for one it leaves to the core (the termios ioctls), which gives ENOTTY for one it does not know either.",
        context: PROCESS,
        empty: "The core answers the termios ioctls; others fail with ENOTTY.",
      },
      poll: {
        signature: "(tty: u32, file: u32, pt: u32): i32",
        does: "poll(2) on the line: name its wait queues with poll_wait.",
        returns: "The POLL* events ready now.",
        context: PROCESS,
        empty: "Nothing is ready (0).",
      },
      receive_buf: {
        signature: "(tty: u32, cp: usize, fp: usize, count: i32): void",
        does: "The driver received count bytes, at cp (a block in the module's memory, valid for the call); fp is 0 (no per-byte flags).",
        returns: "Nothing.",
        context: "Interrupt context (the driver's handler pushed them) or process context (the line's open found them waiting): it must not wait or touch user memory.",
        empty: "What the line receives is dropped.",
      },
      write_wakeup: {
        signature: "(tty: u32): void",
        does: "The driver has room again (it called tty_port_tty_wakeup): send what is left.",
        returns: "Nothing.",
        context: "Interrupt context, usually: it must not wait.",
        empty: "Nothing is called.",
      },
    },
  },
  spinlock_t: {
    doc: "A spinlock (raw_spinlock_t with CONFIG_DEBUG_SPINLOCK on one CPU), in the module's memory: made by DEFINE_SPINLOCK() or given to spin_lock_init() before its first use. Only abi/include/spinlock.ts's helpers touch its fields.",
    fields: {
      slock: { value: "arch_spinlock_t on UP: 1 free, 0 held." },
      magic: { value: "SPINLOCK_MAGIC (0xdead4ead) once initialised; anything else is \"bad magic\"." },
      owner_cpu: { value: "0 while held, -1 while free." },
      owner: { value: "SPINLOCK_OWNER_CURRENT (1) while held, SPINLOCK_OWNER_INIT (0xffffffff) while free." },
    },
  },
  mutex: {
    doc: "A mutex (struct mutex with CONFIG_DEBUG_MUTEXES), in the module's memory: made by DEFINE_MUTEX() or given to mutex_init() before its first use. Only abi/include/mutex.ts's helpers touch its fields.",
    fields: {
      owner: { value: "0 free, SPINLOCK_OWNER_CURRENT (1), the task running module code, while held." },
      magic: { value: "The mutex's own address once initialised (lock->magic = lock); 0 after mutex_destroy." },
    },
  },
  rwlock_t: {
    doc: "A reader-writer lock (rwlock_t with CONFIG_DEBUG_SPINLOCK on one CPU), in the module's memory: made by DEFINE_RWLOCK() or given to rwlock_init() before its first use. Only abi/include/rwlock.ts's helpers touch its fields.",
    fields: {
      raw_lock: { value: "As qrwlock counts: 0 free, RW_LOCK_READER_BIAS (0x200) per reader, RW_LOCK_WRITE_LOCKED (0xff) while written." },
      magic: { value: "RWLOCK_MAGIC (0xdeaf1eed) once initialised; anything else is \"bad magic\"." },
      owner_cpu: { value: "0 while written, -1 otherwise (readers are not recorded)." },
      owner: { value: "SPINLOCK_OWNER_CURRENT (1) while written, SPINLOCK_OWNER_INIT (0xffffffff) otherwise." },
    },
  },
  list_head: {
    doc: "A list head or an entry on a list (struct list_head), in the module's memory; an @unmanaged class embeds one by extending list_head. abi/include/list.ts's helpers link them.",
    fields: {
      next: { value: "The address of the next entry (the head after the last); LIST_POISON1 after list_del." },
      prev: { value: "The address of the previous entry (the head before the first); LIST_POISON2 after list_del." },
    },
  },
  kunit: {
    doc: "A running KUnit test case (include/kunit/test.h), made by the kernel for each case and freed after it.",
    fields: {
      priv: { value: "The test's own data: the suite's init sets it, the case reads it." },
      last_seen: { value: "\"file:line\" of the latest check the case made, which the kernel reports when the case crashes." },
    },
  },
};

/** Functions a module gives the kernel by fn.index through a symbol rather than a struct. */
export const CALLBACK_DOCS: Readonly<Record<string, OperationDoc & { readonly givenTo: readonly KernelSymbolName[] }>> = {
  "system call handler": {
    givenTo: ["syscall_register", "syscall_override"],
    signature: "(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32",
    does: "The system call with its six arguments as the caller passed them (pointers are addresses in the caller's memory). An override may call the handler beneath with syscall_call_next(nr, a0, ..., a5).",
    returns: "The call's result, or a negative errno, which the caller sees as -1 and errno.",
    context: PROCESS,
    empty: "Not allowed: 0 is refused with EINVAL.",
  },
  "interrupt handler": {
    givenTo: ["request_irq"],
    signature: "(irq: i32, dev_id: u32): i32",
    does: "An edge on the line: find out from the device (its ports) whether it interrupted, and serve it. dev_id is what request_irq was given, to tell devices sharing a line apart.",
    returns: "IRQ_HANDLED when its device interrupted, IRQ_NONE when not (a line that nobody handles 99,900 times in 100,000 is disabled).",
    context: INTERRUPT,
    empty: "Not allowed: 0 is refused with EINVAL.",
  },
  "timer callback": {
    givenTo: ["timer_setup"],
    signature: "(data: u32): void",
    does: "The timer expired; data is what timer_setup was given. Re-arm it with mod_timer for a periodic timer.",
    returns: "Nothing.",
    context: TIMER,
    empty: "Not allowed: timer_setup returns 0 for it.",
  },
};

/** The module's own entry points, which the loader calls by name. */
export const ENTRY_DOCS: Readonly<Record<string, OperationDoc>> = {
  init_module: {
    signature: "(): i32",
    does: "Set the module up: register what it provides, with its parameters already set from insmod's arguments. Module-level statements have run before it (the start function, _initialize).",
    returns: "0 to load; a negative errno to refuse, which insmod reports (`insmod: ERROR: could not insert module x.wasm: No such device`). A refused or trapping init is undone: whatever it registered is taken back and the module is gone.",
    context: "Process context: the insmod or modprobe (or a request_module's modprobe) loading it; it may not wait.",
    empty: "The module loads with nothing to do at init.",
  },
  cleanup_module: {
    signature: "(): void",
    does: "Undo init_module: unregister, free, put references. rmmod calls it once nothing uses the module (its refcount is 0 and no module depends on it).",
    returns: "Nothing. What it forgets is given back by the kernel with a warning each.",
    context: "Process context: the rmmod (or modprobe -r, or autoclean) removing it; it may not wait.",
    empty: "A module with init_module but no cleanup_module is permanent: rmmod refuses it unless forced, as Linux does.",
  },
};
