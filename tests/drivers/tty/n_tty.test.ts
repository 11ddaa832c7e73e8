// N_TTY through a pseudo-terminal pair: canonical lines and their editing, echo, output processing, the
// signal characters, and raw reads by VMIN and VTIME.

import { beforeEach, describe, expect, it } from "vitest";
import { O_NONBLOCK } from "../../../abi/fcntl.js";
import { signo } from "../../../abi/signal.js";
import { SYSCALLS } from "../../../abi/syscalls.js";
import {
  ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, ISIG, IXANY, IXOFF, IXON, NOFLSH, ONLCR, OPOST, TCFLSH, TCSETS, TCSETSF, TCXONC, TIOCINQ,
  VMIN, VTIME,
} from "../../../abi/termios.js";
import type { PtyMaster } from "../../../host/drivers/tty/pty.js";
import { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";
import { expectErrno } from "../../helpers.js";
import { int, intOf, ptyTask, tcgetattr, tcsetattr, text } from "./tty_helpers.js";

let k: Kernel;
let sh: Libc;
let master: PtyMaster;
let fd: number;

beforeEach(() => {
  k = new Kernel();
  ({ sh, fd, master } = ptyTask(k));
});

const out = () => text(master.read());
const read = (n = 100) => text(sh.read(fd, n));

describe("canonical mode", () => {
  it("gives a read one whole line, its newline included, and ICRNL makes a typed CR one", () => {
    master.write("first\rsecond\n");
    expect(read()).toBe("first\n");
    expect(read()).toBe("second\n");
  });

  it("leaves the rest of a line longer than the read for the next", () => {
    master.write("abcdef\n");
    expect(read(4)).toBe("abcd");
    expect(read(4)).toBe("ef\n");
  });

  it("waits for the line's end, and a read that waited finds it", async () => {
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    master.write("par");
    expect(sh.task.sleeping).toBe(true);
    master.write("tial\n");
    const n = await call;
    expect(text(sh.task.mm.bytes(buf, n))).toBe("partial\n");
  });

  it("edits the line: ERASE takes a character, WERASE a word, KILL the line", () => {
    master.write("helo\x7flo worr\x7fld\n");
    expect(read()).toBe("hello world\n");
    master.write("one two  \x17three\n");
    expect(read()).toBe("one three\n");
    master.write("garbage\x15kept\n");
    expect(read()).toBe("kept\n");
  });

  it("ends a line at EOF without it, and EOF on an empty line reads as end of file", () => {
    master.write("no newline\x04\x04");
    expect(read()).toBe("no newline");
    expect(read()).toBe("");
  });

  it("counts what a read would take with TIOCINQ, and TCFLSH throws it away", () => {
    master.write("abc\nde");
    expect(intOf(sh.ioctl(fd, TIOCINQ, int(0)).data)).toBe(4);
    sh.ioctl(fd, TCFLSH, 0);
    expect(intOf(sh.ioctl(fd, TIOCINQ, int(0)).data)).toBe(0);
    expectErrno(() => sh.ioctl(fd, TCFLSH, 3), "EINVAL");
  });
});

describe("echo", () => {
  it("echoes what is typed, the newline as CR LF (ONLCR), control characters as ^X", () => {
    master.write("hi\x01\n");
    expect(out()).toBe("hi^A\r\n");
  });

  it("erases on the screen with ECHOE, and echoes the erase character itself without it", () => {
    master.write("ab\x7f");
    expect(out()).toBe("ab\b \b");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHOE));
    master.write("\x7f");
    expect(out()).toBe("^?");
  });

  it("echoes KILL as erasing the line with ECHOKE, or as ^U and a newline with ECHOK alone", () => {
    master.write("xy\x15");
    expect(out()).toBe("xy\b \b\b \b");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHOKE));
    master.write("xy\x15");
    expect(out()).toBe("xy^U\r\n");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHOK));
    master.write("z\x15");
    expect(out()).toBe("z^U");
  });

  it("echoes nothing with -echo, but the newline with ECHONL", () => {
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHO));
    master.write("secret\n");
    expect(out()).toBe("");
    tcsetattr(sh, fd, (t) => void (t.lflag |= ECHONL));
    master.write("secret\n");
    expect(out()).toBe("\r\n");
    expect(read()).toBe("secret\n");
  });
});

