// Ownership: every object a module registers is its own. Another module's unregister, free, destroy or put
// is refused with Linux's warning (or one naming the caller) and EINVAL, the owner's object keeps working,
// and the owner releases it as usual. A refused load leaves nothing behind, whatever it had registered.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ERRNO } from "../../abi/errno.js";
import { O_RDONLY } from "../../abi/fcntl.js";
import { makedev } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { Kernel } from "../../host/init/main.js";
import { walk } from "../../host/fs/namei.js";
import { hex } from "../../host/mm/maccess.js";
import type { Module } from "../../host/module/internal.js";
import type { Libc } from "../../host/user/nolibc.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { dmesg, expectErrno, expectRefused, loadBytes, ownerModule, scratchDir, snapshot, writeModuleSource } from "../helpers.js";

// The owner: one of each object, reported by handle or address, each released in its cleanup.
const OWNER = `
import {
  device_create, device_destroy, ENODEV, ENOEXEC, EBUSY, file_operations, file_set_private, file_system_type, free_irq, get_jiffies,
  GFP_KERNEL, HZ, init_waitqueue_head, mod_timer, IRQ_HANDLED, IRQF_SHARED, kfree, kmalloc, linux_binfmt, pr_info, register_binfmt, register_chrdev,
  register_filesystem, release_region, request_irq, request_region, syscall_register, syscall_unregister, THIS_MODULE,
  del_timer, timer_setup, unregister_binfmt, unregister_chrdev, unregister_filesystem, wake_up_interruptible,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");

const fops = new file_operations();
const fsType = new file_system_type();
const fmt = new linux_binfmt();
let timer: u32 = 0;
let wq: u32 = 0;
let block: usize = 0;

function owner_open(inode: u32, file: u32): i32 {
  file_set_private(file, 1234);
  pr_info("owner: open inode %u file %u\\n", inode, file);
  return 0;
}
function owner_irq(irq: i32, dev: u32): i32 { pr_info("owner: irq %d\\n", irq); return IRQ_HANDLED; }
function owner_timer(data: u32): void { pr_info("owner: timer\\n"); }
function owner_syscall(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 { return 42; }
function owner_mount(sb: u32, flags: u32): i32 { return -ENODEV; }
function owner_load(bprm: u32): i32 { return -ENOEXEC; }

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  fops.open = owner_open.index;
  fsType.name = "ownerfs";
  fsType.mount = owner_mount.index;
  fmt.module = THIS_MODULE;
  fmt.load_binary = owner_load.index;
  let err = register_chrdev(240, "owner", fops);
  if (err == 0) err = device_create(240, 0, "owned");
  if (err == 0) err = request_region(0x3f8, 8, "owner") ? 0 : -EBUSY;
  if (err == 0) err = request_irq(5, owner_irq.index, IRQF_SHARED, "owner", 7);
  if (err == 0) err = syscall_register(336, owner_syscall.index);
  if (err == 0) err = register_filesystem(fsType);
  if (err == 0) err = register_binfmt(fmt);
  timer = timer_setup(owner_timer.index, 0);
  mod_timer(timer, get_jiffies() + <u32>HZ);
  wq = init_waitqueue_head();
  block = kmalloc(100, GFP_KERNEL);
  pr_info("owner: timer %u wq %u fs %u binfmt %u block %u\\n", timer, wq, changetype<usize>(fsType), changetype<usize>(fmt), block);
  return err;
}

export function cleanup_module(): void {
  kfree(block);
  wake_up_interruptible(wq);
  del_timer(timer);
  unregister_binfmt(fmt);
  unregister_filesystem(fsType);
  syscall_unregister(336);
  free_irq(5, 7);
  release_region(0x3f8, 8);
  device_destroy(240, 0);
  unregister_chrdev(240, "owner");
  pr_info("owner: cleanup\\n");
}
`;

