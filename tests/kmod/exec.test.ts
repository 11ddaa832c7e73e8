// Demand loading of a binary format end to end, through modprobe: the shell runs a class file, no format
// takes it, the kernel asks for binfmt-beba, the kernel daemon (the helper the first session installs)
// runs the shell's modprobe, which finds binfmt_java by its alias and loads it, and the exec goes on.

import { describe, expect, it } from "vitest";
import { O_CREAT, O_TRUNC, O_WRONLY } from "../../abi/fcntl.js";
import { Kernel } from "../../host/init/main.js";
import { ECHO, install } from "../exec_helpers.js";
import { cliSession } from "../helpers.js";

describe("demand loading on exec", () => {
  it("runs a class file with binfmt_java not loaded: modprobe loads it by its alias binfmt-beba", () => {
    const k = new Kernel();
    const { s, out, err } = cliSession(k);
    s.libc.mkdir("/usr");
    s.libc.mkdir("/usr/bin");
    install(s.libc, "/usr/bin/java", ECHO);
    const fd = s.libc.open("/tmp/Hello.class", O_WRONLY | O_CREAT | O_TRUNC, 0o755);
    s.libc.write(fd, new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0x00, 0x00, 0x00, 0x34]));
    s.libc.close(fd);
    expect(k.modules.find("binfmt_java")).toBeUndefined();
    expect(s.exec("/tmp/Hello.class a")).toBe(3);
    expect([out.join(""), err.join("")]).toEqual(["/usr/bin/java\nHello\na\n", ""]);
    expect(k.modules.find("binfmt_java")!.autoclean).toBe(true);
  });

  it("does it from the shell alone: echo -e writes the class file, chmod makes it executable", () => {
    const k = new Kernel();
    const { s, out, err } = cliSession(k);
    for (const line of ["echo -e '\\xca\\xfe\\xba\\xbe\\0\\0\\0\\x34' > /tmp/Hello.class", "chmod +x /tmp/Hello.class"]) {
      expect(s.exec(line)).toBe(0);
    }
    // No java VM is installed in the kernel's filesystem: the format is found and loaded, its interpreter is not.
    expect(s.exec("/tmp/Hello.class")).toBe(127);
    expect(err.join("")).toBe("wasm-lkm: /tmp/Hello.class: No such file or directory\n");
    expect(out.join("")).toBe("");
    expect(k.modules.list().map((m) => [m.name, m.autoclean])).toEqual([["binfmt_java", true]]);
  });
});
