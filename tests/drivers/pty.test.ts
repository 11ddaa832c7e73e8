// Pseudo-terminals (host/drivers/tty/pty.ts): the session's terminal, a slave on descriptors 0, 1 and 2
// of the shell's task whose output is the session's; and Unix98 pairs opened through ptmx on devpts.

import { describe, expect, it } from "vitest";
import { O_NONBLOCK, O_RDWR, SEEK_SET } from "../../abi/fcntl.js";
import { POLLHUP, POLLIN, POLLRDNORM } from "../../abi/poll.js";
import { signo } from "../../abi/signal.js";
import { major, minor, S_IFCHR } from "../../abi/stat.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import { TCGETS, TIOCGPGRP, TIOCGPTLCK, TIOCGPTN, TIOCGWINSZ, TIOCSPTLCK, TIOCSWINSZ } from "../../abi/termios.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliSession, expectErrno } from "../helpers.js";
import { int, intOf } from "./tty/tty_helpers.js";

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

  it("is the shell's controlling terminal: /dev/tty writes to the session, and is the same line", () => {
    const { s, out } = cliSession();
    const tty = s.libc.open("/dev/tty", O_RDWR);
    s.libc.write(tty, "to the terminal\n");
    expect(out.join("")).toBe("to the terminal\n");
    expect(intOf(s.libc.ioctl(tty, TIOCGPGRP, int(0)).data)).toBe(s.libc.task.pid);
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

describe("Unix98 ptys: /dev/ptmx and devpts", () => {
  /** A kernel as it boots (devpts on /dev/pts, /dev/ptmx the chrdev 5:2), and a task. */
  function mounted() {
    const k = new Kernel();
    return { k, sh: k.spawn("term") };
  }

  const ptn = (sh: Libc, fd: number) => intOf(sh.ioctl(fd, TIOCGPTN, int(-1)).data);
  const read = (sh: Libc, fd: number) => new TextDecoder().decode(sh.read(fd, 256));

  it("opens a master whose slave is /dev/pts/N, locked until TIOCSPTLCK 0 (posix_openpt, unlockpt, ptsname)", () => {
    const { k, sh } = mounted();
    expect(cliSession(k).s.libc.readlink("/proc/self/fd/0")).toBe("/dev/pts/0");
    const m = sh.open("/dev/ptmx", O_RDWR);
    expect(ptn(sh, m)).toBe(1);
    expect(intOf(sh.ioctl(m, TIOCGPTLCK, int(-1)).data)).toBe(1);
    expectErrno(() => sh.open("/dev/pts/1", O_RDWR), "EIO");
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const s = sh.open("/dev/pts/1", O_RDWR);
    const st = sh.fstat(s);
    expect([st.mode, major(st.rdev), minor(st.rdev)]).toEqual([S_IFCHR | 0o620, 136, 1]);
    expect(sh.readlink(`/proc/${sh.task.pid}/fd/${s}`)).toBe("/dev/pts/1");
    expect(sh.readdir("/dev/pts").map((d) => d.name)).toEqual([".", "..", "ptmx", "0", "1"]);
    expectErrno(() => sh.ioctl(m, TCGETS, new Uint8Array(36)), "ENOTTY");
  });

  it("carries the master's writes to the slave's N_TTY and the slave's output back, ONLCR and echo included", async () => {
    const { sh } = mounted();
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const s = sh.open(`/dev/pts/${ptn(sh, m)}`, O_RDWR);
    expect(sh.write(m, "hello\r")).toBe(6);
    expect(read(sh, s)).toBe("hello\n");
    expect(read(sh, m)).toBe("hello\r\n");
    sh.write(s, "out\n");
    expect(sh.poll([[m, POLLIN | POLLRDNORM]], 0)).toEqual([POLLIN | POLLRDNORM]);
    expect(read(sh, m)).toBe("out\r\n");
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, m, buf, 64);
    expect(sh.task.sleeping).toBe(true);
    sh.write(s, "late\n");
    expect(new TextDecoder().decode(sh.task.mm.bytes(buf, await call))).toBe("late\r\n");
    sh.task.files.get(m).flags |= O_NONBLOCK;
    expectErrno(() => sh.read(m, 4), "EAGAIN");
  });

  it("shares the window size between master and slave, either side setting it (pty_resize)", () => {
    const { sh } = mounted();
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    const winsize = (rows: number, cols: number) => Uint8Array.of(rows, 0, cols, 0, 0, 0, 0, 0);
    sh.ioctl(m, TIOCSWINSZ, winsize(24, 80));
    const s = sh.open("/dev/pts/0", O_RDWR);
    expect([...sh.ioctl(s, TIOCGWINSZ, new Uint8Array(8)).data]).toEqual([...winsize(24, 80)]);
    sh.ioctl(s, TIOCSWINSZ, winsize(50, 132));
    expect([...sh.ioctl(m, TIOCGWINSZ, new Uint8Array(8)).data]).toEqual([...winsize(50, 132)]);
  });

  it("gives the master EIO once the slave is closed, and the slave end of file, EIO on write and SIGHUP once the master is", () => {
    const { k, sh } = mounted();
    const m = sh.open("/dev/ptmx", O_RDWR);
    sh.ioctl(m, TIOCSPTLCK, int(0));
    sh.close(sh.open("/dev/pts/0", O_RDWR));
    expectErrno(() => sh.read(m, 4), "EIO");
    expect(sh.poll([[m, POLLIN]], 0)[0]! & POLLHUP).toBe(POLLHUP);
    const term = k.spawn("shell");
    const s = term.open("/dev/pts/0", O_RDWR);
    sh.close(m);
    expect(term.task.sigpending).toBe(1 << (signo("SIGHUP") - 1));
    term.task.sigpending = 0;
    expect(term.read(s, 4).length).toBe(0);
    expectErrno(() => term.write(s, "x"), "EIO");
    expectErrno(() => sh.stat("/dev/pts/0"), "ENOENT");
    // 0 stays taken while the hung-up slave is open.
    expect([ptn(sh, sh.open("/dev/ptmx", O_RDWR)), ptn(sh, sh.open("/dev/ptmx", O_RDWR))]).toEqual([1, 2]);
    term.close(s);
    expect(ptn(sh, sh.open("/dev/ptmx", O_RDWR))).toBe(0);
  });

  it("opens a pair from the ptmx of any devpts mount, all of which show the same slaves", () => {
    const { sh } = mounted();
    sh.mkdir("/mnt/pts", 0o755);
    sh.mount("devpts", "/mnt/pts", "devpts");
    expect(ptn(sh, sh.open("/mnt/pts/ptmx", O_RDWR))).toBe(0);
    expect(sh.readdir("/dev/pts").map((d) => d.name)).toEqual([".", "..", "ptmx", "0"]);
    const st = sh.stat("/mnt/pts/ptmx");
    expect([st.mode, major(st.rdev), minor(st.rdev)]).toEqual([S_IFCHR, 5, 2]);
    expect(new TextDecoder().decode(sh.readFile("/proc/mounts"))).toContain("devpts /mnt/pts devpts rw,relatime,mode=620,ptmxmode=000 0 0\n");
  });
});
