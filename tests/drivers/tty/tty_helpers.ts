// A test's task on a terminal, and termios from it: tcgetattr and tcsetattr as the C library does them
// (TCGETS, TCSETS...).

import { decodeTermios, encodeTermios, TCGETS, TCSETS, TERMIOS_SIZE, TIOCSCTTY, type Termios } from "../../../abi/termios.js";
import type { PtyMaster } from "../../../host/drivers/tty/pty.js";
import type { Kernel } from "../../../host/init/main.js";
import type { Libc } from "../../../host/user/nolibc.js";

/** A task "sh" whose descriptor fd is a new pty slave, its controlling terminal, and the master that types into it. */
export function ptyTask(k: Kernel): { sh: Libc; fd: number; master: PtyMaster } {
  const sh = k.spawn("sh");
  const { slave, master } = k.ptys.openPair();
  const fd = sh.task.files.install(slave);
  sh.ioctl(fd, TIOCSCTTY, 0);
  return { sh, fd, master };
}

export function tcgetattr(libc: Libc, fd: number): Termios {
  return decodeTermios(libc.ioctl(fd, TCGETS, new Uint8Array(TERMIOS_SIZE)).data);
}

/** tcsetattr(fd, TCSANOW...) after changing what fn changes. */
export function tcsetattr(libc: Libc, fd: number, fn: (t: Termios) => void, cmd = TCSETS): void {
  const t = tcgetattr(libc, fd);
  fn(t);
  libc.ioctl(fd, cmd, encodeTermios(t));
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** An int for an ioctl that takes a pointer to one (TIOCSETD). */
export function int(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, value, true);
  return out;
}

export const intOf = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getInt32(0, true);
