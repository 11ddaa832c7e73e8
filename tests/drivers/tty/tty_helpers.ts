// termios from a test's task: tcgetattr and tcsetattr as the C library does them (TCGETS, TCSETS...).

import { decodeTermios, encodeTermios, TCGETS, TCSETS, TERMIOS_SIZE, type Termios } from "../../../abi/termios.js";
import type { Libc } from "../../../host/user/nolibc.js";

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
