// The session's terminal (host/drivers/tty/pty.ts): a pseudo-terminal slave on descriptors 0, 1 and 2 of
// the shell's task, whose output is the session's.

import { describe, expect, it } from "vitest";
import { SEEK_SET } from "../../abi/fcntl.js";
import { major, minor, S_IFCHR } from "../../abi/stat.js";
import { Kernel } from "../../host/init/main.js";
import { cliSession, expectErrno } from "../helpers.js";

describe("a session's terminal", () => {
  it("is /dev/pts/N, a character device 136:N, on descriptors 0, 1 and 2", () => {
    const { s } = cliSession();
    const sh = s.libc;
    const pid = sh.task.pid;
    expect([0, 1, 2].map((fd) => sh.readlink(`/proc/${pid}/fd/${fd}`))).toEqual(["/dev/pts/0", "/dev/pts/0", "/dev/pts/0"]);
    const st = sh.fstat(1);
    expect([st.mode, major(st.rdev), minor(st.rdev)]).toEqual([S_IFCHR | 0o620, 136, 0]);
  });

  it("shows what is written on descriptors 1 and 2 as the session's output, decoding UTF-8 across writes", () => {
    const { s, out, err } = cliSession();
    s.libc.write(1, "out ");
    s.libc.write(2, new Uint8Array([0x65, 0xc3]));
    s.libc.write(1, new Uint8Array([0xa9, 0x0a]));
    expect(out.join("")).toBe("out e\u00e9\n");
    expect(err).toEqual([]);
  });

  it("reads as end of file and cannot seek (ESPIPE)", () => {
    const { s } = cliSession();
    expect(s.libc.read(0, 16)).toEqual(new Uint8Array(0));
    expectErrno(() => s.libc.lseek(1, 0, SEEK_SET), "ESPIPE");
  });

  it("takes the lowest free number, and gives it back when the session closes", () => {
    const k = new Kernel();
    const [a, b] = [cliSession(k).s, cliSession(k).s];
    expect(b.libc.readlink("/proc/self/fd/1")).toBe("/dev/pts/1");
    a.close();
    expect(cliSession(k).s.libc.readlink("/proc/self/fd/1")).toBe("/dev/pts/0");
    expect(cliSession(k).s.libc.readlink("/proc/self/fd/1")).toBe("/dev/pts/2");
  });
});
