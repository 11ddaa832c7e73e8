// stty [-F DEVICE] [-a] [SETTING...]: a terminal's settings, printed and changed as GNU coreutils' stty
// does it: the same mode table, the same wrapping at the terminal's width, the same messages.

import { O_NONBLOCK, O_RDONLY } from "../../abi/fcntl.js";
import {
  BAUD_RATES, baudCode, baudOf, BRKINT, BSDLY, CBAUD, CLOCAL, CMSPAR, CRDLY, CREAD, CRTSCTS, CS5, CS6, CS7, CS8, CSIZE, CSTOPB,
  decodeTermios, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, encodeTermios, EXTPROC, FFDLY, FLUSHO, HUPCL, ICANON, ICRNL,
  IEXTEN, IGNBRK, IGNCR, IGNPAR, IMAXBEL, INLCR, INPCK, ISIG, ISTRIP, IUCLC, IUTF8, IXANY, IXOFF, IXON, NLDLY, NOFLSH, OCRNL, OFDEL,
  OFILL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, PARENB, PARMRK, PARODD, TABDLY, TCGETS, TCSETSW, TERMIOS_SIZE, TIOCGWINSZ, TIOCSWINSZ,
  TOSTOP, VDISCARD, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VSWTC, VTDLY,
  VTIME, VWERASE, XCASE, type Termios,
} from "../../abi/termios.js";
import { KernelError } from "../kernel/error.js";
import type { CliCommand, CommandContext } from "./command.js";
import { quote, quotef } from "./coreutils.js";

type Field = "cflag" | "iflag" | "oflag" | "lflag";
const SANE_SET = 1;
const SANE_UNSET = 2;
const REV = 4;
const OMIT = 8;