describe("LNEXT and REPRINT", () => {
  it("takes the byte after ^V as it is, echoing a caret it writes over, and ^V is ordinary without IEXTEN", () => {
    master.write("a\x16\x03b\x16\x7f\x16\nc\n");
    expect(sh.task.sigpending).toBe(0);
    expect(out()).toBe("a^\b^Cb^\b^?^\b\r\nc\r\n");
    expect(read()).toBe("a\x03b\x7f\nc\n");
    master.write("d\x16\x7f\x7f\n");
    expect(read()).toBe("d\n");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~IEXTEN));
    master.write("\x16\n");
    expect(read()).toBe("\x16\n");
  });

  it("reprints the line being edited on ^R, control characters as ^X, and erases it as before", () => {
    master.write("one\ntwo \x16\x01");
    out();
    master.write("\x12");
    expect(out()).toBe("^R\r\ntwo ^A");
    master.write("\x7f\x7f");
    expect(out()).toBe("\b \b\b \b\b \b");
    master.write("\n");
    expect(read()).toBe("one\n");
    expect(read()).toBe("two\n");
  });

  it("takes ^R as an ordinary byte without ECHO", () => {
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ECHO));
    master.write("x\x12\n");
    expect(read()).toBe("x\x12\n");
  });
});

describe("flow control", () => {
  it("holds output on ^S, a writer waiting and the echoes kept, and lets it all go on ^Q", async () => {
    master.write("\x13typed");
    expect(out()).toBe("");
    const msg = sh.task.mm.sbrk(3);
    sh.task.mm.bytes(msg, 3).set(new TextEncoder().encode("ok\n"));
    const call = sh.syscallAsync(SYSCALLS.write, fd, msg, 3);
    expect(sh.task.sleeping).toBe(true);
    master.write("\x11");
    expect(await call).toBe(3);
    expect(out()).toBe("typedok\r\n");
    master.write("\n");
    expect(read()).toBe("typed\n");
  });

  it("gives EAGAIN to a non-blocking writer while output is stopped", () => {
    master.write("\x13");
    sh.task.files.get(fd).flags |= O_NONBLOCK;
    expectErrno(() => sh.write(fd, "x"), "EAGAIN");
  });

  it("restarts output on any character with IXANY, and on a signal character", () => {
    tcsetattr(sh, fd, (t) => void (t.iflag |= IXANY));
    master.write("\x13");
    sh.task.files.get(fd).flags |= O_NONBLOCK;
    master.write("x");
    expect(out()).toBe("x");
    expect(sh.write(fd, "y")).toBe(1);
    tcsetattr(sh, fd, (t) => void (t.iflag &= ~IXANY));
    master.write("\x13z");
    expect(out()).toBe("y");
    master.write("\x03");
    expect(out()).toBe("^C");
    expect(sh.write(fd, "w")).toBe(1);
  });

  it("stops and starts output with TCXONC (tcflow), which ^Q does not undo, sends STOP and START, and refuses another argument", () => {
    sh.task.files.get(fd).flags |= O_NONBLOCK;
    sh.ioctl(fd, TCXONC, 0);
    master.write("\x11");
    expectErrno(() => sh.write(fd, "x"), "EAGAIN");
    sh.ioctl(fd, TCXONC, 1);
    expect(sh.write(fd, "x")).toBe(1);
    sh.ioctl(fd, TCXONC, 2);
    sh.ioctl(fd, TCXONC, 3);
    expect(out()).toBe("x\x13\x11");
    expectErrno(() => sh.ioctl(fd, TCXONC, 4), "EINVAL");
  });

  it("passes ^S and ^Q as bytes without IXON, and sends no STOP on a pty under IXOFF (a pty cannot throttle)", () => {
    tcsetattr(sh, fd, (t) => void ((t.iflag = (t.iflag & ~IXON) | IXOFF), (t.lflag &= ~ECHO)));
    master.write("\x13\x11\n");
    expect(read()).toBe("\x13\x11\n");
    master.write("a".repeat(4000));
    expect(text(master.read())).toBe("");
  });
});

describe("output", () => {
  it("turns NL into CR NL with ONLCR, and sends bytes as they are without OPOST", () => {
    sh.write(fd, "a\nb\n");
    expect(out()).toBe("a\r\nb\r\n");
    tcsetattr(sh, fd, (t) => void (t.oflag &= ~ONLCR));
    sh.write(fd, "a\n");
    expect(out()).toBe("a\n");
    tcsetattr(sh, fd, (t) => void (t.oflag = (t.oflag | ONLCR) & ~OPOST));
    sh.write(fd, "a\n");
    expect(out()).toBe("a\n");
  });
});

