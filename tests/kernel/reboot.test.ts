// kernel_halt: unmount what was mounted after boot newest first, unload every module users first, report
// what cannot go without forcing it, and end with "reboot: System halted".

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LOGLEVELS } from "../../abi/kern_levels.js";
import { Kernel } from "../../host/init/main.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { cliSession, loadBytes, scratchDir, writeModuleSource } from "../helpers.js";

/** A module with init but no cleanup (permanent) that uses counter's symbols. */
const PERMANENT_USER = `
import { counter_add } from "@modules/include/counter";
MODULE_LICENSE("GPL");
export function init_module(): i32 {
  counter_add(1);
  return 0;
}
`;

const BOOT_MOUNTS =
  "rootfs / rootfs rw,relatime 0 0\ndevtmpfs /dev devtmpfs rw,relatime 0 0\nproc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n" +
  "debugfs /sys/kernel/debug debugfs rw,relatime 0 0\ndevpts /dev/pts devpts rw,nosuid,noexec,relatime,mode=620,ptmxmode=000 0 0\n";

const scratch = scratchDir("reboot");
let permanentUser: Uint8Array;

beforeAll(async () => {
  const obj = await compileModule(writeModuleSource(scratch.dir, "permanent_user", PERMANENT_USER), true);
  permanentUser = modpost([obj])[0]!.binary;
});

afterAll(() => scratch.cleanup());

let k: Kernel;
beforeEach(() => {
  k = new Kernel();
});

/** Halt k and return what it logged meanwhile, as [level, text]. */
function halt(): [number, string][] {
  const last = k.log.read().at(-1)?.seq ?? -1;
  k.halt();
  return k.log.read().filter((r) => r.seq > last).map((r) => [r.level, r.text]);
}

const texts = (records: [number, string][]) => records.map(([, t]) => t);

describe("kernel_halt", () => {
  it("halts a kernel with nothing to take down", () => {
    expect(halt()).toEqual([[LOGLEVELS.KERN_EMERG, "reboot: System halted"]]);
    expect(k.read("/proc/mounts")).toBe(BOOT_MOUNTS);
  });

  it("unmounts what was mounted after boot, newest first, and keeps the boot mounts", () => {
    const { s, err } = cliSession(k);
    for (const l of ["insmod ramfs", "mount -t ramfs none /mnt", "mkdir /mnt/d", "mount -t devtmpfs dev /mnt/d", "mkdir /tmp/p", "mount -t proc proc /tmp/p"]) {
      s.exec(l);
    }
    expect(err.join("")).toBe("");
    s.close();
    expect(halt()).toEqual([
      [LOGLEVELS.KERN_INFO, "reboot: Unmounting /tmp/p (proc)"],
      [LOGLEVELS.KERN_INFO, "reboot: Unmounting /mnt/d (devtmpfs)"],
      [LOGLEVELS.KERN_INFO, "reboot: Unmounting /mnt (ramfs)"],
      [LOGLEVELS.KERN_INFO, "reboot: Unloading module ramfs"],
      [LOGLEVELS.KERN_EMERG, "reboot: System halted"],
    ]);
    expect(k.read("/proc/mounts")).toBe(BOOT_MOUNTS);
    expect(k.modules.list()).toEqual([]);
  });

  it("unloads each module before the modules it uses, running every cleanup", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(loadBytes("hello"));
    k.insmod(loadBytes("counter_user"), { args: "step=5" });
    expect(texts(halt())).toEqual([
      "reboot: Unloading module counter_user",
      "counter_user: leaving the counter at 5",
      "reboot: Unloading module hello",
      "Goodbye, world.",
      "reboot: Unloading module counter",
      "counter: unloading at 5",
      "reboot: System halted",
    ]);
    expect(k.read("/proc/modules")).toBe("");
  });

  it("reports a permanent module and the modules it uses, and forces nothing", () => {
    k.insmod(loadBytes("counter"));
    k.insmod(permanentUser);
    k.insmod(loadBytes("hello"));
    expect(halt()).toEqual([
      [LOGLEVELS.KERN_INFO, "reboot: Unloading module hello"],
      [LOGLEVELS.KERN_INFO, "Goodbye, world."],
      [LOGLEVELS.KERN_INFO, "reboot: Unloading module permanent_user"],
      [LOGLEVELS.KERN_ERR, "reboot: could not unload permanent_user: module has no cleanup_module and cannot be unloaded"],
      [LOGLEVELS.KERN_ERR, "reboot: could not unload counter: in use by permanent_user"],
      [LOGLEVELS.KERN_EMERG, "reboot: System halted"],
    ]);
    expect(k.modules.list().map((m) => m.name)).toEqual(["permanent_user", "counter"]);
    expect(k.taint.test("FORCED_RMMOD")).toBe(false);
  });

  it("leaves a mount that is still in use, and the module it pins", () => {
    const { s } = cliSession(k);
    s.exec("insmod ramfs");
    s.exec("mount -t ramfs none /mnt");
    s.exec("cd /mnt");
    expect(halt()).toEqual([
      [LOGLEVELS.KERN_INFO, "reboot: Unmounting /mnt (ramfs)"],
      [LOGLEVELS.KERN_ERR, "reboot: could not unmount /mnt: Device or resource busy"],
      [LOGLEVELS.KERN_INFO, "reboot: Unloading module ramfs"],
      [LOGLEVELS.KERN_ERR, "reboot: could not unload ramfs: module is in use (refcount 1)"],
      [LOGLEVELS.KERN_EMERG, "reboot: System halted"],
    ]);
    expect(k.read("/proc/mounts")).toBe(`${BOOT_MOUNTS}none /mnt ramfs rw,relatime 0 0\n`);
  });
});