// The attacker: in its init, one call (attack=NAME) on an object it never registered, with a and b as arguments.
const ATTACKER = `
import {
  del_timer, device_destroy, disable_irq, enable_irq, file_get_private, file_operations, file_set_private,
  file_system_type, free_irq, get_jiffies, inode_get_nlink, inode_operations, inode_set_ops, kfree, linux_binfmt, mod_timer, module_put,
  new_inode, pr_info, release_region, S_IFREG, sb_set_ops, set_nlink, super_operations, syscall_unregister,
  try_module_get, unregister_binfmt, unregister_chrdev, unregister_filesystem, wait_event_interruptible,
  wake_up_interruptible,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let attack: string = "";
module_param(attack, charp, 0o444);
export let a: u32 = 0;
module_param(a, uint, 0o444);
export let b: u32 = 0;
module_param(b, uint, 0o444);

const fops = new file_operations();
const sops = new super_operations();
function attacker_open(inode: u32, file: u32): i32 { pr_info("attacker: open\\n"); return 0; }

export function init_module(): i32 {
  fops.open = attacker_open.index;
  if (attack == "unregister_chrdev") unregister_chrdev(a, "owner");
  else if (attack == "device_destroy") device_destroy(a, b);
  else if (attack == "free_irq") free_irq(a, b);
  else if (attack == "disable_irq") disable_irq(a);
  else if (attack == "enable_irq") enable_irq(a);
  else if (attack == "release_region") release_region(a, b);
  else if (attack == "kfree") kfree(a);
  else if (attack == "wake_up_interruptible") wake_up_interruptible(a);
  else if (attack == "module_put") { for (let i: u32 = 0; i < b; i++) module_put(a); }
  else if (attack == "try_module_get") { for (let i: u32 = 0; i < b; i++) try_module_get(a); }
  else if (attack == "get_put") {
    for (let i: u32 = 0; i < b; i++) try_module_get(a);
    for (let i: u32 = 0; i <= b; i++) module_put(a);
  }
  else if (attack == "mod_timer") pr_info("attacker: mod_timer %d\\n", mod_timer(a, get_jiffies()));
  else if (attack == "del_timer") pr_info("attacker: del_timer %d\\n", del_timer(a));
  else if (attack == "wait_event_interruptible") pr_info("attacker: wait_event_interruptible %d\\n", wait_event_interruptible(a));
  else if (attack == "syscall_unregister") pr_info("attacker: syscall_unregister %d\\n", syscall_unregister(a));
  else if (attack == "unregister_filesystem") pr_info("attacker: unregister_filesystem %d\\n", unregister_filesystem(changetype<file_system_type>(a)));
  else if (attack == "inode_set_ops") pr_info("attacker: inode_set_ops %d\\n", inode_set_ops(a, changetype<inode_operations>(0), fops));
  else if (attack == "file_set_private") {
    file_set_private(a, 99);
    pr_info("attacker: private %u\\n", file_get_private(a));
  }
  else if (attack == "superblock") {
    pr_info("attacker: new_inode %u sb_set_ops %d\\n", new_inode(a, S_IFREG | 0o644), sb_set_ops(a, sops));
    set_nlink(b, 0);
    pr_info("attacker: nlink %d\\n", inode_get_nlink(b));
  }
  else if (attack == "unregister_binfmt") pr_info("attacker: unregister_binfmt %d\\n", unregister_binfmt(changetype<linux_binfmt>(a)));
  return 0;
}
export function cleanup_module(): void {}
`;