/** coreutils' mode_info[]: name, flag word, SANE_SET/SANE_UNSET/REV/OMIT, bits, mask. */
const MODES: readonly (readonly [string, Field, number, number, number?])[] = [
  ["parenb", "cflag", REV, PARENB], ["parodd", "cflag", REV, PARODD], ["cmspar", "cflag", REV, CMSPAR],
  ["cs5", "cflag", 0, CS5, CSIZE], ["cs6", "cflag", 0, CS6, CSIZE], ["cs7", "cflag", 0, CS7, CSIZE], ["cs8", "cflag", 0, CS8, CSIZE],
  ["hupcl", "cflag", REV, HUPCL], ["hup", "cflag", REV | OMIT, HUPCL], ["cstopb", "cflag", REV, CSTOPB],
  ["cread", "cflag", SANE_SET | REV, CREAD], ["clocal", "cflag", REV, CLOCAL], ["crtscts", "cflag", REV, CRTSCTS],
  ["ignbrk", "iflag", SANE_UNSET | REV, IGNBRK], ["brkint", "iflag", SANE_SET | REV, BRKINT], ["ignpar", "iflag", REV, IGNPAR],
  ["parmrk", "iflag", REV, PARMRK], ["inpck", "iflag", REV, INPCK], ["istrip", "iflag", REV, ISTRIP],
  ["inlcr", "iflag", SANE_UNSET | REV, INLCR], ["igncr", "iflag", SANE_UNSET | REV, IGNCR], ["icrnl", "iflag", SANE_SET | REV, ICRNL],
  ["ixon", "iflag", REV, IXON], ["ixoff", "iflag", SANE_UNSET | REV, IXOFF], ["tandem", "iflag", REV | OMIT, IXOFF],
  ["iuclc", "iflag", SANE_UNSET | REV, IUCLC], ["ixany", "iflag", SANE_UNSET | REV, IXANY], ["imaxbel", "iflag", SANE_SET | REV, IMAXBEL],
  ["iutf8", "iflag", SANE_UNSET | REV, IUTF8],
  ["opost", "oflag", SANE_SET | REV, OPOST], ["olcuc", "oflag", SANE_UNSET | REV, OLCUC], ["ocrnl", "oflag", SANE_UNSET | REV, OCRNL],
  ["onlcr", "oflag", SANE_SET | REV, ONLCR], ["onocr", "oflag", SANE_UNSET | REV, ONOCR], ["onlret", "oflag", SANE_UNSET | REV, ONLRET],
  ["ofill", "oflag", SANE_UNSET | REV, OFILL], ["ofdel", "oflag", SANE_UNSET | REV, OFDEL],
  ["nl1", "oflag", SANE_UNSET, 0o400, NLDLY], ["nl0", "oflag", SANE_SET, 0, NLDLY],
  ["cr3", "oflag", SANE_UNSET, 0o3000, CRDLY], ["cr2", "oflag", SANE_UNSET, 0o2000, CRDLY], ["cr1", "oflag", SANE_UNSET, 0o1000, CRDLY],
  ["cr0", "oflag", SANE_SET, 0, CRDLY], ["tab3", "oflag", SANE_UNSET, 0o14000, TABDLY], ["tab2", "oflag", SANE_UNSET, 0o10000, TABDLY],
  ["tab1", "oflag", SANE_UNSET, 0o4000, TABDLY], ["tab0", "oflag", SANE_SET, 0, TABDLY], ["bs1", "oflag", SANE_UNSET, 0o20000, BSDLY],
  ["bs0", "oflag", SANE_SET, 0, BSDLY], ["vt1", "oflag", SANE_UNSET, 0o40000, VTDLY], ["vt0", "oflag", SANE_SET, 0, VTDLY],
  ["ff1", "oflag", SANE_UNSET, 0o100000, FFDLY], ["ff0", "oflag", SANE_SET, 0, FFDLY],
  ["isig", "lflag", SANE_SET | REV, ISIG], ["icanon", "lflag", SANE_SET | REV, ICANON], ["iexten", "lflag", SANE_SET | REV, IEXTEN],
  ["echo", "lflag", SANE_SET | REV, ECHO], ["echoe", "lflag", SANE_SET | REV, ECHOE], ["crterase", "lflag", REV | OMIT, ECHOE],
  ["echok", "lflag", SANE_SET | REV, ECHOK], ["echonl", "lflag", SANE_UNSET | REV, ECHONL], ["noflsh", "lflag", SANE_UNSET | REV, NOFLSH],
  ["xcase", "lflag", SANE_UNSET | REV, XCASE], ["tostop", "lflag", SANE_UNSET | REV, TOSTOP],
  ["echoprt", "lflag", SANE_UNSET | REV, ECHOPRT], ["prterase", "lflag", REV | OMIT, ECHOPRT],
  ["echoctl", "lflag", SANE_SET | REV, ECHOCTL], ["ctlecho", "lflag", REV | OMIT, ECHOCTL],
  ["echoke", "lflag", SANE_SET | REV, ECHOKE], ["crtkill", "lflag", REV | OMIT, ECHOKE],
  ["flusho", "lflag", SANE_UNSET | REV, FLUSHO], ["extproc", "lflag", SANE_UNSET | REV, EXTPROC],
];

/** coreutils' control_info[] (flush, the old name of discard, left out): name, sane value, c_cc index. */
const CONTROLS: readonly (readonly [string, number, number])[] = [
  ["intr", 0o3, VINTR], ["quit", 0o34, VQUIT], ["erase", 0o177, VERASE], ["kill", 0o25, VKILL], ["eof", 0o4, VEOF], ["eol", 0, VEOL],
  ["eol2", 0, VEOL2], ["swtch", 0, VSWTC], ["start", 0o21, VSTART], ["stop", 0o23, VSTOP], ["susp", 0o32, VSUSP],
  ["rprnt", 0o22, VREPRINT], ["werase", 0o27, VWERASE], ["lnext", 0o26, VLNEXT], ["discard", 0o17, VDISCARD],
];

/** A usage error: the message, then the --help hint. */
class Invalid extends Error {}

/** visible(): ^C, ^?, M-x, <undef> for a disabled character. */
function visible(c: number): string {
  if (c === 0) return "<undef>";
  const meta = c >= 0x80 ? "M-" : "";
  const b = c & 0x7f;
  if (b === 0x7f) return `${meta}^?`;
  return b < 0x20 ? `${meta}^${String.fromCharCode(b + 0x40)}` : `${meta}${String.fromCharCode(b)}`;
}

