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

  /** Log one message; a KERN_* prefix sets its level, KERN_CONT continues the previous line. */
  printk(message: string, level: number = LOGLEVEL_DEFAULT): number {
    let text = message;
    let lvl = level;
    if (text.startsWith(KERN_CONT)) {
      text = text.slice(2);
      if (this.contOpen && this.records.length > 0) return this.append(text);
    } else if (text.startsWith(KERN_SOH) && /^[0-7]$/.test(text[1] ?? "")) {
      if (lvl === LOGLEVEL_DEFAULT) lvl = Number(text[1]);
      text = text.slice(2);
    }
    if (lvl === LOGLEVEL_DEFAULT) lvl = this.levels.defaultMessage;
    this.contOpen = !text.endsWith("\n");
    const record: LogRecord = { seq: this.nextSeq++, level: lvl, usec: Math.floor(this.clockUsec()), text: trimNewline(text) };
    this.records.push(record);
    this.bytes += record.text.length + RECORD_OVERHEAD;
    this.evict();
    if (this.console && lvl < this.levels.console) this.console(record);
    return text.length;
  }

  private append(text: string): number {
    const last = this.records[this.records.length - 1]!;
    last.text += trimNewline(text);
    this.bytes += text.length;
    this.contOpen = !text.endsWith("\n");
    this.evict();
    return text.length;
  }

  private evict(): void {
    while (this.bytes > this.capacity && this.records.length > 1) {
      const old = this.records.shift()!;
      this.bytes -= old.text.length + RECORD_OVERHEAD;
    }
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

function trimNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** dmesg's `[%5lu.%06lu] ` prefix. */
export function formatTimestamp(usec: number): string {
  const sec = Math.floor(usec / 1e6);
  return `[${String(sec).padStart(5)}.${String(usec % 1e6).padStart(6, "0")}]`;
}
