// Binary formats in modules (host/fs/binfmt_module.ts): register_binfmt and its accessors, the module
// pinned while its load_binary runs, an Oops in it, and rmmod taking back a format left registered.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { W_EXITCODE } from "../../abi/signal.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { compileModule } from "../../scripts/build.js";
import { modpost } from "../../scripts/mod/modpost.js";
import { bootWithStdout, ECHO, install } from "../exec_helpers.js";
import { dmesg, expectErrno, scratchDir, writeModuleSource } from "../helpers.js";

// A format for files whose third byte is '@': it runs `target` (a parameter) with argv[0] replaced by "probe",
// logging what it sees. `mode` makes it misbehave: trap, error (-EPERM), zero (0 and no interpreter),
// badptr (hands the accessors bad pointers, then -ENOEXEC), leak (cleanup forgets to unregister); with
// head it is registered with insert_binfmt, ahead of binfmt_script.
const PROBE = `
import {
  bprm_change_interp, bprm_get_buf, bprm_get_filename, bprm_get_interp, copy_string_kernel, EPERM, ENOEXEC,
  insert_binfmt, linux_binfmt, module_refcount, open_exec, pr_info, register_binfmt, remove_arg_zero, THIS_MODULE,
  unregister_binfmt,
} from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export let mode: string = "";
module_param(mode, charp, 0o644);
export let target: string = "/tmp/echo";
module_param(target, charp, 0o644);

const fmt = new linux_binfmt();
const buf = new Uint8Array(300);

function text(n: i32): string {
  return n < 0 ? n.toString() : String.UTF8.decodeUnsafe(buf.dataStart, <usize>n);
}

function probe_load(bprm: u32): i32 {
  if (bprm_get_buf(bprm, buf.dataStart, 3) != 3 || buf[2] != 0x40) return -ENOEXEC;
  pr_info("probe: refcount %d\\n", module_refcount(THIS_MODULE));
  pr_info("probe: filename %s\\n", text(bprm_get_filename(bprm, buf.dataStart, buf.length)));
  pr_info("probe: interp %s\\n", text(bprm_get_interp(bprm, buf.dataStart, buf.length)));
  pr_info("probe: short buffer %d\\n", bprm_get_interp(bprm, buf.dataStart, 2));
  if (mode == "trap") return load<i32>(<usize>0xfffffff0);
  if (mode.startsWith("badptr")) {
    const bad = <usize>0xfffffff0;
    pr_info("probe: bad pointers %d %d %d %d\\n", bprm_get_buf(bprm, bad, 3), copy_string_kernel(bad, 4, bprm),
      bprm_change_interp(bad, 4, bprm), open_exec(bad, 4, bprm));
    return -ENOEXEC;
  }
  if (mode == "error") return -EPERM;
  if (mode == "zero") return 0;
  const name = String.UTF8.encode("probe");
  const path = String.UTF8.encode(target);
  let err = remove_arg_zero(bprm);
  if (err == 0) err = copy_string_kernel(changetype<usize>(name), name.byteLength, bprm);
  if (err == 0) err = bprm_change_interp(changetype<usize>(path), path.byteLength, bprm);
  if (err == 0) err = open_exec(changetype<usize>(path), path.byteLength, bprm);
  return err;
}

export function init_module(): i32 {
  fmt.module = THIS_MODULE;
  pr_info("probe: without load_binary %d\\n", register_binfmt(fmt));
  pr_info("probe: unregister unknown %d\\n", unregister_binfmt(fmt));
  pr_info("probe: bad pointer %d\\n", register_binfmt(changetype<linux_binfmt>(<usize>0xfffffff0)));
  pr_info("probe: no bprm %d\\n", remove_arg_zero(1));
  fmt.load_binary = probe_load.index;
  const err = mode.includes("head") ? insert_binfmt(fmt) : register_binfmt(fmt);
  pr_info("probe: twice %d\\n", register_binfmt(fmt));
  return err;
}

export function cleanup_module(): void {
  if (mode != "leak") unregister_binfmt(fmt);
}
`;

const fixtures = new Map<string, Uint8Array>();
const scratch = scratchDir("binfmt");

beforeAll(async () => {
  const obj = await compileModule(writeModuleSource(scratch.dir, "binfmt_probe", PROBE), true);
  for (const r of modpost([obj])) fixtures.set(r.name, r.binary);
});

afterAll(() => scratch.cleanup());

let k: Kernel;
let libc: Libc;
let stdout: () => string;
beforeEach(() => {
  ({ k, libc, stdout } = bootWithStdout());
  install(libc, "/tmp/p", "\x01\x01@ a probe file\n");
});

