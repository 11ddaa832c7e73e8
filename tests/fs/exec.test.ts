// execve(2) and execveat(2) (host/fs/exec.ts): opening the program, copying argv and envp, the search over
// the binary formats with its request for binfmt-XXXX, interpreter chains, and what a refusal leaves.

import { beforeEach, describe, expect, it } from "vitest";
import { MAX_ARG_STRLEN } from "../../abi/binfmts.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, MS_NOEXEC, O_CLOEXEC, O_CREAT, O_RDONLY, O_WRONLY } from "../../abi/fcntl.js";
import { W_EXITCODE } from "../../abi/signal.js";
import { makedev, S_IFCHR } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { ARG_SPACE, type LinuxBinfmt } from "../../host/fs/exec.js";
import { KernelError } from "../../host/kernel/error.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { bootWithStdout, ECHO, install, program, wat, watSyscall, writeAndExit } from "../exec_helpers.js";
import { dmesg, expectErrno, loadBytes } from "../helpers.js";
import { BAD_PTR, neg, sys, userBuffer, userString } from "../vfs_helpers.js";

let k: Kernel;
let libc: Libc;
let stdout: () => string;
beforeEach(() => ({ k, libc, stdout } = bootWithStdout()));

/** A NULL-terminated pointer array in the task's memory. */
function userVector(...ptrs: number[]): number {
  const vec = userBuffer(libc, 4 * (ptrs.length + 1));
  const view = new DataView(libc.task.mm.memory.buffer);
  ptrs.forEach((p, i) => view.setUint32(vec + 4 * i, p, true));
  return vec;
}

/** A refused exec: that errno, the task alive with the same memory, descriptors and name. */
function refused(fn: () => unknown, code: Parameters<typeof expectErrno>[1]): KernelError {
  const [mm, fds, comm] = [libc.task.mm, libc.task.files.entries().length, libc.task.comm];
  const err = expectErrno(fn, code);
  expect([libc.task.exitCode, libc.task.mm, libc.task.files.entries().length, libc.task.comm]).toEqual([null, mm, fds, comm]);
  expect(k.tasks.find(libc.task.pid)).toBe(libc.task);
  return err;
}