// A module that registers one of each object (major \`major\`, two nodes for one major:minor, IRQ 5 shared and
// masked, a reference on module \`target\`...) and then fails its init: how=enodev returns -ENODEV, how=trap traps.
const FAILING = `
import {
  device_create, disable_irq, ENODEV, ENOEXEC, file_operations, file_system_type, get_jiffies, GFP_KERNEL, HZ,
  init_waitqueue_head, IRQ_HANDLED, IRQF_SHARED, kmalloc, linux_binfmt, mod_timer, register_binfmt, register_chrdev,
  register_filesystem, request_irq, request_region, syscall_override, syscall_register, THIS_MODULE, timer_setup,
  try_module_get,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let how: string = "enodev";
module_param(how, charp, 0o444);
export let major: u32 = 240;
module_param(major, uint, 0o444);
export let target: u32 = 0;
module_param(target, uint, 0o444);

const fops = new file_operations();
const fsType = new file_system_type();
const fmt = new linux_binfmt();

function failing_irq(irq: i32, dev: u32): i32 { return IRQ_HANDLED; }
function failing_timer(data: u32): void {}
function failing_syscall(a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32): i32 { return 1; }
function failing_mount(sb: u32, flags: u32): i32 { return -ENODEV; }
function failing_load(bprm: u32): i32 { return -ENOEXEC; }

export function init_module(): i32 {
  fops.owner = THIS_MODULE;
  register_chrdev(major, "failing", fops);
  device_create(major, 0, "fail0");
  device_create(major, 0, "fail1");
  request_region(0x2f8, 8, "failing");
  request_irq(5, failing_irq.index, IRQF_SHARED, "failing", 9);
  disable_irq(5);
  mod_timer(timer_setup(failing_timer.index, 0), get_jiffies() + <u32>HZ);
  init_waitqueue_head();
  syscall_register(337, failing_syscall.index);
  syscall_override(39, failing_syscall.index);
  fsType.name = "failfs";
  fsType.mount = failing_mount.index;
  register_filesystem(fsType);
  fmt.module = THIS_MODULE;
  fmt.load_binary = failing_load.index;
  register_binfmt(fmt);
  kmalloc(64, GFP_KERNEL);
  if (target != 0) try_module_get(target);
  if (how == "trap") return load<i32>(<usize>0xfffffff0);
  return -ENODEV;
}
`;

const fixtures = new Map<string, Uint8Array>();
const scratch = scratchDir("ownership");

beforeAll(async () => {
  const sources: [string, string][] = [["owner", OWNER], ["attacker", ATTACKER], ["failing", FAILING]];
  const objs = [];
  for (const [name, source] of sources) objs.push(await compileModule(writeModuleSource(scratch.dir, name, source), true));
  for (const r of modpost(objs)) fixtures.set(r.name, r.binary);
});

afterAll(() => scratch.cleanup());

const EINVAL = -ERRNO.EINVAL[0];

let k: Kernel;
let sh: Libc;
let owner: Module;
/** What the owner reported of its objects: timer and wait queue handles, struct and kmalloc addresses. */
let made: { timer: number; wq: number; fs: number; binfmt: number; block: number };

beforeEach(() => {
  k = new Kernel();
  sh = k.spawn("sh");
  owner = k.insmod(fixtures.get("owner")!);
  const line = dmesg(k).find((l) => l.startsWith("owner: timer "))!;
  const [timer, wq, fs, binfmt, block] = line.match(/\d+/g)!.map(Number) as [number, number, number, number, number];
  made = { timer, wq, fs, binfmt, block };
});

/** Load the attacker with one attack; the lines it made the kernel log. */
function attack(what: string, a: number, b = 0): string[] {
  k.log.clear();
  const attacker = k.insmod(fixtures.get("attacker")!, { args: `attack=${what} a=${a} b=${b}` });
  const lines = dmesg(k);
  k.rmmod(attacker.name);
  return lines;
}

/** Open the owner's device and close it again; whether the owner's open ran. */
function opensOwner(path = "/dev/owned"): boolean {
  k.log.clear();
  sh.close(sh.open(path, O_RDONLY));
  return dmesg(k).some((l) => l.startsWith("owner: open "));
}

/** A rising edge on IRQ 5; whether the owner's handler ran. */
function firesOwner(): boolean {
  k.log.clear();
  k.irqs.setLevel(5, true);
  k.irqs.setLevel(5, false);
  return dmesg(k).includes("owner: irq 5");
}