describe("signals", () => {
  it("sends SIGINT to the foreground task on ^C, interrupting its blocked read (EINTR), and echoes ^C", async () => {
    master.write("lost");
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    expect(sh.task.sleeping).toBe(true);
    master.write("\x03");
    expect(await call).toBe(-4);
    expect(sh.task.sigpending).toBe(1 << (signo("SIGINT") - 1));
    expect(out()).toBe("lost^C");
    sh.task.sigpending = 0;
    master.write("\n");
    expect(read()).toBe("\n");
  });

  it("takes ^Z as SUSP: echoes it and flushes the input, but SIGTSTP is discarded (no task can be stopped) and a blocked read goes on", async () => {
    master.write("lost");
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    master.write("\x1a");
    expect(sh.task.sigpending).toBe(0);
    expect(sh.task.sleeping).toBe(true);
    expect(out()).toBe("lost^Z");
    master.write("kept\n");
    expect(text(sh.task.mm.bytes(buf, await call))).toBe("kept\n");
  });

  it("sends SIGQUIT on ^\\, keeps the input with NOFLSH, and passes ^C as a byte without ISIG", () => {
    tcsetattr(sh, fd, (t) => void (t.lflag |= NOFLSH));
    master.write("kept\x1c\n");
    expect(sh.task.sigpending).toBe(1 << (signo("SIGQUIT") - 1));
    sh.task.sigpending = 0;
    expect(read()).toBe("kept\n");
    tcsetattr(sh, fd, (t) => void (t.lflag &= ~ISIG));
    master.write("\x03\n");
    expect(sh.task.sigpending).toBe(0);
    expect(read()).toBe("\x03\n");
  });
});

describe("raw mode", () => {
  const raw = (min: number, time: number, cmd = TCSETSF) =>
    tcsetattr(sh, fd, (t) => {
      t.lflag &= ~(ICANON | ECHO);
      t.iflag &= ~ICRNL;
      t.cc[VMIN] = min;
      t.cc[VTIME] = time;
    }, cmd);

  it("gives a read what came, byte by byte, CR as it is, with VMIN 1", () => {
    raw(1, 0);
    master.write("a\rb");
    expect(read()).toBe("a\rb");
    expect(out()).toBe("");
  });

  it("makes the lines typed before it readable at once when ICANON goes", () => {
    master.write("half a li");
    raw(1, 0, TCSETS);
    expect(read()).toBe("half a li");
  });

  it("waits for VMIN bytes", async () => {
    raw(3, 0);
    const buf = sh.task.mm.sbrk(64);
    const call = sh.syscallAsync(SYSCALLS.read, fd, buf, 64);
    master.write("ab");
    expect(sh.task.sleeping).toBe(true);
    master.write("c");
    expect(text(sh.task.mm.bytes(buf, await call))).toBe("abc");
  });

  it("returns at once with VMIN 0 and VTIME 0, and after VTIME tenths with nothing (VMIN 0)", () => {
    raw(0, 0);
    expect(read()).toBe("");
    raw(0, 5);
    const before = k.clock.nowNs;
    expect(read()).toBe("");
    expect(k.clock.nowNs - before).toBeGreaterThanOrEqual(500e6);
    expect(k.clock.nowNs - before).toBeLessThan(600e6);
  });

  it("with VMIN and VTIME, returns fewer than VMIN once VTIME passes after the last byte", () => {
    raw(10, 2);
    master.write("xy");
    const before = k.clock.nowNs;
    expect(read()).toBe("xy");
    expect(k.clock.nowNs - before).toBeGreaterThanOrEqual(200e6);
  });

  it("gives EAGAIN to a non-blocking read with nothing there", () => {
    raw(1, 0);
    sh.task.files.get(fd).flags |= O_NONBLOCK;
    expectErrno(() => sh.read(fd, 4), "EAGAIN");
  });
});

describe("termios", () => {
  it("starts as tty_std_termios does: ICRNL IXON, OPOST ONLCR, ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN, INIT_C_CC", () => {
    const t = tcgetattr(sh, fd);
    expect([t.iflag.toString(8), t.oflag.toString(8), t.lflag.toString(8), t.line]).toEqual(["2400", "5", "105073", 0]);
    expect(Array.from(t.cc.subarray(0, 7))).toEqual([3, 0o34, 0o177, 0o25, 4, 0, 1]);
  });
});