const probeLines = () => dmesg(k).filter((l) => l.startsWith("probe: "));

describe("register_binfmt", () => {
  it("refuses a struct without load_binary (EINVAL), a bad pointer (EFAULT), a second registration (EBUSY)", () => {
    k.insmod(fixtures.get("binfmt_probe")!);
    expect(probeLines()).toEqual([
      "probe: without load_binary -22", "probe: unregister unknown -22", "probe: bad pointer -14", "probe: no bprm -22", "probe: twice -16",
    ]);
  });

  it("adds a format execve asks after the built-in ones, which rewrites argv and names an interpreter", () => {
    k.insmod(fixtures.get("binfmt_probe")!);
    k.log.clear();
    expect(k.fork(libc).execve("/tmp/p", ["p", "x"])).toBe(W_EXITCODE(2));
    expect(stdout()).toBe("probe\nx\n");
    expect(probeLines()).toEqual([
      "probe: refcount 1", "probe: filename /tmp/p", "probe: interp /tmp/p", "probe: short buffer -34",
    ]);
    expect(k.modules.find("binfmt_probe")!.refcnt).toBe(0);
  });

  it("with insert_binfmt, is asked before binfmt_script", () => {
    install(libc, "/tmp/s", "#!@\n");
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=head" });
    expect(k.fork(libc).execve("/tmp/s", ["s"])).toBe(W_EXITCODE(1));
    expect(stdout()).toBe("probe\n");
    k.rmmod("binfmt_probe");
    k.insmod(fixtures.get("binfmt_probe")!);
    // binfmt_script now comes first, and finds no interpreter "@".
    expectErrno(() => libc.execve("/tmp/s", ["s"]), "ENOENT");
  });

  it("fails the exec with the errno load_binary returns, and the search stops there", () => {
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=error" });
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "EPERM");
    k.write("/sys/module/binfmt_probe/parameters/target", "/tmp/missing");
    k.write("/sys/module/binfmt_probe/parameters/mode", "open");
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "ENOENT");
    expect(libc.task.exitCode).toBe(null);
  });

  it("gets EFAULT for a bad pointer into its own memory, and the bprm is left alone", () => {
    // A script whose interpreter, relative to the cwd, is "@echo": the probe sees it first, then binfmt_script.
    install(libc, "/tmp/@echo", ECHO);
    install(libc, "/tmp/p", "#!@echo x\n");
    libc.chdir("/tmp");
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=badptr,head" });
    expect(k.fork(libc).execve("/tmp/p", ["p"])).toBe(W_EXITCODE(3));
    expect(probeLines()).toContain("probe: bad pointers -14 -14 -14 -14");
    expect(stdout()).toBe("@echo\nx\n/tmp/p\n");
  });

  it("skips a format that returns 0 without naming an interpreter, with a warning", () => {
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=zero" });
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "ENOEXEC");
    expect(dmesg(k)).toContain("binfmt_probe: load_binary returned 0 without opening an interpreter; format skipped");
  });

  it("is withdrawn by unregister_binfmt at rmmod, or by rmmod itself with a warning when the module forgets", () => {
    k.insmod(fixtures.get("binfmt_probe")!);
    k.rmmod("binfmt_probe");
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "ENOEXEC");
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=leak" });
    k.rmmod("binfmt_probe");
    expect(dmesg(k).at(-1)).toMatch(/^binfmt_probe: binary format at [0-9a-f]{8} still registered at unload; unregistered$/);
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "ENOEXEC");
  });
});

describe("a load_binary that traps", () => {
  it("is an Oops: the exec fails with EFAULT, the task carries on, the dead module's format is skipped after", () => {
    k.insmod(fixtures.get("binfmt_probe")!, { args: "mode=trap" });
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "EFAULT");
    expect(dmesg(k)).toContain("BUG: wasm trap in binfmt_probe: memory access out of bounds");
    expect(dmesg(k).find((l) => l.startsWith("RIP: "))).toMatch(/^RIP: probe_load \[binfmt_probe\]/);
    expect(k.taint.toString()).toMatch(/D/);
    expect(k.modules.find("binfmt_probe")!.dead).toBe(true);
    expect(libc.task.exitCode).toBe(null);
    expectErrno(() => libc.execve("/tmp/p", ["p"]), "ENOEXEC");
    k.rmmod("binfmt_probe");
    expect(dmesg(k).at(-1)).toMatch(/still registered at unload; unregistered$/);
  });
});
