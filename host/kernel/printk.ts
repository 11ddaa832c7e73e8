// printk: the kernel log ring buffer, log levels and the printf-like formatter modules log through.
//
// Records are kept in a byte-bounded ring (the oldest go first, as in Linux's log_buf); dmesg reads,
// filters and clears them. Timestamps are microseconds since boot from the kernel's clock.

import { KERN_SOH, LOGLEVEL_DEFAULT } from "../../abi/kern_levels.js";

export interface LogRecord {
  readonly seq: number;
  readonly level: number;
  /** Microseconds since boot. */
  readonly usec: number;
  text: string;
}

/** CONFIG_LOG_BUF_SHIFT=17: a 128 KiB ring. */
export const LOG_BUF_LEN = 1 << 17;
/** Each record's header (struct printk_info) counts against the ring as in Linux. */
const RECORD_OVERHEAD = 16;
/** kernel/printk: room for the syslog and timestamp prefix a reader puts before each line. */
const PREFIX_MAX = 32;
/** The most bytes one record holds, with the NUL vscnprintf() writes: longer messages are cut to LOG_LINE_MAX - 1. */
export const LOG_LINE_MAX = 1024 - PREFIX_MAX;
/**
 * How much of a module's printk format the kernel reads: a longer format could only print more than a record
 * holds, unless most of it were conversions that print nothing.
 */
export const PRINTK_FORMAT_MAX = 4 * LOG_LINE_MAX;
/** truncate_msg(): a message too big for the whole ring takes at most a quarter of it, and says so. */
const MAX_LOG_TAKE_PART = 4;
const TRUNC_MSG = "<truncated>";
const KERN_CONT = `${KERN_SOH}c`;

/** /proc/sys/kernel/printk: console, default message, minimum console and boot-time default levels. */
export interface ConsoleLevels {
  console: number;
  defaultMessage: number;
  minimumConsole: number;
  defaultConsole: number;
}

export class LogBuffer {
  private records: LogRecord[] = [];
  /** What the records take of the ring: their UTF-8 bytes and a header each. */
  private bytes = 0;
  private nextSeq = 0;
  private contOpen = false;
  readonly levels: ConsoleLevels = { console: 7, defaultMessage: 4, minimumConsole: 1, defaultConsole: 7 };

  constructor(
    private readonly clockUsec: () => number,
    private readonly capacity: number = LOG_BUF_LEN,
    /** The console: sees every record below the console log level as it is logged. */
    private readonly console?: (record: LogRecord) => void,
  ) {}

  /**
   * Log one message; a KERN_* prefix sets its level, KERN_CONT continues the previous line. As vprintk_store()
   * does, the message (prefix included) is cut to LOG_LINE_MAX - 1 bytes, and a continuation that would make
   * its record longer than that starts a record of its own. Returns the characters stored.
   */
  printk(message: string, level: number = LOGLEVEL_DEFAULT): number {
    let text = utf8Prefix(message, LOG_LINE_MAX - 1);
    let lvl = level;
    if (text.startsWith(KERN_CONT)) {
      const reserve = utf8Length(text) + 1;
      text = text.slice(2);
      if (this.contOpen && this.records.length > 0 && this.fitsInLast(reserve)) return this.append(text);
    } else if (text.startsWith(KERN_SOH) && /^[0-7]$/.test(text[1] ?? "")) {
      if (lvl === LOGLEVEL_DEFAULT) lvl = Number(text[1]);
      text = text.slice(2);
    }
    if (lvl === LOGLEVEL_DEFAULT) lvl = this.levels.defaultMessage;
    this.contOpen = !text.endsWith("\n");
    const body = this.fitRing(trimNewline(text));
    if (body === null) return 0;
    const record: LogRecord = { seq: this.nextSeq++, level: lvl, usec: Math.floor(this.clockUsec()), text: body };
    this.records.push(record);
    this.bytes += cost(record.text);
    this.evict();
    if (this.console && lvl < this.levels.console) this.console(record);
    return text.length;
  }

  /**
   * prb_reserve_in_last(): the open record takes a continuation only while its text and the space reserved
   * for the new message (as formatted, prefix and NUL included) stay within LOG_LINE_MAX.
   */
  private fitsInLast(reserve: number): boolean {
    return utf8Length(this.records[this.records.length - 1]!.text) + reserve <= LOG_LINE_MAX;
  }

  private append(text: string): number {
    const last = this.records[this.records.length - 1]!;
    const more = trimNewline(text);
    last.text += more;
    this.bytes += utf8Length(more);
    this.contOpen = !text.endsWith("\n");
    this.evict();
    return text.length;
  }

  /** A record that would not fit even in the empty ring is cut as truncate_msg() cuts it; null if still too big. */
  private fitRing(text: string): string | null {
    if (cost(text) <= this.capacity) return text;
    const max = Math.floor(this.capacity / MAX_LOG_TAKE_PART);
    const cut = max >= TRUNC_MSG.length ? utf8Prefix(text, max - TRUNC_MSG.length) + TRUNC_MSG : utf8Prefix(text, max);
    return cost(cut) <= this.capacity ? cut : null;
  }

  /** The oldest records go until the ring holds no more than its size. */
  private evict(): void {
    while (this.bytes > this.capacity && this.records.length > 0) this.bytes -= cost(this.records.shift()!.text);
  }

  /** The records still in the ring, oldest first. */
  read(): readonly LogRecord[] {
    return [...this.records];
  }

  clear(): void {
    this.records = [];
    this.bytes = 0;
  }
}

const encoder = new TextEncoder();

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** What a record of this text takes of the ring. */
function cost(text: string): number {
  return utf8Length(text) + RECORD_OVERHEAD;
}

/** The longest prefix of s whose UTF-8 encoding fits in max bytes (whole characters only). */
function utf8Prefix(s: string, max: number): string {
  if (s.length * 3 <= max) return s;
  const { read } = encoder.encodeInto(s.length > max ? s.slice(0, max) : s, new Uint8Array(max));
  return s.slice(0, read);
}

function trimNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** dmesg's `[%5lu.%06lu] ` prefix. */
export function formatTimestamp(usec: number): string {
  const sec = Math.floor(usec / 1e6);
  return `[${String(sec).padStart(5)}.${String(usec % 1e6).padStart(6, "0")}]`;
}