/** The owner's rmmod: its own cleanup releases everything, so no reclaim line follows. */
function ownerReleases(): void {
  k.log.clear();
  k.rmmod("owner");
  expect(dmesg(k)).toEqual(["owner: cleanup"]);
  expect(k.read("/proc/devices")).toBe("Character devices:\n  5 /dev/tty\n  5 /dev/console\n  5 /dev/ptmx\n\nBlock devices:\n259 blkext\n");
  expect(k.read("/proc/interrupts")).toBe("           CPU0       \n");
  expect(k.read("/proc/ioports")).toBe("");
  expect(k.syscalls.owners(336)).toEqual([]);
}

describe("character devices", () => {
  it("refuses another module's unregister_chrdev, and the device still opens", () => {
    expect(attack("unregister_chrdev", 240)).toEqual(["attacker: unregister_chrdev of major 240, which it did not register"]);
    expect(k.read("/proc/devices")).toContain("240 owner\n");
    expect(opensOwner()).toBe(true);
    ownerReleases();
  });

  it("gives EINVAL to a caller that does not own the major", () => {
    const err = expectRefused(k, () => k.chrdevs.unregister(240, null), "EINVAL", "kernel: unregister_chrdev of major 240, which it did not register");
    expect(err.errno).toBe(-EINVAL);
  });
});

describe("device nodes", () => {
  it("refuses another module's device_destroy, and the node still opens the owner's device", () => {
    expect(attack("device_destroy", 240, 0)).toEqual(["attacker: device_destroy of 240:0, which it did not create"]);
    expect(sh.stat("/dev/owned").rdev).toBe(makedev(240, 0));
    expectRefused(k, () => k.devices.destroy(ownerModule("other"), 240, 0), "EINVAL", "other: device_destroy of 240:0, which it did not create");
    expect(opensOwner()).toBe(true);
    ownerReleases();
    expectErrno(() => sh.stat("/dev/owned"), "ENOENT");
  });

  it("leaves a node alone whose name now holds another inode", () => {
    sh.unlink("/dev/owned");
    sh.mknod("/dev/owned", 0o20600, 0);
    k.rmmod("owner");
    expect(sh.stat("/dev/owned").rdev).toBe(0);
  });
});

describe("inodes, superblocks and open files", () => {
  it("refuses another module's inode_set_ops on a device node: opening it still reaches the owner", () => {
    expect(opensOwner()).toBe(true);
    const inode = Number(/inode (\d+)/.exec(dmesg(k).find((l) => l.startsWith("owner: open "))!)![1]);
    expect(attack("inode_set_ops", inode)).toEqual([`attacker: inode_set_ops ${EINVAL}`]);
    expect(opensOwner()).toBe(true);
    expect(dmesg(k)).not.toContain("attacker: open");
  });

  it("ignores another module's file_set_private on a file opened through the owner", () => {
    k.log.clear();
    const fd = sh.open("/dev/owned", O_RDONLY);
    const file = Number(/file (\d+)/.exec(dmesg(k)[0]!)![1]);
    expect(attack("file_set_private", file)).toEqual(["attacker: private 1234"]);
    sh.close(fd);
  });

  it("refuses another module's new_inode and sb_set_ops on a mounted superblock, and set_nlink on its inodes", () => {
    k.insmod(loadBytes("ramfs"));
    sh.mount("none", "/mnt", "ramfs");
    const root = walk({ ns: k.vfs.ns, root: k.init.fs.root, start: k.init.fs.root }, "/mnt").dentry.inode;
    const sb = k.moduleFilesystems.sbs.handle(root.sb);
    const inode = k.moduleFilesystems.inodes.handle(root);
    expect(attack("superblock", sb, inode)).toEqual([`attacker: new_inode 0 sb_set_ops ${EINVAL}`, "attacker: nlink 2"]);
    expect(sh.stat("/mnt").nlink).toBe(2);
    sh.umount("/mnt");
    k.rmmod("ramfs");
  });
});