/** wrap_printf(): items separated by a space, a new line before one that would reach the width. */
class Wrapper {
  private col = 0;
  text = "";
  constructor(private readonly width: number) {}
  item(s: string): void {
    if (this.col > 0) {
      if (this.width - this.col <= s.length) this.newline();
      else {
        this.text += " ";
        this.col++;
      }
    }
    this.text += s;
    this.col += s.length;
  }
  newline(): void {
    this.text += "\n";
    this.col = 0;
  }
  get atStart(): boolean {
    return this.col === 0;
  }
}

function matches(t: Termios, [, field, , bits, mask]: (typeof MODES)[number]): boolean {
  return (t[field] & (mask ?? bits)) === bits;
}

/** display_all() (-a) or display_changed() (no settings). */
function display(t: Termios, all: boolean, winsize: { rows: number; cols: number } | null, width: number): string {
  const w = new Wrapper(width);
  w.item(`speed ${baudOf(t.cflag)} baud;`);
  if (all && winsize) w.item(`rows ${winsize.rows}; columns ${winsize.cols};`);
  w.item(`line = ${t.line};`);
  w.newline();
  let empty = true;
  for (const [name, sane, index] of CONTROLS) {
    if (!all && t.cc[index] === sane) continue;
    empty = false;
    w.item(`${name} = ${visible(t.cc[index]!)};`);
  }
  if (all || !(t.lflag & ICANON)) w.item(`min = ${t.cc[VMIN]}; time = ${t.cc[VTIME]};`);
  if (!w.atStart || (!all && !empty)) w.newline();
  let field: Field = "cflag";
  empty = true;
  for (const mode of MODES) {
    const [name, f, flags] = mode;
    if (flags & OMIT) continue;
    if (f !== field) {
      if (all || !empty) w.newline();
      empty = true;
      field = f;
    }
    const item = matches(t, mode) ? (all || flags & SANE_UNSET ? name : null) : (all ? flags & REV : (flags & (SANE_SET | REV)) === (SANE_SET | REV)) ? `-${name}` : null;
    if (item === null) continue;
    w.item(item);
    empty = false;
  }
  if (all || !empty) w.newline();
  return w.text;
}

/** A control character's value as stty takes it: ^X, ^?, ^- or undef, one character, or a number. */
function controlValue(word: string): number {
  if (word === "^-" || word === "undef") return 0;
  if (word.length === 2 && word[0] === "^") return word[1] === "?" ? 0x7f : word.charCodeAt(1) & 0x1f;
  if (word.length === 1) return word.charCodeAt(0);
  const n = /^(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)$/i.test(word) ? Number(word.startsWith("0") && !/^0x/i.test(word) ? parseInt(word, 8) : word) : NaN;
  if (!Number.isInteger(n) || n > 0xff) throw new Invalid(`invalid integer argument ${quote(word)}`);
  return n;
}

/** Apply the settings in order, as stty's main loop does. */
function apply(t: Termios, words: readonly string[], winsize: { rows?: number; cols?: number }): void {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const rev = word.startsWith("-");
    const name = rev ? word.slice(1) : word;
    const mode = MODES.find((m) => m[0] === name);
    if (mode && (!rev || mode[2] & REV)) {
      const [, field, , bits, mask] = mode;
      t[field] = rev ? t[field] & ~bits : (t[field] & ~(mask ?? 0)) | bits;
      continue;
    }
    const argument = (): string => {
      const next = words[++i];
      if (next === undefined) throw new Invalid(`missing argument to ${quote(word)}`);
      return next;
    };
    const control = CONTROLS.find((c) => c[0] === word);
    if (control) t.cc[control[2]] = controlValue(argument());
    else if (word === "min" || word === "time") t.cc[word === "min" ? VMIN : VTIME] = controlValue(argument());
    else if (word === "line") t.line = controlValue(argument());
    else if (word === "rows" || word === "cols" || word === "columns") winsize[word === "rows" ? "rows" : "cols"] = controlValue(argument());
    else if (name === "raw" || name === "cooked") {
      if ((name === "raw") === rev) {
        t.iflag |= BRKINT | IGNPAR | ISTRIP | ICRNL | IXON;
        t.oflag |= OPOST;
        t.lflag |= ISIG | ICANON;
      } else {
        t.iflag = 0;
        t.oflag &= ~OPOST;
        t.lflag &= ~(ISIG | ICANON | XCASE);
        t.cc[VMIN] = 1;
        t.cc[VTIME] = 0;
      }
    } else if (!rev && /^\d+$/.test(word) && BAUD_RATES.includes(Number(word))) {
      t.cflag = (t.cflag & ~CBAUD) | baudCode(Number(word))!;
    } else throw new Invalid(`invalid argument ${quote(word)}`);
  }
}

