// binfmt_java (modules/binfmt_java): class files run by a Java VM, and the module loaded on demand for
// binfmt-beba. The "VM" here is a program that prints its argv one per line and exits with argc.

import { beforeEach, describe, expect, it } from "vitest";
import { W_EXITCODE } from "../../abi/signal.js";
import type { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { bootWithStdout, ECHO, install } from "../exec_helpers.js";
import { expectErrno, loadBytes } from "../helpers.js";

let k: Kernel;
let libc: Libc;
let stdout: () => string;
beforeEach(() => ({ k, libc, stdout } = bootWithStdout()));

describe("binfmt_java", () => {
  const CLASS = new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x34]);
  beforeEach(() => install(libc, "/tmp/Hello.class", CLASS));

  it("runs a class file as `java CLASS ARGS...`", () => {
    k.insmod(loadBytes("binfmt_java"), { args: "java=/tmp/echo" });
    expect(k.fork(libc).execve("/tmp/Hello.class", ["Hello.class", "a"])).toBe(W_EXITCODE(3));
    install(libc, "/tmp/Plain", CLASS);
    k.write("/sys/module/binfmt_java/parameters/java", "/tmp/echo\n");
    expect(k.fork(libc).execve("/tmp/Plain", ["Plain"])).toBe(W_EXITCODE(2));
    expect(stdout()).toBe("/tmp/echo\nHello\na\n/tmp/echo\nPlain\n");
  });

  it("is ENOENT while the VM is missing, and leaves other files to the other formats", () => {
    k.insmod(loadBytes("binfmt_java"));
    expectErrno(() => libc.execve("/tmp/Hello.class", ["Hello"]), "ENOENT");
    install(libc, "/tmp/s", "#!/tmp/echo\n");
    expect(k.fork(libc).execve("/tmp/s", ["s"])).toBe(W_EXITCODE(2));
  });

  it("is loaded on demand: executing a class file asks for binfmt-beba, and the exec goes on", () => {
    const asked: string[] = [];
    k.kmod.usermodehelper = (argv) => {
      asked.push(argv.join(" "));
      k.insmod(loadBytes("binfmt_java"), { args: "java=/tmp/echo" });
      return 0;
    };
    expect(k.fork(libc).execve("/tmp/Hello.class", ["Hello.class"])).toBe(W_EXITCODE(2));
    expect(stdout()).toBe("/tmp/echo\nHello\n");
    expect(asked).toEqual(["/sbin/modprobe -q -- binfmt-beba"]);
    expect(k.modules.find("binfmt_java")!.autoclean).toBe(true);
    expect(k.fork(libc).execve("/tmp/Hello.class", ["Hello.class"])).toBe(W_EXITCODE(2));
    expect(asked.length).toBe(1);
  });
});
