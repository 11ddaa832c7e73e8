// The tty ioctls (drivers/tty/tty_io.c's tty_ioctl, tty_ioctl.c's tty_mode_ioctl): the discipline
// (TIOCSETD/TIOCGETD), the foreground task, the window size, then whatever the discipline answers, then
// termios (TCGETS and the TCSETS family) and the input queue.

import {
  decodeTermios, encodeTermios, TCFLSH, TCGETS, TCXONC, VSTART, VSTOP, TCSETS, TCSETSF, TCSETSW, TERMIOS_SIZE, TIOCGETD, TIOCGPGRP, TIOCGWINSZ, TIOCINQ,
  TIOCOUTQ, TIOCSCTTY, TIOCSETD, TIOCSPGRP, TIOCSWINSZ, type Termios,
} from "../../../abi/termios.js";
import type { File } from "../../fs/fs.js";
import { KernelError } from "../../kernel/error.js";
import { current } from "../../kernel/sched.js";
import { copyFromUser, copyToUser } from "../../mm/uaccess.js";
import type { Tty, Winsize } from "./tty_io.js";
import type { Ldiscs } from "./tty_ldisc.js";

/** TCFLSH's argument: TCIFLUSH 0, TCOFLUSH 1, TCIOFLUSH 2. */
const TCOFLUSH = 1;
/** TCXONC's argument. */
const [TCOOFF, TCOON, TCIOFF, TCION] = [0, 1, 2, 3];

function getInt(arg: number): number {
  return new DataView(copyFromUser(current().mm, arg, 4).buffer).getInt32(0, true);
}

function putInt(arg: number, value: number): number {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  copyToUser(current().mm, arg, out);
  return 0;
}

/** tty_set_termios(): the new settings (the discipline stays what it is), then the driver and the discipline hear of them. */
export function setTermios(tty: Tty, next: Termios): void {
  const old = tty.termios;
  tty.termios = { ...next, line: old.line };
  tty.driver.ops.setTermios?.(tty, old);
  tty.ldisc.setTermios?.(tty, old);
}

/** TCXONC (n_tty_ioctl_helper): TCOOFF and TCOON stop and start output, TCIOFF and TCION send STOP and START. */
function tcflow(tty: Tty, arg: number): number {
  const c = arg === TCIOFF ? tty.termios.cc[VSTOP]! : arg === TCION ? tty.termios.cc[VSTART]! : null;
  if (arg === TCOOFF && !tty.tcoStopped) {
    tty.tcoStopped = true;
    tty.stop();
  } else if (arg === TCOON && tty.tcoStopped) {
    tty.tcoStopped = false;
    tty.start();
  } else if (c !== null) {
    // __DISABLED_CHAR: nothing to send.
    if (c !== 0) tty.sendXchar(c);
  } else if (arg < TCOOFF || arg > TCION) throw new KernelError("EINVAL", `${tty.name}: TCXONC ${arg}: Invalid argument`);
  return 0;
}

/** tty_mode_ioctl() and n_tty_ioctl_helper(): undefined for a command that is not theirs. */
function modeIoctl(tty: Tty, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case TCGETS:
      copyToUser(current().mm, arg, encodeTermios(tty.termios));
      return 0;
    case TCSETSF:
    case TCSETSW:
    case TCSETS: {
      const next = decodeTermios(copyFromUser(current().mm, arg, TERMIOS_SIZE));
      if (cmd === TCSETSF) tty.ldisc.flushBuffer?.(tty);
      setTermios(tty, next);
      return 0;
    }
    case TCXONC:
      return tcflow(tty, arg);
    case TCFLSH:
      if (arg < 0 || arg > 2) throw new KernelError("EINVAL", `${tty.name}: TCFLSH ${arg}: Invalid argument`);
      if (arg !== TCOFLUSH) tty.ldisc.flushBuffer?.(tty);
      return 0;
    case TIOCINQ:
      return putInt(arg, tty.ldisc.charsInBuffer?.(tty) ?? 0);
    case TIOCOUTQ:
      return putInt(arg, 0);
    default:
      return undefined;
  }
}

/** TIOCGWINSZ and TIOCSWINSZ on a struct winsize (rows, columns; the pixel sizes read as 0), changed in place. */
export function winsizeIoctl(winsize: Winsize, cmd: typeof TIOCGWINSZ | typeof TIOCSWINSZ, arg: number): number {
  if (cmd === TIOCSWINSZ) {
    const view = new DataView(copyFromUser(current().mm, arg, 8).buffer);
    winsize.rows = view.getUint16(0, true);
    winsize.cols = view.getUint16(2, true);
    return 0;
  }
  const ws = new Uint8Array(8);
  const view = new DataView(ws.buffer);
  view.setUint16(0, winsize.rows, true);
  view.setUint16(2, winsize.cols, true);
  copyToUser(current().mm, arg, ws);
  return 0;
}

/** The foreground task and the window size: tty_ioctl()'s own commands. */
function jobIoctl(tty: Tty, cmd: number, arg: number): number | undefined {
  switch (cmd) {
    case TIOCSCTTY:
      tty.foreground = current();
      return 0;
    case TIOCGPGRP:
      return putInt(arg, tty.foreground?.pid ?? 0);
    case TIOCSPGRP: {
      const pid = getInt(arg);
      if (pid < 0) throw new KernelError("EINVAL", `${tty.name}: TIOCSPGRP ${pid}: Invalid argument`);
      if (pid !== current().pid) throw new KernelError("EPERM", `${tty.name}: TIOCSPGRP ${pid}: Operation not permitted`);
      tty.foreground = current();
      return 0;
    }
    case TIOCGWINSZ:
    case TIOCSWINSZ:
      return winsizeIoctl(tty.winsize, cmd, arg);
    default:
      return undefined;
  }
}

/** tty_ioctl(): ENOTTY for a command nobody answers. */
export function ttyIoctl(ldiscs: Ldiscs, tty: Tty, file: File, cmd: number, arg: number): number {
  if (cmd === TIOCGETD) return putInt(arg, tty.ldisc.num);
  if (cmd === TIOCSETD) {
    ldiscs.set(tty, getInt(arg));
    return 0;
  }
  const ret = jobIoctl(tty, cmd, arg) ?? tty.ldisc.ioctl?.(tty, file, cmd, arg) ?? modeIoctl(tty, cmd, arg);
  if (ret === undefined) throw new KernelError("ENOTTY", `${tty.name}: Inappropriate ioctl for device`);
  return ret;
}