/** The options before the settings: -F/--file DEVICE, -a/--all; the rest are settings. */
function options(args: readonly string[]): { device?: string; all: boolean; settings: string[] } {
  const out: { device?: string; all: boolean; settings: string[] } = { all: false, settings: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-a" || a === "--all") out.all = true;
    else if (a === "-F" || a === "--file") {
      const dev = args[++i];
      if (dev === undefined) throw new Invalid(`option requires an argument -- 'F'`);
      out.device = dev;
    } else if (a.startsWith("--file=")) out.device = a.slice(7);
    else out.settings.push(a);
  }
  return out;
}

function run(args: readonly string[], ctx: CommandContext): number {
  const libc = ctx.libc;
  const opts = options(args);
  if (opts.all && opts.settings.length > 0) {
    throw new Invalid("when specifying an output style, modes may not be set");
  }
  const name = opts.device ?? "standard input";
  let fd = 0;
  try {
    if (opts.device !== undefined) fd = libc.open(opts.device, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`stty: ${quotef(name)}: ${e.strerror}\n`);
    return 1;
  }
  try {
    const get = () => decodeTermios(libc.ioctl(fd, TCGETS, new Uint8Array(TERMIOS_SIZE)).data);
    const t = get();
    if (opts.settings.length === 0) {
      const ws = libc.ioctl(fd, TIOCGWINSZ, new Uint8Array(8)).data;
      const winsize = { rows: ws[0]! | (ws[1]! << 8), cols: ws[2]! | (ws[3]! << 8) };
      ctx.out(display(t, opts.all, winsize, screenColumns(ctx)));
      return 0;
    }
    const winsize: { rows?: number; cols?: number } = {};
    apply(t, opts.settings, winsize);
    libc.ioctl(fd, TCSETSW, encodeTermios(t));
    if (winsize.rows !== undefined || winsize.cols !== undefined) setWinsize(ctx, fd, winsize);
    if (!sameTermios(get(), t)) {
      ctx.err(`stty: ${quotef(name)}: unable to perform all requested operations\n`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    ctx.err(`stty: ${quotef(name)}: ${e.strerror}\n`);
    return 1;
  } finally {
    if (opts.device !== undefined) libc.close(fd);
  }
}

function setWinsize(ctx: CommandContext, fd: number, change: { rows?: number; cols?: number }): void {
  const ws = ctx.libc.ioctl(fd, TIOCGWINSZ, new Uint8Array(8)).data;
  const view = new DataView(ws.buffer);
  if (change.rows !== undefined) view.setUint16(0, change.rows, true);
  if (change.cols !== undefined) view.setUint16(2, change.cols, true);
  ctx.libc.ioctl(fd, TIOCSWINSZ, ws);
}

function sameTermios(a: Termios, b: Termios): boolean {
  return encodeTermios(a).every((v, i) => v === encodeTermios(b)[i]);
}

/** screen_columns(): standard output's width, else $COLUMNS, else 80. */
function screenColumns(ctx: CommandContext): number {
  try {
    const ws = ctx.libc.ioctl(1, TIOCGWINSZ, new Uint8Array(8)).data;
    const cols = ws[2]! | (ws[3]! << 8);
    if (cols > 0) return cols;
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
  }
  const env = Number(ctx.env.get("COLUMNS"));
  return Number.isInteger(env) && env > 0 ? env : 80;
}

export const stty: CliCommand = {
  name: "stty",
  usage: "stty [-F DEVICE] [-a] [SETTING...]",
  help: "print or change a terminal's settings (raw, -echo, 9600, intr ^C...)",
  run: (args, ctx) => {
    try {
      return run(args, ctx);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      ctx.err(`stty: ${e.message}\nTry 'stty --help' for more information.\n`);
      return 1;
    }
  },
};
