// slip: the SLIP line discipline on a 16550A's line. Put there by TIOCSETD (the module loaded by its
// tty-ldisc-1 alias), it makes sl0; IP packets typed into the line framed as RFC 1055 frames reach the
// stack, and the stack's answers leave the UART framed the same way. Frames split across interrupts, END
// and ESC escaped inside a packet, line noise, and the module pinned while the line uses it.

import { beforeEach, describe, expect, it } from "vitest";
import { O_RDWR } from "../../abi/fcntl.js";
import { N_SLIP, N_TTY, TIOCGETD, TIOCSETD } from "../../abi/termios.js";
import type { SerialLine } from "../../host/hw/machine.js";
import { Kernel } from "../../host/init/main.js";
import type { Libc } from "../../host/user/nolibc.js";
import { cliRunner, cliSession, dmesg, loadBytes, type CliResult } from "../helpers.js";
import { unplug } from "../net/net_helpers.js";
import { int, intOf } from "./tty/tty_helpers.js";

const END = 0o300;
const ESC = 0o333;
const ESC_END = 0o334;
const ESC_ESC = 0o335;

/** The Internet checksum of bytes (RFC 1071). */
function checksum(bytes: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** An ICMP echo request from 10.0.0.2 to 10.0.0.1 carrying payload. */
function echoRequest(payload: readonly number[], seq = 1): number[] {
  const icmp = [8, 0, 0, 0, 0x12, 0x34, 0, seq, ...payload];
  const c = checksum(icmp);
  [icmp[2], icmp[3]] = [c >> 8, c & 0xff];
  const ip = [0x45, 0, 0, 20 + icmp.length, 0, seq, 0, 0, 64, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1];
  const h = checksum(ip);
  [ip[10], ip[11]] = [h >> 8, h & 0xff];
  return [...ip, ...icmp];
}

/** slip_esc(): END, the packet with END and ESC escaped, END. */
function encode(packet: readonly number[]): number[] {
  const out = [END];
  for (const b of packet) out.push(...(b === END ? [ESC, ESC_END] : b === ESC ? [ESC, ESC_ESC] : [b]));
  return [...out, END];
}

/** The frames in what the line sent, unescaped (empty frames between back-to-back ENDs left out). */
function decode(bytes: Uint8Array): number[][] {
  const frames: number[][] = [];
  let frame: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === END) {
      if (frame.length > 0) frames.push(frame);
      frame = [];
    } else if (b === ESC) frame.push(bytes[++i] === ESC_END ? END : ESC);
    else frame.push(b);
  }
  return frames;
}

let k: Kernel;
let run: (line: string) => Promise<CliResult>;
let sh: Libc;
let com1: SerialLine;
let fd: number;

beforeEach(async () => {
  k = new Kernel();
  run = cliRunner(k);
  sh = k.spawn("slattach");
  k.machine.attach("uart16550", { port: 0x3f8, irq: 4 });
  com1 = k.machine.line("uart0");
  k.insmod(loadBytes("serial16550"));
  fd = sh.open("/dev/ttyS0", O_RDWR);
});

/** The line in SLIP, sl0 up as 10.0.0.1/24. */
async function attach(): Promise<void> {
  sh.ioctl(fd, TIOCSETD, int(N_SLIP));
  expect((await run("ip addr add 10.0.0.1/24 dev sl0")).status).toBe(0);
  expect((await run("ip link set sl0 up")).status).toBe(0);
  com1.readOutput();
}

/** sl0's line of /proc/net/dev, as numbers: rx bytes, packets, errs, drop, fifo, frame, ..., tx bytes, packets... */
async function counters(): Promise<number[]> {
  const line = (await run("cat /proc/net/dev")).out.split("\n").find((l) => l.trimStart().startsWith("sl0:"))!;
  return line.split(":")[1]!.trim().split(/\s+/).map(Number);
}