describe("running a program", () => {
  it("passes argv and envp, runs the program to its exit and returns the wait status", () => {
    expect(libc.execve("/tmp/echo", ["echo", "a b", ""], ["HOME=/", "X=1"])).toBe(W_EXITCODE(3));
    expect(stdout()).toBe("echo\na b\n\nHOME=/\nX=1\n");
    expect(libc.task.exitCode).toBe(W_EXITCODE(3));
    expect(k.tasks.find(libc.task.pid)).toBeUndefined();
  });

  it("names the task after the file and gives it the program's memory", () => {
    const before = libc.task.mm;
    libc.execve("/tmp/echo", ["whatever"]);
    expect(libc.task.comm).toBe("echo");
    expect(libc.task.mm).not.toBe(before);
  });

  it("walks a relative name from the cwd and follows symlinks to the program", () => {
    libc.symlink("/tmp/echo", "/tmp/link");
    libc.chdir("/tmp");
    expect(libc.execve("link", ["link"])).toBe(W_EXITCODE(1));
    expect(stdout()).toBe("link\n");
  });

  it("reads the program through its filesystem's read operation, a module's too", () => {
    k.insmod(loadBytes("ramfs"));
    libc.mkdir("/mnt/r");
    libc.mount("none", "/mnt/r", "ramfs");
    install(libc, "/mnt/r/echo", ECHO);
    expect(k.fork(libc).execve("/mnt/r/echo", ["echo", "ramfs"])).toBe(W_EXITCODE(2));
    expect(stdout()).toBe("echo\nramfs\n");
  });

  it("adds an empty argv[0] for a NULL argv, warning once", () => {
    for (const _ of [1, 2]) {
      const child = k.fork(libc);
      expect(sys(child, "execve", userString(child, "/tmp/echo"), 0, 0)).toBe(0);
      expect(child.task.exitCode).toBe(W_EXITCODE(1));
    }
    expect(stdout()).toBe("\n\n");
    expect(dmesg(k).filter((l) => l.includes("NULL argv"))).toEqual(["process 'test' launched '/tmp/echo' with NULL argv: empty string added"]);
  });

  it("ends the task with exit_group's status, or 0 when _start returns", () => {
    install(libc, "/tmp/group", writeAndExit("g", 7, SYSCALLS.exit_group));
    install(libc, "/tmp/falls", writeAndExit("f", null));
    expect(k.fork(libc).execve("/tmp/group", ["group"])).toBe(W_EXITCODE(7));
    expect(k.fork(libc).execve("/tmp/falls", ["falls"])).toBe(W_EXITCODE(0));
    expect(stdout()).toBe("gf");
  });

  it("closes close-on-exec descriptors and keeps the others", () => {
    // exit(write(3, "x", 1)): 1 while descriptor 3 is open for writing, -EBADF (247 as a status) once it is not.
    install(libc, "/tmp/fd3", wat(program(`(data (i32.const 16) "x")
      (func (export "_start") (drop ${watSyscall(60, watSyscall(1, "(i32.const 3)", "(i32.const 16)", "(i32.const 1)"))}))`)));
    const open = k.fork(libc);
    expect(open.open("/tmp/three", O_WRONLY | O_CREAT, 0o644)).toBe(3);
    expect(open.execve("/tmp/fd3", ["fd3"])).toBe(W_EXITCODE(1));
    const cloexec = k.fork(libc);
    expect(cloexec.open("/tmp/three", O_WRONLY | O_CLOEXEC)).toBe(3);
    expect(cloexec.execve("/tmp/fd3", ["fd3"])).toBe(W_EXITCODE(-9));
  });

  it("replaces a running program when it execs another: the first never resumes", () => {
    const path = "/tmp/second";
    install(libc, path, writeAndExit("B", 5));
    const bytes = [...new TextEncoder().encode(`${path}\0`)].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    install(libc, "/tmp/first", wat(program(`(data (i32.const 16) "A${bytes}C")
      (func (export "_start")
        (drop ${watSyscall(1, "(i32.const 1)", "(i32.const 16)", "(i32.const 1)")})
        (i32.store (i32.const 64) (i32.const 17))
        (drop ${watSyscall(59, "(i32.const 17)", "(i32.const 64)", "(i32.const 0)")})
        (drop ${watSyscall(1, "(i32.const 1)", `(i32.const ${17 + path.length + 1})`, "(i32.const 1)")}))`)));
    expect(libc.execve("/tmp/first", ["first"])).toBe(W_EXITCODE(5));
    expect(stdout()).toBe("AB");
  });

  it("execveat: a name relative to a directory descriptor, or the descriptor's own file with AT_EMPTY_PATH", () => {
    const dir = libc.open("/tmp", O_RDONLY);
    const child = k.fork(libc);
    expect(sys(child, "execveat", dir, userString(child, "echo"), 0, 0, 0)).toBe(0);
    expect(child.task.comm).toBe("echo");
    const prog = libc.open("/tmp/echo", O_RDONLY);
    const other = k.fork(libc);
    expect(sys(other, "execveat", prog, userString(other, ""), 0, 0, AT_EMPTY_PATH)).toBe(0);
    expect(other.task.comm).toBe(String(prog));
    expect(sys(libc, "execveat", AT_FDCWD, userString(libc, "/tmp/echo"), 0, 0, 0x8)).toBe(neg("EINVAL"));
  });
});

describe("open_exec's checks", () => {
  it("ENOENT for a missing file or an empty name, ENOTDIR for a file used as a directory", () => {
    refused(() => libc.execve("/tmp/nope", ["nope"]), "ENOENT");
    refused(() => libc.execve("", [""]), "ENOENT");
    refused(() => libc.execve("/tmp/echo/x", ["x"]), "ENOTDIR");
  });

  it("EACCES for a directory, a device node, a file with no execute bit, and a file on a noexec mount", () => {
    refused(() => libc.execve("/tmp", ["tmp"]), "EACCES");
    libc.mknod("/tmp/dev", S_IFCHR | 0o755, makedev(1, 3));
    refused(() => libc.execve("/tmp/dev", ["dev"]), "EACCES");
    install(libc, "/tmp/plain", ECHO, 0o644);
    refused(() => libc.execve("/tmp/plain", ["plain"]), "EACCES");
    install(libc, "/tmp/owner-x", ECHO, 0o700);
    expect(k.fork(libc).execve("/tmp/owner-x", ["x"])).toBe(W_EXITCODE(1));
    libc.mkdir("/mnt/n");
    libc.mount("none", "/mnt/n", "devtmpfs", MS_NOEXEC);
    install(libc, "/mnt/n/echo", ECHO);
    refused(() => libc.execve("/mnt/n/echo", ["echo"]), "EACCES");
  });

  it("ELOOP for a symlink loop, and for a final symlink with AT_SYMLINK_NOFOLLOW", () => {
    libc.symlink("/tmp/l2", "/tmp/l1");
    libc.symlink("/tmp/l1", "/tmp/l2");
    refused(() => libc.execve("/tmp/l1", ["l1"]), "ELOOP");
    libc.symlink("/tmp/echo", "/tmp/link");
    expect(sys(libc, "execveat", AT_FDCWD, userString(libc, "/tmp/link"), 0, 0, AT_SYMLINK_NOFOLLOW)).toBe(neg("ELOOP"));
  });
});

