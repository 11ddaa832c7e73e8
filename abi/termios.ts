// Terminal settings and the tty ioctls (include/uapi/asm-generic/termbits.h, ioctls.h, tty.h): struct
// termios as TCGETS reads it, its flag bits (octal, as the headers write them), the baud rate codes of
// c_cflag, and the line discipline numbers.

/** struct termios: four tcflag_t, c_line, then c_cc[NCCS]; no speed fields (those are termios2's). */
export const NCCS = 19;
export const TERMIOS_SIZE = 4 * 4 + 1 + NCCS;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  readonly cc: Uint8Array;
}

// c_cc indices.
export const VINTR = 0;
export const VQUIT = 1;
export const VERASE = 2;
export const VKILL = 3;
export const VEOF = 4;
export const VTIME = 5;
export const VMIN = 6;
export const VSWTC = 7;
export const VSTART = 8;
export const VSTOP = 9;
export const VSUSP = 10;
export const VEOL = 11;
export const VREPRINT = 12;
export const VDISCARD = 13;
export const VWERASE = 14;
export const VLNEXT = 15;
export const VEOL2 = 16;

// c_iflag.
export const IGNBRK = 0o1;
export const BRKINT = 0o2;
export const IGNPAR = 0o4;
export const PARMRK = 0o10;
export const INPCK = 0o20;
export const ISTRIP = 0o40;
export const INLCR = 0o100;
export const IGNCR = 0o200;
export const ICRNL = 0o400;
export const IUCLC = 0o1000;
export const IXON = 0o2000;
export const IXANY = 0o4000;
export const IXOFF = 0o10000;
export const IMAXBEL = 0o20000;
export const IUTF8 = 0o40000;

// c_oflag.
export const OPOST = 0o1;
export const OLCUC = 0o2;
export const ONLCR = 0o4;
export const OCRNL = 0o10;
export const ONOCR = 0o20;
export const ONLRET = 0o40;
export const OFILL = 0o100;
export const OFDEL = 0o200;
export const NLDLY = 0o400;
export const CRDLY = 0o3000;
export const TABDLY = 0o14000;
export const BSDLY = 0o20000;
export const VTDLY = 0o40000;
export const FFDLY = 0o100000;

// c_cflag.
export const CBAUD = 0o10017;
export const B9600 = 0o15;
export const B38400 = 0o17;
export const CSIZE = 0o60;
export const CS5 = 0o0;
export const CS6 = 0o20;
export const CS7 = 0o40;
export const CS8 = 0o60;
export const CSTOPB = 0o100;
export const CREAD = 0o200;
export const PARENB = 0o400;
export const PARODD = 0o1000;
export const HUPCL = 0o2000;
export const CLOCAL = 0o4000;
export const CBAUDEX = 0o10000;
export const CMSPAR = 0o10000000000;
export const CRTSCTS = 0o20000000000;

// c_lflag.
export const ISIG = 0o1;
export const ICANON = 0o2;
export const XCASE = 0o4;
export const ECHO = 0o10;
export const ECHOE = 0o20;
export const ECHOK = 0o40;
export const ECHONL = 0o100;
export const NOFLSH = 0o200;
export const TOSTOP = 0o400;
export const ECHOCTL = 0o1000;
export const ECHOPRT = 0o2000;
export const ECHOKE = 0o4000;
export const FLUSHO = 0o10000;
export const PENDIN = 0o40000;
export const IEXTEN = 0o100000;
export const EXTPROC = 0o200000;

/** The rates c_cflag's CBAUD bits can name, indexed by code: B0..B38400, then CBAUDEX | 1.. for B57600 up. */
const BAUD_TABLE = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
const BAUD_EXT = [
  57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
];

/** tty_termios_baud_rate(): the rate c_cflag's CBAUD bits name (0 for B0 or an unused code). */
export function baudOf(cflag: number): number {
  const code = cflag & CBAUD;
  if ((code & CBAUDEX) === 0) return BAUD_TABLE[code]!;
  return BAUD_EXT[(code & 0o17) - 1] ?? 0;
}

/** The CBAUD code for a rate, or undefined when c_cflag cannot name it (tty_termios_encode_baud_rate falls back to BOTHER). */
export function baudCode(rate: number): number | undefined {
  const at = BAUD_TABLE.indexOf(rate);
  if (at >= 0) return at;
  const ext = BAUD_EXT.indexOf(rate);
  return ext >= 0 ? CBAUDEX | (ext + 1) : undefined;
}

/** The rates stty accepts as a speed, in order. */
export const BAUD_RATES: readonly number[] = [...BAUD_TABLE, ...BAUD_EXT];

/** INIT_C_CC: ^C ^\ ^? ^U ^D, time 0, min 1, swtch off, ^Q ^S ^Z, eol off, ^R ^O ^W ^V, eol2 off. */
const INIT_C_CC = [0o3, 0o34, 0o177, 0o25, 0o4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0];

/** tty_std_termios with the driver's c_cflag (a serial port's B9600 | CS8 | CREAD | HUPCL | CLOCAL, a pty's B38400...). */
export function stdTermios(cflag: number): Termios {
  return {
    iflag: ICRNL | IXON,
    oflag: OPOST | ONLCR,
    cflag,
    lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
    line: 0,
    cc: Uint8Array.from(INIT_C_CC),
  };
}

export function encodeTermios(t: Termios): Uint8Array {
  const out = new Uint8Array(TERMIOS_SIZE);
  const view = new DataView(out.buffer);
  [t.iflag, t.oflag, t.cflag, t.lflag].forEach((v, i) => view.setUint32(i * 4, v >>> 0, true));
  out[16] = t.line;
  out.set(t.cc.subarray(0, NCCS), 17);
  return out;
}

export function decodeTermios(bytes: Uint8Array): Termios {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [iflag, oflag, cflag, lflag] = [0, 1, 2, 3].map((i) => view.getUint32(i * 4, true)) as [number, number, number, number];
  return { iflag, oflag, cflag, lflag, line: bytes[16]!, cc: bytes.slice(17, 17 + NCCS) };
}

// The tty ioctls (asm-generic/ioctls.h).
export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TCSETSW = 0x5403;
export const TCSETSF = 0x5404;
/** tcflow(): TCOOFF 0 stops output, TCOON 1 starts it, TCIOFF 2 sends STOP, TCION 3 sends START. */
export const TCXONC = 0x540a;
export const TCFLSH = 0x540b;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCOUTQ = 0x5411;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCINQ = 0x541b;
export const TIOCSETD = 0x5423;
export const TIOCGETD = 0x5424;
/** _IOR('T', 0x30, unsigned int): the number N of a /dev/ptmx master's slave, /dev/pts/N. */
export const TIOCGPTN = 0x80045430;
/** _IOW('T', 0x31, int): lock (non-zero) or unlock (0) the slave; a new pair's is locked (unlockpt). */
export const TIOCSPTLCK = 0x40045431;
/** _IOR('T', 0x39, int): whether the slave is locked. */
export const TIOCGPTLCK = 0x80045439;
/** ENOIOCTLCMD: a line discipline's "not mine", which the tty core answers itself (tty_mode_ioctl). */
export const ENOIOCTLCMD = 515;

// Line disciplines (include/uapi/linux/tty.h).
export const N_TTY = 0;
export const N_SLIP = 1;
export const NR_LDISCS = 30;