describe("slip", () => {
  it("is loaded by its alias tty-ldisc-1 when a line asks for N_SLIP, and makes sl0 (POINTOPOINT, NOARP, MTU 296)", async () => {
    sh.ioctl(fd, TIOCSETD, int(N_SLIP));
    expect(intOf(sh.ioctl(fd, TIOCGETD, int(-1)).data)).toBe(N_SLIP);
    expect(dmesg(k)).toContain("SLIP: version 0.8.4-NET3.019-NEWTTY (dynamic channels, max=256).");
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\nslip        1\n");
    expect((await run("ip link show sl0")).out).toBe(
      "2: sl0: <POINTOPOINT,NOARP> mtu 296 qdisc noop state DOWN mode DEFAULT group default qlen 10\n    link/slip\n",
    );
  });

  it("removes sl0 when the line goes back to N_TTY, and is refused rmmod only while a line uses it", async () => {
    sh.ioctl(fd, TIOCSETD, int(N_SLIP));
    expect(k.read("/proc/modules")).toMatch(/^slip \d+ 1 - Live/m);
    expect(() => k.rmmod("slip")).toThrow(expect.objectContaining({ code: "EAGAIN" }));
    sh.ioctl(fd, TIOCSETD, int(N_TTY));
    expect((await run("ip link show sl0")).err).toBe('Cannot find device "sl0"\n');
    k.rmmod("slip");
    expect(k.read("/proc/tty/ldiscs")).toBe("n_tty       0\n");
  });

  it("takes a frame that arrives a byte per interrupt, and sends the answer framed, END and ESC escaped both ways", async () => {
    await attach();
    const payload = [0x68, 0x69, END, 0x20, ESC, 0x20, ESC, ESC_END, END, END];
    const request = echoRequest(payload);
    for (const b of encode(request)) {
      com1.type(Uint8Array.of(b));
      k.tick(1e6);
    }
    const out = com1.readOutput();
    expect(Array.from(out.subarray(0, 1))).toEqual([END]);
    const frames = decode(out);
    expect(frames.length).toBe(1);
    const reply = frames[0]!;
    expect(reply.slice(12, 20)).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(reply[20]).toBe(0);
    expect(reply.slice(28)).toEqual(payload);
    expect(Array.from(out).filter((b) => b === END).length).toBe(2);
    const c = await counters();
    expect([c[1], c[2], c[5], c[9]]).toEqual([1, 0, 0, 1]);
  });

  it("drops line noise: frames of two bytes or fewer quietly, one past the buffer as an rx_over_error, then goes on", async () => {
    await attach();
    let seed = 12345;
    const noise = Array.from({ length: 3000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff).filter((b) => b !== END);
    com1.type(Uint8Array.from([END, 1, 2, END, 0x45, END, ...noise, END]));
    k.tick(10e6);
    expect(com1.readOutput().length).toBe(0);
    let c = await counters();
    expect([c[1], c[2], c[5]]).toEqual([0, 0, 1]);
    com1.type(Uint8Array.from(encode(echoRequest([1, 2, 3], 2))));
    k.tick(10e6);
    expect(decode(com1.readOutput()).map((f) => f.slice(28))).toEqual([[1, 2, 3]]);
    c = await counters();
    expect([c[1], c[5]]).toEqual([1, 1]);
  });

  it("drops a frame that is not IP as the stack does, and takes a stray ESC before an ordinary byte as slip.c does (the byte kept)", async () => {
    await attach();
    com1.type(Uint8Array.from([END, 0x60, 0, 0, 0, END]));
    k.tick(10e6);
    expect(com1.readOutput().length).toBe(0);
    const frame = encode(echoRequest([7, 8, 9]));
    frame.splice(frame.length - 2, 0, ESC);
    com1.type(Uint8Array.from(frame));
    k.tick(10e6);
    expect(decode(com1.readOutput()).map((f) => f.slice(28))).toEqual([[7, 8, 9]]);
  });
});

describe("slattach", () => {
  it("puts the line in raw mode and SLIP, names the interface, and gives the line back when stopped", async () => {
    sh.close(fd);
    const { s, out } = cliSession(k);
    const done = s.execAsync("slattach -p slip -s 115200 /dev/ttyS0");
    await new Promise((r) => setTimeout(r, 0));
    expect(out.join("")).toBe("slip started on /dev/ttyS0 interface sl0\n");
    expect((await run("stty -F /dev/ttyS0")).out).toBe(
      "speed 115200 baud; line = 1;\nmin = 1; time = 0;\nignbrk -brkint -icrnl -imaxbel\n-opost -onlcr\n-isig -icanon -iexten -echo -echoe -echok -echoctl -echoke\n",
    );
    s.kill(2);
    expect(await done).toBe(130);
    expect((await run("ip link show sl0")).status).toBe(1);
    expect((await run("stty -F /dev/ttyS0")).out).toBe("speed 9600 baud; line = 0;\n-brkint -imaxbel\n");
  });

  it("refuses a protocol it does not speak, a speed it does not know, and a device that is not there", async () => {
    expect(await run("slattach -p cslip /dev/ttyS0")).toEqual({ status: 2, out: "", err: "slattach: unsupported protocol cslip\n" });
    expect(await run("slattach -p slip -s 1234 /dev/ttyS0")).toEqual({ status: 3, out: "", err: "slattach: tty_set_speed: unsupported speed 1234\n" });
    expect(await run("slattach -p slip /dev/ttyS7")).toEqual({
      status: 3, out: "", err: "slattach: tty_open(/dev/ttyS7, RW): No such file or directory\n",
    });
    expect((await run("slattach")).status).toBe(1);
  });
});

describe("two kernels over a null-modem cable", () => {
  /** A kernel whose COM1 is in SLIP as sl0 with addr/24, and its shell. */
  async function host(addr: string): Promise<{ k: Kernel; run: (line: string) => Promise<CliResult> }> {
    const kk = new Kernel();
    const r = cliRunner(kk);
    expect((await r("hw attach uart16550 line=slip-cable")).status).toBe(0);
    kk.insmod(loadBytes("serial16550"));
    const holder = kk.spawn("slattach");
    holder.ioctl(holder.open("/dev/ttyS0", O_RDWR), TIOCSETD, int(N_SLIP));
    expect((await r(`ip addr add ${addr}/24 dev sl0`)).status).toBe(0);
    expect((await r("ip link set sl0 up")).status).toBe(0);
    return { k: kk, run: r };
  }

  it("ping each other over SLIP, their UARTs joined by a null-modem cable (hw attach uart16550 line=NAME)", async () => {
    const a = await host("10.0.0.1");
    const b = await host("10.0.0.2");
    const there = await a.run("ping -c 2 10.0.0.2");
    expect(there.out).toMatch(/^PING 10\.0\.0\.2 \(10\.0\.0\.2\) 56\(84\) bytes of data\.\n64 bytes from 10\.0\.0\.2: icmp_seq=1 ttl=64 /);
    expect(there.out).toContain("2 packets transmitted, 2 received, 0% packet loss");
    const back = await b.run("ping -c 1 10.0.0.1");
    expect(back.out).toContain("1 packets transmitted, 1 received, 0% packet loss");
    unplug(a.k, b.k);
  });
});