describe("what an exec holds", () => {
  it("lets go of the program and its interpreters, whether the exec runs or is refused", () => {
    libc.mkdir("/mnt/x");
    libc.mount("none", "/mnt/x", "devtmpfs");
    install(libc, "/mnt/x/echo", ECHO);
    install(libc, "/mnt/x/text", "no format takes this");
    install(libc, "/mnt/x/script", "#!/mnt/x/echo\n");
    install(libc, "/mnt/x/broken", "#!/mnt/x/text\n");
    expect(k.fork(libc).execve("/mnt/x/script", ["script"])).toBe(W_EXITCODE(2));
    refused(() => libc.execve("/mnt/x/text", ["text"]), "ENOEXEC");
    refused(() => libc.execve("/mnt/x/broken", ["broken"]), "ENOEXEC");
    libc.umount("/mnt/x");
  });
});

describe("arguments and environment", () => {
  it("EFAULT for a bad name, array or string, before anything changes", () => {
    const path = userString(libc, "/tmp/echo");
    const arg = userString(libc, "echo");
    const [badArg, badEnv, unterminated] = [userVector(arg, BAD_PTR), userVector(0), userVector(0)];
    const end = libc.task.mm.memory.buffer.byteLength;
    new DataView(libc.task.mm.memory.buffer).setUint32(badEnv, end + 16, true);
    new DataView(libc.task.mm.memory.buffer).setUint32(unterminated, end - 2, true);
    libc.task.mm.bytes(end - 2, 2).fill(0x41);
    expect(sys(libc, "execve", BAD_PTR, 0, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, BAD_PTR, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, end - 2, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, badArg, 0)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, userVector(arg), BAD_PTR)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, 0, badEnv)).toBe(neg("EFAULT"));
    expect(sys(libc, "execve", path, unterminated, 0)).toBe(neg("EFAULT"));
    expect(libc.task.exitCode).toBe(null);
  });

  it("the file is opened first: a missing program is ENOENT whatever argv is", () => {
    expect(sys(libc, "execve", userString(libc, "/tmp/nope"), BAD_PTR, BAD_PTR)).toBe(neg("ENOENT"));
  });

  it(`E2BIG for a string longer than ${MAX_ARG_STRLEN} bytes with its NUL, and past ${ARG_SPACE} bytes in all`, () => {
    refused(() => libc.execve("/tmp/echo", ["echo", "x".repeat(MAX_ARG_STRLEN)]), "E2BIG");
    refused(() => libc.execve("/tmp/echo", ["echo"], ["X=".padEnd(MAX_ARG_STRLEN, "x")]), "E2BIG");
    const big = "y".repeat(MAX_ARG_STRLEN - 1);
    const fill = Math.floor(ARG_SPACE / MAX_ARG_STRLEN);
    refused(() => libc.execve("/tmp/echo", Array(fill).fill(big)), "E2BIG");
    expect(k.fork(libc).execve("/tmp/echo", ["echo", big])).toBe(W_EXITCODE(2));
  });
});

