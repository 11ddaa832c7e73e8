// N_TTY, the default line discipline (drivers/tty/n_tty.c): input processing (ICRNL, IGNCR, INLCR,
// ISTRIP), canonical lines with their editing (ERASE, KILL, WERASE, EOF, LNEXT, REPRINT), echo (ECHO,
// ECHOE, ECHOK, ECHONL, ECHOCTL, ECHOKE), the signal characters (ISIG: INTR, QUIT, SUSP), flow control
// (IXON's STOP and START, IXANY, IXOFF), output processing (OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC),
// and raw reads by VMIN and VTIME.
//
// The read buffer holds at most N_TTY_BUF_SIZE bytes; past that, input is dropped (in canonical mode one
// byte stays free for the line's end). Each entry is a byte, flagged when it ends a line; EOF ends a line
// without being read. Echoes the driver cannot take (output stopped, its buffer full) wait in the echo
// buffer, at most N_TTY_BUF_SIZE bytes (the oldest go), until it can. Not done: PARMRK and breaks, ECHOPRT.

import { SYSCALLS } from "../../../abi/syscalls.js";
import { HZ, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../../../abi/poll.js";
import { signo } from "../../../abi/signal.js";
import {
  ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, ISTRIP, IXANY, IXON, NOFLSH, N_TTY, OCRNL,
  OLCUC, ONLCR, ONLRET, ONOCR, OPOST, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME,
  VWERASE, type Termios,
} from "../../../abi/termios.js";
import type { File } from "../../fs/fs.js";
import { sendSignal } from "../../kernel/signal.js";
import { current } from "../../kernel/sched.js";
import type { Clock } from "../../kernel/time/timer.js";
import { copyFromUser, copyToUser } from "../../mm/uaccess.js";
import type { Tty } from "./tty_io.js";
import type { LdiscOps } from "./tty_ldisc.js";

export const N_TTY_BUF_SIZE = 4096;
/** TTY_THRESHOLD_THROTTLE and _UNTHROTTLE: IXOFF asks the far end to stop when less room than this is left, to start when fewer bytes than this wait. */
const TTY_THRESHOLD = 128;
/** A read-buffer entry that ends a line ('\n', EOL, EOL2, EOF). */
const LINE_END = 0x100;
/** EOF: it ends a line and is not read. */
const EOF_MARK = 0x200;

/** struct n_tty_data. */
class NTtyData {
  buf: number[] = [];
  /** buf[0..canonHead) are whole lines a canonical read may take. */
  canonHead = 0;
  /** The columns each character of the line being edited took when echoed, for ECHOE. */
  widths: number[] = [];
  /** The output column, for tabs and erasing. */
  column = 0;
  /** When the last byte came (VTIME's inter-byte timer). */
  lastRxNs = 0;
  /** LNEXT came: the next byte is taken literally. */
  lnext = false;
  /** Echo output the driver has not taken yet. */
  echoes: number[] = [];
}

const isCntrl = (c: number) => c < 0x20 || c === 0x7f;
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const cc = (t: Termios, i: number): number | null => (t.cc[i] === 0 ? null : t.cc[i]!);

function data(tty: Tty): NTtyData {
  return tty.discData as NTtyData;
}

/** do_output_char(): one character as OPOST makes it, the column moved. */
function outputChar(tty: Tty, c: number, out: number[]): void {
  const t = tty.termios;
  const d = data(tty);
  if (!(t.oflag & OPOST)) {
    out.push(c);
    return;
  }
  if (c === 0x0a) {
    if (t.oflag & ONLRET) d.column = 0;
    if (t.oflag & ONLCR) {
      d.column = 0;
      out.push(0x0d, 0x0a);
      return;
    }
  } else if (c === 0x0d) {
    if (t.oflag & ONOCR && d.column === 0) return;
    if (t.oflag & OCRNL) {
      if (t.oflag & ONLRET) d.column = 0;
      out.push(0x0a);
      return;
    }
    d.column = 0;
  } else if (c === 0x09) d.column = (d.column | 7) + 1;
  else if (c === 0x08) d.column = Math.max(0, d.column - 1);
  else if (!isCntrl(c)) {
    d.column++;
    if (t.oflag & OLCUC && c >= 0x61 && c <= 0x7a) c -= 0x20;
  }
  out.push(c);
}

/** Echo bytes through OPOST, behind the echoes still waiting. */
function output(tty: Tty, bytes: Iterable<number>): void {
  const d = data(tty);
  for (const c of bytes) outputChar(tty, c, d.echoes);
  if (d.echoes.length > N_TTY_BUF_SIZE) d.echoes.splice(0, d.echoes.length - N_TTY_BUF_SIZE);
  processEchoes(tty);
}

/** process_echoes(): as many waiting echoes as the driver takes. */
function processEchoes(tty: Tty): void {
  const d = data(tty);
  if (d.echoes.length > 0) d.echoes.splice(0, tty.write(Uint8Array.from(d.echoes)));
}

/** echo_char(): a control character as ^X under ECHOCTL (not tab or newline); the columns it took. */
function echoChar(tty: Tty, c: number): number {
  const before = data(tty).column;
  if (tty.termios.lflag & ECHOCTL && isCntrl(c) && c !== 0x09 && c !== 0x0a) {
    output(tty, [0x5e, c ^ 0o100]);
    data(tty).column = before + 2;
    return 2;
  }
  output(tty, [c]);
  return Math.max(0, data(tty).column - before);
}

/** eraser(): ERASE, WERASE or KILL on the line being edited, echoed as ECHOE, ECHOK and ECHOKE say. */
function eraser(tty: Tty, c: number): void {
  const d = data(tty);
  const t = tty.termios;
  if (d.buf.length === d.canonHead) return;
  const kind = c === cc(t, VERASE) ? "erase" : c === cc(t, VWERASE) ? "werase" : "kill";
  if (kind === "kill" && (!(t.lflag & ECHO) || !(t.lflag & ECHOK) || !(t.lflag & ECHOKE) || !(t.lflag & ECHOE))) {
    d.buf.length = d.canonHead;
    d.widths = [];
    if (!(t.lflag & ECHO)) return;
    echoChar(tty, c);
    if (t.lflag & ECHOK) output(tty, [0x0a]);
    return;
  }
  let alnums = 0;
  while (d.buf.length > d.canonHead) {
    const last = d.buf[d.buf.length - 1]!;
    if (kind === "werase") {
      if (isAlnum(last) || last === 0x5f) alnums++;
      else if (alnums > 0) break;
    }
    d.buf.pop();
    const width = d.widths.pop() ?? 1;
    if (t.lflag & ECHO) {
      if (kind === "erase" && !(t.lflag & ECHOE)) echoChar(tty, c);
      else output(tty, Array.from({ length: width }, () => [0x08, 0x20, 0x08]).flat());
    }
    if (kind === "erase") break;
  }
}

/** isig(): the foreground task gets the signal; unless NOFLSH, pending input and echoes go. */
function isig(tty: Tty, sig: number): void {
  if (!(tty.termios.lflag & NOFLSH)) {
    flush(tty);
    data(tty).echoes = [];
  }
  if (tty.foreground && tty.foreground.exitCode === null) sendSignal(tty.foreground, sig);
}

function flush(tty: Tty): void {
  const d = data(tty);
  d.buf = [];
  d.canonHead = 0;
  d.widths = [];
  d.lnext = false;
  tty.throttle(false);
}

/** n_tty_receive_char_flow_ctrl(): START lets output go (and the echoes held), STOP holds it. */
function flowControl(tty: Tty, c: number): boolean {
  const t = tty.termios;
  if (c === cc(t, VSTART)) {
    tty.start();
    processEchoes(tty);
    return true;
  }
  if (c !== cc(t, VSTOP)) return false;
  tty.stop();
  return true;
}

/** The signal an ISIG character sends, or null. */
function signalOf(t: Termios, c: number): number | null {
  if (c === cc(t, VINTR)) return signo("SIGINT");
  if (c === cc(t, VQUIT)) return signo("SIGQUIT");
  return c === cc(t, VSUSP) ? signo("SIGTSTP") : null;
}

/** REPRINT: the character, a new line, and the line being edited echoed again. */
function reprint(tty: Tty, c: number): void {
  const d = data(tty);
  echoChar(tty, c);
  output(tty, [0x0a]);
  d.widths = d.buf.slice(d.canonHead).map((b) => echoChar(tty, b));
}

/** The line ends: what is buffered becomes readable by a canonical read. */
function endLine(d: NTtyData, entry: number): void {
  d.buf.push(entry);
  d.canonHead = d.buf.length;
  d.widths = [];
}

/** n_tty_receive_char_special(): ISIG, ICANON and IEXTEN characters; false for an ordinary character. */
function special(tty: Tty, c: number): boolean {
  const t = tty.termios;
  const d = data(tty);
  if (t.iflag & IXON && flowControl(tty, c)) return true;
  const sig = t.lflag & ISIG ? signalOf(t, c) : null;
  if (sig !== null) {
    isig(tty, sig);
    if (t.iflag & IXON) tty.start();
    if (t.lflag & ECHO) echoChar(tty, c);
    else processEchoes(tty);
    return true;
  }
  if (tty.stopped && t.iflag & IXON && t.iflag & IXANY) {
    tty.start();
    processEchoes(tty);
  }
  if (!(t.lflag & ICANON)) return false;
  if (c === cc(t, VERASE) || c === cc(t, VKILL) || (c === cc(t, VWERASE) && t.lflag & IEXTEN)) {
    eraser(tty, c);
    return true;
  }
  if (c === cc(t, VLNEXT) && t.lflag & IEXTEN) {
    d.lnext = true;
    // A caret the next character's echo writes over.
    if (t.lflag & ECHO && t.lflag & ECHOCTL) output(tty, [0x5e, 0x08]);
    return true;
  }
  if (c === cc(t, VREPRINT) && t.lflag & ECHO && t.lflag & IEXTEN) {
    reprint(tty, c);
    return true;
  }
  if (c === cc(t, VEOF)) {
    endLine(d, EOF_MARK);
    return true;
  }
  if (c === 0x0a || c === cc(t, VEOL) || c === cc(t, VEOL2)) {
    if (t.lflag & (ECHO | ECHONL)) echoChar(tty, c);
    endLine(d, c | LINE_END);
    return true;
  }
  return false;
}

/** Input processing, the special characters, then the byte itself; after LNEXT, the byte as it is. */
function receiveChar(tty: Tty, c: number): void {
  const t = tty.termios;
  const d = data(tty);
  if (t.iflag & ISTRIP) c &= 0x7f;
  if (d.lnext) {
    d.lnext = false;
    putChar(tty, c);
    return;
  }
  if (c === 0x0d) {
    if (t.iflag & IGNCR) return;
    if (t.iflag & ICRNL) c = 0x0a;
  } else if (c === 0x0a && t.iflag & INLCR) c = 0x0d;
  if (!special(tty, c)) putChar(tty, c);
}

/** n_tty_receive_char(): an ordinary byte into the buffer, echoed. */
function putChar(tty: Tty, c: number): void {
  const t = tty.termios;
  const d = data(tty);
  const canon = (t.lflag & ICANON) !== 0;
  if (d.buf.length >= N_TTY_BUF_SIZE - (canon ? 1 : 0)) return;
  const width = t.lflag & ECHO ? echoChar(tty, c) : 0;
  d.buf.push(c);
  if (canon) d.widths.push(width);
  else d.canonHead = d.buf.length;
}

/** The bytes a canonical read takes: up to one line, EOF's mark consumed but not read. */
function readCanonical(d: NTtyData, count: number): number[] {
  const end = d.buf.findIndex((v, i) => i < d.canonHead && v & (LINE_END | EOF_MARK));
  const take = Math.min(count, end + 1);
  const taken = d.buf.splice(0, take);
  d.canonHead -= take;
  if (taken[taken.length - 1] === EOF_MARK) taken.pop();
  return taken.map((v) => v & 0xff);
}

/** The deadline a VTIME read waits for, kept across the restarts of one read (restart_block). */
function readDeadline(tty: Tty, from: number): number {
  const task = current();
  const tenths = tty.termios.cc[VTIME]!;
  if (task.restart?.nr !== SYSCALLS.read) task.restart = { nr: SYSCALLS.read, deadline: from + tenths * 100e6 };
  return task.restart.deadline;
}

/** Sleep on the read queue until woken, or until the deadline's jiffy. */
function waitUntil(tty: Tty, file: File, clock: Clock, deadline: number): never {
  const jiffies = Math.max(1, Math.ceil((deadline - clock.nowNs) / (1e9 / HZ)));
  clock.once(null, (clock.jiffies + jiffies) >>> 0, () => tty.readWait.wakeUp());
  return tty.wait(file, tty.readWait);
}

/** How many bytes a non-canonical read takes now, or null to wait (VMIN and VTIME, as n_tty_read). */
function rawReady(tty: Tty, file: File, clock: Clock, count: number): number | null {
  const d = data(tty);
  const min = tty.termios.cc[VMIN]!;
  const time = tty.termios.cc[VTIME]!;
  const avail = d.buf.length;
  if (avail >= Math.max(1, Math.min(min, count)) || (min === 0 && time === 0) || tty.inputEnded) return Math.min(avail, count);
  if (time === 0 || (min > 0 && avail === 0)) return null;
  const deadline = readDeadline(tty, min === 0 ? clock.nowNs : d.lastRxNs);
  if (clock.nowNs >= deadline) return Math.min(avail, count);
  return waitUntil(tty, file, clock, deadline);
}

function read(tty: Tty, file: File, clock: Clock, ubuf: number, count: number): number {
  const d = data(tty);
  const task = current();
  let bytes: number[];
  if (tty.termios.lflag & ICANON) {
    if (d.canonHead === 0) {
      if (tty.inputEnded) return 0;
      return tty.wait(file, tty.readWait);
    }
    bytes = readCanonical(d, count);
  } else {
    const n = rawReady(tty, file, clock, count);
    if (n === null) return tty.wait(file, tty.readWait);
    bytes = d.buf.splice(0, n);
    d.canonHead = d.buf.length;
  }
  task.restart = null;
  copyToUser(task.mm, ubuf, Uint8Array.from(bytes));
  if (d.buf.length < TTY_THRESHOLD) tty.throttle(false);
  return bytes.length;
}

/** n_tty_write(): through OPOST as far as the driver has room; waits (or EAGAIN) when it has none. */
function write(tty: Tty, file: File, ubuf: number, count: number): number {
  const input = copyFromUser(current().mm, ubuf, count);
  processEchoes(tty);
  const room = tty.writeRoom();
  const out: number[] = [];
  let taken = 0;
  for (; taken < input.length; taken++) {
    const before = out.length;
    const column = data(tty).column;
    outputChar(tty, input[taken]!, out);
    if (out.length > room) {
      out.length = before;
      data(tty).column = column;
      break;
    }
  }
  if (taken === 0) return tty.wait(file, tty.writeWait);
  tty.write(Uint8Array.from(out));
  return taken;
}

function readable(tty: Tty): boolean {
  const d = data(tty);
  if (tty.inputEnded) return true;
  if (tty.termios.lflag & ICANON) return d.canonHead > 0;
  const min = tty.termios.cc[VMIN]!;
  return d.buf.length >= (tty.termios.cc[VTIME] === 0 && min > 0 ? min : 1);
}

/** N_TTY's operations; the clock times VTIME reads. */
export function nTty(clock: Clock): LdiscOps {
  return {
    num: N_TTY,
    name: "n_tty",
    owner: null,
    open: (tty) => void (tty.discData = new NTtyData()),
    close: (tty) => void (tty.discData = null),
    read: (tty, file, ubuf, count) => read(tty, file, clock, ubuf, count),
    write,
    poll: (tty, _file, pt) => {
      pt.wait(tty.readWait);
      pt.wait(tty.writeWait);
      return (readable(tty) ? POLLIN | POLLRDNORM : 0) | (tty.writeRoom() > 0 ? POLLOUT | POLLWRNORM : 0);
    },
    receiveBuf: (tty, bytes) => {
      for (const c of bytes) receiveChar(tty, c);
      data(tty).lastRxNs = clock.nowNs;
      if (N_TTY_BUF_SIZE - data(tty).buf.length < TTY_THRESHOLD) tty.throttle(true);
      if (readable(tty)) tty.readWait.wakeUp();
    },
    setTermios: (tty, old) => {
      if (((old.lflag ^ tty.termios.lflag) & ICANON) === 0) return;
      const d = data(tty);
      d.buf = d.buf.filter((v) => v !== EOF_MARK).map((v) => v & 0xff);
      d.canonHead = tty.termios.lflag & ICANON ? 0 : d.buf.length;
      d.widths = d.buf.map(() => 1);
      tty.readWait.wakeUp();
    },
    flushBuffer: flush,
    writeWakeup: processEchoes,
    charsInBuffer: (tty) => {
      const d = data(tty);
      return tty.termios.lflag & ICANON ? d.buf.slice(0, d.canonHead).filter((v) => v !== EOF_MARK).length : d.buf.length;
    },
  };
}