describe("interrupt handlers", () => {
  it("refuses another module's free_irq with Linux's warning, and the owner's handler still runs", () => {
    expect(attack("free_irq", 5, 7)).toEqual(["Trying to free already-free IRQ 5"]);
    expect(k.read("/proc/interrupts")).toMatch(/ 5: +\d+ +XT-PIC +5-edge +owner\n/);
    expect(firesOwner()).toBe(true);
    expectRefused(k, () => k.irqs.free(5, 7, null), "EINVAL", "Trying to free already-free IRQ 5");
    ownerReleases();
  });

  it("refuses to mask a line the caller has no handler on, or to unmask what it did not mask", () => {
    expect(attack("disable_irq", 5)).toEqual(["attacker: disable_irq of IRQ 5, which it did not request"]);
    expect(firesOwner()).toBe(true);
    k.irqs.disable(5);
    expect(attack("enable_irq", 5)).toEqual(["Unbalanced enable for IRQ 5"]);
    expect(firesOwner()).toBe(false);
    k.irqs.enable(5);
    expect(dmesg(k)).toContain("owner: irq 5");
    ownerReleases();
  });
});

describe("I/O port regions", () => {
  it("refuses another module's release_region with Linux's warning, and the region stays the owner's", () => {
    expect(attack("release_region", 0x3f8, 8)).toEqual(["Trying to free nonexistent resource <03f8-03ff>"]);
    expect(k.read("/proc/ioports")).toBe("03f8-03ff : owner\n");
    expectRefused(k, () => k.ioports.release(0x3f8, 8, ownerModule("other")), "EINVAL", "Trying to free nonexistent resource <03f8-03ff>");
    ownerReleases();
  });
});

describe("timers", () => {
  it("answers EINVAL to another module's mod_timer and del_timer, and the owner's timer fires when it set it to", () => {
    expect(attack("del_timer", made.timer)).toEqual([`attacker: del_timer ${EINVAL}`]);
    expect(attack("mod_timer", made.timer)).toEqual([`attacker: mod_timer ${EINVAL}`]);
    k.log.clear();
    k.tick(0.9e9);
    expect(dmesg(k)).toEqual([]);
    k.tick(0.2e9);
    expect(dmesg(k)).toEqual(["owner: timer"]);
    ownerReleases();
    expect(k.timers.find(made.timer)).toBeUndefined();
  });
});

describe("wait queues", () => {
  it("refuses another module's wake_up and wait on the owner's queue; the owner's own calls pass", () => {
    expect(attack("wake_up_interruptible", made.wq)).toEqual([`attacker: wake_up_interruptible of wait queue ${made.wq}, which it did not initialise`]);
    expect(attack("wait_event_interruptible", made.wq)).toEqual([
      `attacker: wait_event_interruptible of wait queue ${made.wq}, which it did not initialise`,
      `attacker: wait_event_interruptible ${EINVAL}`,
    ]);
    ownerReleases();
    expect(k.waits.queues.find(made.wq)).toBeUndefined();
  });
});

describe("system call slots", () => {
  it("leaves the owner's handler in place when another module unregisters the slot", () => {
    expect(attack("syscall_unregister", 336)).toEqual([`attacker: syscall_unregister ${-ERRNO.ENOENT[0]}`]);
    expect(k.syscalls.owners(336)).toEqual(["owner"]);
    expect(sh.syscall(336)).toBe(42);
    ownerReleases();
    expect(sh.syscall(336)).toBe(-ERRNO.ENOSYS[0]);
  });
});

describe("filesystem types and binary formats", () => {
  it("answers EINVAL to another module's unregister_filesystem at the owner's address", () => {
    expect(attack("unregister_filesystem", made.fs)).toEqual([`attacker: unregister_filesystem ${EINVAL}`]);
    expect(k.read("/proc/filesystems")).toContain("nodev\townerfs\n");
    ownerReleases();
    expect(k.read("/proc/filesystems")).not.toContain("ownerfs");
  });

  it("answers EINVAL to another module's unregister_binfmt at the owner's address", () => {
    const formats = k.exec.formats.list().length;
    expect(attack("unregister_binfmt", made.binfmt)).toEqual([`attacker: unregister_binfmt ${EINVAL}`]);
    expect(k.exec.formats.list().filter((f) => f.owner === owner)).toHaveLength(1);
    ownerReleases();
    expect(k.exec.formats.list()).toHaveLength(formats - 1);
  });
});