describe("the search over binary formats", () => {
  /** A format that takes files starting with `magic` by running `interp` on them, as binfmt_misc would. */
  function magicFormat(magic: number[], interp: string, seen: string[] = []): LinuxBinfmt {
    return {
      owner: null,
      loadBinary(bprm) {
        seen.push(bprm.filename);
        if (magic.some((b, i) => bprm.buf[i] !== b)) throw new KernelError("ENOEXEC", "not mine");
        bprm.removeArgZero();
        bprm.pushArg(new TextEncoder().encode(bprm.interp));
        bprm.pushArg(new TextEncoder().encode(interp));
        bprm.interp = interp;
        bprm.interpreter = k.exec.openExec(bprm.task, interp);
      },
    };
  }
  let asked: string[];
  beforeEach(() => {
    asked = [];
    install(libc, "/tmp/blob", new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0, 0x34]));
  });

  it("is ENOEXEC for a file no format takes: an empty one, text without #!", () => {
    install(libc, "/tmp/empty", "");
    install(libc, "/tmp/text", "echo hello\n");
    refused(() => libc.execve("/tmp/empty", ["empty"]), "ENOEXEC");
    refused(() => libc.execve("/tmp/text", ["text"]), "ENOEXEC");
  });

  it("asks for binfmt-XXXX from bytes 2-3 when a header byte is unprintable, and only then", () => {
    k.kmod.usermodehelper = (argv) => (asked.push(argv.join(" ")), 1);
    refused(() => libc.execve("/tmp/blob", ["blob"]), "ENOEXEC");
    install(libc, "/tmp/text", "\t\nA~rest\x01");
    refused(() => libc.execve("/tmp/text", ["text"]), "ENOEXEC");
    install(libc, "/tmp/tab", "ab\x7f\x00");
    refused(() => libc.execve("/tmp/tab", ["tab"]), "ENOEXEC");
    expect(asked).toEqual(["/sbin/modprobe -q -- binfmt-beba", "/sbin/modprobe -q -- binfmt-007f"]);
  });

  it("searches once more after the request, finding a format the request brought", () => {
    const seen: string[] = [];
    k.kmod.usermodehelper = (argv) => {
      asked.push(argv.at(-1)!);
      k.exec.formats.register(magicFormat([0xca, 0xfe, 0xba, 0xbe], "/tmp/echo", seen));
      return 1;
    };
    expect(libc.execve("/tmp/blob", ["blob", "x"])).toBe(W_EXITCODE(3));
    expect(stdout()).toBe("/tmp/echo\n/tmp/blob\nx\n");
    expect(asked).toEqual(["binfmt-beba"]);
    expect(seen).toEqual(["/tmp/blob"]);
  });

  it("searches again after a modprobe that failed, but not when request_module could not run one", () => {
    const seen: string[] = [];
    k.exec.formats.register(magicFormat([0x7f], "/tmp/echo", seen));
    k.kmod.usermodehelper = () => 1;
    refused(() => libc.execve("/tmp/blob", ["blob"]), "ENOEXEC");
    expect(seen.length).toBe(2);
    k.kmod.usermodehelper = null;
    refused(() => libc.execve("/tmp/blob", ["blob"]), "ENOEXEC");
    expect(seen.length).toBe(3);
  });

  it("asks the formats in registration order, insert_binfmt's first, and stops at the first error but ENOEXEC", () => {
    const order: string[] = [];
    const refuse = (name: string, code: "ENOEXEC" | "EPERM"): LinuxBinfmt => ({
      owner: null,
      loadBinary: () => {
        order.push(name);
        throw new KernelError(code, name);
      },
    });
    k.exec.formats.register(refuse("tail", "ENOEXEC"));
    k.exec.formats.register(refuse("head", "ENOEXEC"), true);
    install(libc, "/tmp/text", "plain text");
    refused(() => libc.execve("/tmp/text", ["text"]), "ENOEXEC");
    expect(order).toEqual(["head", "tail"]);
    k.exec.formats.register(refuse("first", "EPERM"), true);
    refused(() => libc.execve("/tmp/text", ["text"]), "EPERM");
    expect(order).toEqual(["head", "tail", "first"]);
  });

  it("follows interpreter chains five rewrites deep, and is ELOOP at the sixth", () => {
    const chain = (n: number) => {
      for (let i = 1; i <= n; i++) install(libc, `/tmp/s${i}`, `#!${i === n ? "/tmp/echo" : `/tmp/s${i + 1}`}\n`);
      return `/tmp/s1`;
    };
    expect(k.fork(libc).execve(chain(5), ["s1", "arg"])).toBe(W_EXITCODE(7));
    expect(stdout()).toBe("/tmp/echo\n/tmp/s5\n/tmp/s4\n/tmp/s3\n/tmp/s2\n/tmp/s1\narg\n");
    refused(() => libc.execve(chain(6), ["s1"]), "ELOOP");
  });
});
