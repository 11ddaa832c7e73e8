// slattach [-q] [-L] -p slip [-s SPEED] DEVICE: attach a serial line as a network interface (net-tools'
// slattach): the line in raw mode at the speed asked, the SLIP discipline put on it (the slip module
// loaded on demand as tty-ldisc-1), "slip started on DEV interface sl0", then it holds the line open until
// it is stopped (Ctrl-C, or SIGHUP when its client goes), when the line gets N_TTY and its old termios back.
// As cat does, it ends quietly with status 130 when the shell gives up waiting (ten seconds of simulated
// time outside the daemon).

import { O_NONBLOCK, O_RDWR } from "../../abi/fcntl.js";
import { POLLIN } from "../../abi/poll.js";
import { SYSCALLS } from "../../abi/syscalls.js";
import {
  BAUD_RATES, baudCode, CBAUD, CLOCAL, CREAD, CS8, decodeTermios, encodeTermios, HUPCL, IGNBRK, IGNPAR, N_SLIP, N_TTY, TCGETS,
  TCSETS, TERMIOS_SIZE, TIOCSETD, VMIN, VTIME, type Termios,
} from "../../abi/termios.js";
import { KernelError } from "../kernel/error.js";
import type { Libc } from "../user/nolibc.js";
import type { CliCommand, CommandContext, CommandSteps } from "./command.js";

const INTERRUPTED = 130;
/** SIOCGIFNAME, which the SLIP discipline answers with its interface's name. */
const SIOCGIFNAME = 0x8910;
/** How long each wait lasts, as slattach's sleep(60) loop. */
const WAIT_MS = 60_000;

interface Options {
  proto: string;
  speed?: number;
  quiet: boolean;
  local: boolean;
  device: string;
}

function usage(ctx: CommandContext): number {
  ctx.err("Usage: slattach [-ehlLmnqv] [-c cmd] [-s speed] [-p protocol] tty | -\n");
  return 1;
}

function parse(args: readonly string[]): Options | null {
  const opts: Partial<Options> & { quiet: boolean; local: boolean; proto: string } = { proto: "cslip", quiet: false, local: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-q") opts.quiet = true;
    else if (a === "-L") opts.local = true;
    else if (a === "-p" || a === "-s") {
      const v = args[++i];
      if (v === undefined) return null;
      if (a === "-p") opts.proto = v;
      else opts.speed = Number(v);
    } else if (a.startsWith("-") || opts.device !== undefined) return null;
    else opts.device = a;
  }
  return opts.device === undefined ? null : (opts as Options);
}

const int = (value: number): Uint8Array => new Uint8Array(new Int32Array([value]).buffer);

/** tty_set_raw() and tty_set_speed(): 8 bits, no processing, one byte at a time. */
function rawTermios(old: Termios, opts: Options): Termios {
  const speed = opts.speed === undefined ? old.cflag & CBAUD : baudCode(opts.speed)!;
  return {
    iflag: IGNBRK | IGNPAR,
    oflag: 0,
    lflag: 0,
    cflag: CS8 | HUPCL | CREAD | (opts.local ? CLOCAL : 0) | speed,
    line: old.line,
    cc: Uint8Array.from(old.cc, (c, i) => (i === VMIN ? 1 : i === VTIME ? 0 : c)),
  };
}

/** The line held until slattach is stopped: a wait of a minute at a time, ended by a signal. */
function* hold(libc: Libc, fd: number): CommandSteps {
  const mark = libc.task.mm.mark;
  try {
    const pfd = libc.task.mm.sbrk(8);
    for (;;) {
      libc.task.mm.bytes(pfd, 8).set([...int(fd), POLLIN & 0xff, 0, 0, 0]);
      const ret = yield* libc.call(SYSCALLS.poll, [pfd, 1, WAIT_MS]);
      if (ret < 0) return INTERRUPTED;
    }
  } finally {
    libc.task.mm.release(mark);
  }
}

function* slattachSteps(ctx: CommandContext, opts: Options): CommandSteps {
  const libc = ctx.libc;
  if (opts.proto !== "slip") {
    ctx.err(`slattach: unsupported protocol ${opts.proto}\n`);
    return 2;
  }
  if (opts.speed !== undefined && !BAUD_RATES.includes(opts.speed)) {
    ctx.err(`slattach: tty_set_speed: unsupported speed ${opts.speed}\n`);
    return 3;
  }
  let fd: number;
  try {
    fd = libc.open(opts.device, O_RDWR | O_NONBLOCK);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`slattach: tty_open(${opts.device}, RW): ${e.strerror}\n`);
    return 3;
  }
  let saved: Termios | null = null;
  let attached = false;
  try {
    saved = decodeTermios(libc.ioctl(fd, TCGETS, new Uint8Array(TERMIOS_SIZE)).data);
    libc.ioctl(fd, TCSETS, encodeTermios(rawTermios(saved, opts)));
    libc.ioctl(fd, TIOCSETD, int(N_SLIP));
    attached = true;
    const name = new TextDecoder().decode(libc.ioctl(fd, SIOCGIFNAME, new Uint8Array(16)).data).replace(/\0.*$/s, "");
    if (!opts.quiet) ctx.out(`${opts.proto} started on ${opts.device} interface ${name}\n`);
    return yield* hold(libc, fd);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(attached ? `slattach: ${opts.device}: ${e.strerror}\n` : `slattach: tty_set_disc(N_SLIP): ${e.strerror}\n`);
    return 3;
  } finally {
    if (attached) libc.ioctl(fd, TIOCSETD, int(N_TTY));
    if (saved) libc.ioctl(fd, TCSETS, encodeTermios(saved));
    libc.close(fd);
  }
}

export const slattach: CliCommand = {
  name: "slattach",
  usage: "slattach [-q] [-L] -p slip [-s SPEED] DEVICE",
  help: "attach a serial line as a SLIP network interface (sl0...) until stopped",
  run: (args, ctx) => {
    const opts = parse(args);
    return opts ? slattachSteps(ctx, opts) : usage(ctx);
  },
};