describe("kmalloc blocks", () => {
  it("refuses another module's kfree of the owner's block", () => {
    const held = owner.slab.bytes;
    expect(attack("kfree", made.block)).toEqual([
      `attacker: kfree of ${hex(made.block)}, which kmalloc did not return (double free?)`,
    ]);
    expect(owner.slab.bytes).toBe(held);
    expect(owner.slab.ksize(made.block)).toBe(128);
    ownerReleases();
    expect(owner.slab.bytes).toBe(0);
  });
});

describe("module references", () => {
  it("refuses a module_put of a reference the caller never took: the refcount never goes below 0", () => {
    expect(attack("module_put", owner.handle, 2)).toEqual([
      "attacker: module_put of owner without a reference",
      "attacker: module_put of owner without a reference",
    ]);
    expect(owner.refcnt).toBe(0);
    expect(k.read("/sys/module/owner/refcnt")).toBe("0\n");
    ownerReleases();
  });

  it("keeps a module with an open file in place after another module's put", () => {
    const fd = sh.open("/dev/owned", O_RDONLY);
    expect(owner.refcnt).toBe(1);
    expect(attack("module_put", owner.handle, 1)).toEqual(["attacker: module_put of owner without a reference"]);
    expect(owner.refcnt).toBe(1);
    expectRefused(k, () => k.rmmod("owner"), "EAGAIN", "owner: module is in use (refcount 1)");
    sh.close(fd);
    ownerReleases();
  });

  it("drops and reports the references a module still holds when it is removed", () => {
    k.log.clear();
    const attacker = k.insmod(fixtures.get("attacker")!, { args: `attack=try_module_get a=${owner.handle} b=3` });
    expect(owner.refcnt).toBe(3);
    expect(attacker.held.get(owner)).toBe(3);
    k.rmmod("attacker");
    expect(dmesg(k)).toEqual(["attacker: 3 reference(s) on module owner still held at unload; dropped"]);
    expect(owner.refcnt).toBe(0);
    ownerReleases();
  });

  it("lets a module drop the references it took, and no more", () => {
    expect(attack("get_put", owner.handle, 2)).toEqual(["attacker: module_put of owner without a reference"]);
    expect(owner.refcnt).toBe(0);
    ownerReleases();
  });
});

describe("a refused load", () => {
  it("with two nodes on one major:minor and init failing leaves no node, and none opens the next driver", () => {
    k.rmmod("owner");
    expectRefused(k, () => k.insmod(fixtures.get("failing")!), "ENODEV");
    expect(snapshot(k).dev).not.toContain("fail0");
    owner = k.insmod(fixtures.get("owner")!);
    expectErrno(() => sh.open("/dev/fail0", O_RDONLY), "ENOENT");
    expectErrno(() => sh.open("/dev/fail1", O_RDONLY), "ENOENT");
    expect(opensOwner()).toBe(true);
  });

  it("after -ENODEV leaves nothing: no node, major, region, IRQ, timer, queue, syscall slot or reference", () => {
    expectRefused(k, () => k.insmod(fixtures.get("failing")!, { args: `major=241 target=${owner.handle}` }), "ENODEV");
    expect(owner.refcnt).toBe(0);
    expect(sh.getpid()).toBe(sh.task.pid);
    expect(firesOwner()).toBe(true);
  });

  it("after a trap in init leaves nothing either, and the line it masked is unmasked", () => {
    expectRefused(k, () => k.insmod(fixtures.get("failing")!, { args: `how=trap major=241 target=${owner.handle}` }), "EFAULT");
    expect(owner.refcnt).toBe(0);
    expect(k.syscalls.owners(SYSCALLS.getpid)).toEqual(["kernel"]);
    expect(firesOwner()).toBe(true);
  });
});
