// stty: a terminal's settings printed as coreutils prints them (-a, and only what differs from sane), and
// changed (raw, -echo, a speed, control characters, min and time), on the session's terminal or -F DEV;
// then what the changes do to a UART's line typed into with `hw type`.

import { beforeEach, describe, expect, it } from "vitest";
import { Kernel } from "../../host/init/main.js";
import { cliRunner, type CliResult } from "../helpers.js";

let k: Kernel;
let run: (line: string) => Promise<CliResult>;

beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  await run("hw attach uart16550");
  await run("insmod serial16550");
});

const ok = (out = "") => ({ status: 0, out, err: "" });

const SANE_PTY = `speed 38400 baud; rows 0; columns 0; line = 0;
intr = ^C; quit = ^\\; erase = ^?; kill = ^U; eof = ^D; eol = <undef>;
eol2 = <undef>; swtch = <undef>; start = ^Q; stop = ^S; susp = ^Z; rprnt = ^R;
werase = ^W; lnext = ^V; discard = ^O; min = 1; time = 0;
-parenb -parodd -cmspar cs8 -hupcl -cstopb cread -clocal -crtscts
-ignbrk -brkint -ignpar -parmrk -inpck -istrip -inlcr -igncr icrnl ixon -ixoff
-iuclc -ixany -imaxbel -iutf8
opost -olcuc -ocrnl onlcr -onocr -onlret -ofill -ofdel nl0 cr0 tab0 bs0 vt0 ff0
isig icanon iexten echo echoe echok -echonl -noflsh -xcase -tostop -echoprt
echoctl echoke -flusho -extproc
`;

describe("stty", () => {
  it("prints every setting of the session's terminal with -a, wrapped at 80 columns", async () => {
    expect(await run("stty -a")).toEqual(ok(SANE_PTY));
  });

  it("prints only what differs from sane without settings, and a serial line starts at 9600", async () => {
    expect(await run("stty")).toEqual(ok("speed 38400 baud; line = 0;\n-brkint -imaxbel\n"));
    expect(await run("stty -F /dev/ttyS0")).toEqual(ok("speed 9600 baud; line = 0;\n-brkint -imaxbel\n"));
  });

  it("sets raw -echo and a speed on a line, which keeps them from one open to the next", async () => {
    expect(await run("stty -F /dev/ttyS0 raw -echo 115200")).toEqual(ok());
    expect(await run("stty -F /dev/ttyS0")).toEqual(
      ok("speed 115200 baud; line = 0;\nmin = 1; time = 0;\n-brkint -icrnl -imaxbel\n-opost\n-isig -icanon -echo\n"),
    );
    expect(await run("stty -F /dev/ttyS0 -raw echo intr ^X min 5")).toEqual(ok());
    expect((await run("stty -F /dev/ttyS0 -a")).out).toContain("intr = ^X;");
    expect((await run("stty -F /dev/ttyS0")).out).toBe(
      "speed 115200 baud; line = 0;\nintr = ^X;\n-imaxbel\n",
    );
  });

  it("says a setting it does not know, a missing argument, a speed the line cannot take, and a file that is no terminal", async () => {
    const hint = "Try 'stty --help' for more information.\n";
    expect(await run("stty -F /dev/ttyS0 fast")).toEqual({ status: 1, out: "", err: `stty: invalid argument 'fast'\n${hint}` });
    expect(await run("stty -F /dev/ttyS0 -cs8")).toEqual({ status: 1, out: "", err: `stty: invalid argument '-cs8'\n${hint}` });
    expect(await run("stty -F /dev/ttyS0 min")).toEqual({ status: 1, out: "", err: `stty: missing argument to 'min'\n${hint}` });
    expect(await run("stty -a echo")).toEqual({
      status: 1, out: "", err: `stty: when specifying an output style, modes may not be set\n${hint}`,
    });
    expect(await run("stty -F /dev/ttyS0 134")).toEqual({ status: 1, out: "", err: "stty: /dev/ttyS0: unable to perform all requested operations\n" });
    expect((await run("stty -F /dev/ttyS0")).out).toMatch(/^speed 9600 baud;/);
    expect(await run("stty -F /proc/modules")).toEqual({ status: 1, out: "", err: "stty: /proc/modules: Inappropriate ioctl for device\n" });
    expect(await run("stty -F /dev/ttyS9")).toEqual({ status: 1, out: "", err: "stty: /dev/ttyS9: No such file or directory\n" });
  });
});

describe("a UART's line through the tty core", () => {
  it("reads a canonical line as edited, echoing the editing back down the line", async () => {
    expect(await run("hw type uart0 'ab\\x7fc'")).toEqual(ok());
    expect(await run("cat /dev/ttyS0")).toEqual({ status: 130, out: "ac\n", err: "" });
    expect(await run("hw read uart0")).toEqual(ok("ab\b \bc\r\n"));
  });

  it("takes the LNEXT and REPRINT characters and the flow control flags stty sets (-ixon is not sane's to show, as in coreutils)", async () => {
    expect(await run("stty -F /dev/ttyS0 -ixon ixoff ixany lnext ^X rprnt ^T")).toEqual(ok());
    expect((await run("stty -F /dev/ttyS0")).out).toBe("speed 9600 baud; line = 0;\nrprnt = ^T; lnext = ^X;\n-brkint ixoff ixany -imaxbel\n");
    expect((await run("stty -F /dev/ttyS0 -a")).out).toContain(" icrnl -ixon ixoff\n");
    expect(await run("hw type uart0 'a\x18\x7fb\x14\x13'")).toEqual(ok());
    expect(await run("cat /dev/ttyS0")).toEqual({ status: 130, out: "a\x7fb\x13\n", err: "" });
    expect(await run("hw read uart0")).toEqual(ok("a^\b^?b^T\r\na^?b^S\r\n"));
  });

  it("reads raw bytes as they come, without echo, after stty raw -echo", async () => {
    expect(await run("stty -F /dev/ttyS0 raw -echo")).toEqual(ok());
    expect(await run("hw type uart0 'a\\rb\\x7f\\c'")).toEqual(ok());
    expect(await run("cat /dev/ttyS0")).toEqual({ status: 130, out: "a\rb\x7f", err: "" });
    expect(await run("hw read uart0")).toEqual(ok(""));
  });

  it("lists the serial driver in /proc/tty/drivers after the pseudo-drivers, newest first", async () => {
    expect(await run("cat /proc/tty/drivers")).toEqual(ok(`/dev/tty             /dev/tty        5       0 system:/dev/tty
/dev/console         /dev/console    5       1 system:console
/dev/ptmx            /dev/ptmx       5       2 system
serial               /dev/ttyS       4 64-65 serial
pty_slave            /dev/pts      136 0-1048575 pty:slave
pty_master           /dev/ptm      128 0-1048575 pty:master
`));
    await run("rmmod serial16550");
    expect((await run("cat /proc/tty/drivers")).out).not.toContain("serial");
  });
});
