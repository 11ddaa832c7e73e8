import { describe, expect, it } from "vitest";
import { KERN_SOH } from "../../abi/kern_levels.js";
import { Kernel } from "../../host/init/main.js";
import { formatTimestamp, LOG_LINE_MAX, LogBuffer, type LogRecord } from "../../host/kernel/printk.js";
import { vsprintf } from "../../host/lib/vsprintf.js";
import { dmesg, expectRefused, moduleFixtures } from "../helpers.js";

const STRINGS: Record<number, string> = { 100: "kernel", 200: "", 300: "s".repeat(200_000) };
const reads: number[] = [];
const reader = (p: number, max: number) => {
  const s = STRINGS[p];
  if (s === undefined) return null;
  reads.push(Math.min(max, s.length));
  return { text: s.slice(0, max), length: s.length };
};
const f = (fmt: string, ...args: number[]) => vsprintf(fmt, args, reader, { size: 1024 });

const KERN = (level: number) => `${KERN_SOH}${level}`;
const KERN_CONT = `${KERN_SOH}c`;

describe("vsprintf", () => {
  it("prints signed decimals with %d and %i", () => {
    expect(f("%d %i", 42, -7)).toBe("42 -7");
    expect(f("%d", 0xffffffff)).toBe("-1");
    expect(f("%d", -2147483648)).toBe("-2147483648");
    expect(f("%ld %zd", 5, -5)).toBe("5 -5");
  });

  it("prints unsigned, hex and octal", () => {
    expect(f("%u", -1)).toBe("4294967295");
    expect(f("%x %X", 0xbeef, 0xbeef)).toBe("beef BEEF");
    expect(f("%x", -1)).toBe("ffffffff");
    expect(f("%o", 8)).toBe("10");
  });

  it("honours width, precision and the - 0 + space flags", () => {
    expect(f("[%5d]", 42)).toBe("[   42]");
    expect(f("[%-5d]", 42)).toBe("[42   ]");
    expect(f("[%05d]", 42)).toBe("[00042]");
    expect(f("[%05d]", -42)).toBe("[-0042]");
    expect(f("[%+d]", 42)).toBe("[+42]");
    expect(f("[% d]", 42)).toBe("[ 42]");
    expect(f("[%.3d]", 7)).toBe("[007]");
    expect(f("[%8.3x]", 0xa)).toBe("[     00a]");
    expect(f("[%-05d]", 42)).toBe("[42   ]");
    expect(f("[%2d]", 100)).toBe("[100]");
  });

  it("takes * width and precision from the arguments", () => {
    expect(f("[%*d]", 6, 42)).toBe("[    42]");
    expect(f("[%*d]", -6, 42)).toBe("[42    ]");
    expect(f("[%.*s]", 3, 100)).toBe("[ker]");
  });

  it("adds 0x and 0 prefixes with #", () => {
    expect(f("%#x %#X %#o", 255, 255, 8)).toBe("0xff 0XFF 010");
    expect(f("[%#010x]", 255)).toBe("[0x000000ff]");
  });

  it("follows Linux's number() where it differs from C's printf", () => {
    expect(f("%#x %#X %#o", 0, 0, 0)).toBe("0x0 0X0 0");
    expect(f("[%.0d] [%.0x]", 0, 0)).toBe("[0] [0]");
    expect(f("[%08.3d]", 7)).toBe("[00000007]");
    expect(f("[%-#8x]", 255)).toBe("[0xff    ]");
    expect(f("[%05s] [%03c]", 100, 0x41)).toBe("[kernel] [  A]");
  });

  it("narrows the argument with the h and hh qualifiers", () => {
    expect(f("%hd %hu %hx", 0x18000, 0x18000, -1)).toBe("-32768 32768 ffff");
    expect(f("%hhd %hhu %hhx", 0x1ff, 0x1ff, 0x1234)).toBe("-1 255 34");
  });

  it("prints characters and strings with %c and %s", () => {
    expect(f("%c%c", 0x4f, 0x4b)).toBe("OK");
    expect(f("%s!", 100)).toBe("kernel!");
    expect(f("[%8s]", 100)).toBe("[  kernel]");
    expect(f("[%-8s]", 100)).toBe("[kernel  ]");
    expect(f("[%s]", 200)).toBe("[]");
  });

  it("prints (null) for NULL and (efault) for a bad string pointer", () => {
    expect(f("%s", 0)).toBe("(null)");
    expect(f("%s", 0xdead)).toBe("(efault)");
    expect(f("[%.2s]", 0)).toBe("[(n]");
  });

  it("prints pointers as 8 hex digits with %p and %px", () => {
    expect(f("%p", 0x1234)).toBe("00001234");
    expect(f("%px", 0xdeadbeef)).toBe("deadbeef");
    expect(f("%p!", 16)).toBe("00000010!");
  });

  it("prints %% and leaves unknown conversions alone", () => {
    expect(f("100%%")).toBe("100%");
    expect(f("%d%% of %d", 5, 10)).toBe("5% of 10");
    expect(f("%q", 1)).toBe("%q");
    expect(f("50%")).toBe("50%");
  });

  it("prints missing arguments as 0", () => {
    expect(f("%d %x %s")).toBe("0 0 (null)");
  });
});

describe("vsprintf into a bounded buffer", () => {
  const warnings: string[] = [];
  const g = (size: number, fmt: string, ...args: number[]) =>
    vsprintf(fmt, args, reader, { size, warn: (site, m) => void warnings.push(`${site}: ${m}`) });

  it("cuts the output at size - 1, padding included, as vsnprintf fills its buffer", () => {
    expect(g(16, "%300000d!", 5)).toBe(" ".repeat(15));
    expect(g(16, "%-300000d!", 5)).toBe(`5${" ".repeat(14)}`);
    expect(g(8, "ab%05dcd", 42)).toBe("ab00042");
    expect(g(1, "anything")).toBe("");
  });

  it("reads no more of a string argument than the buffer holds, yet pads by its whole length", () => {
    reads.length = 0;
    expect(g(1024, "%s", 300)).toBe("s".repeat(1023));
    expect(reads).toEqual([1023]);
    expect(g(10, "%200005s", 300)).toBe("     ssss");
    expect(g(10, "[%.3s]", 300)).toBe("[sss]");
  });

  it("clamps widths and precisions as set_field_width and set_precision do, and says so", () => {
    warnings.length = 0;
    expect(g(12, "%300000000d|", 7)).toBe(" ".repeat(11));
    expect(g(12, "%*d|", -300000000, 7)).toBe(`7${" ".repeat(10)}`);
    expect(g(64, "[%.100000s]", 100)).toBe("[kernel]");
    expect(g(64, "[%.*s]", -5, 100)).toBe("[]");
    expect(warnings).toEqual([
      "set_field_width: field width 300000000 too large",
      "set_field_width: field width -300000000 too large",
      "set_precision: precision 100000 too large",
    ]);
  });
});

function buffer(capacity?: number): { log: LogBuffer; texts: () => string[]; levels: () => number[]; tick: (usec: number) => void } {
  let now = 0;
  const log = new LogBuffer(() => now, capacity);
  return {
    log,
    texts: () => log.read().map((r) => r.text),
    levels: () => log.read().map((r) => r.level),
    tick: (usec) => void (now = usec),
  };
}

describe("LogBuffer", () => {
  it("takes the level from a KERN_* prefix and strips it", () => {
    const b = buffer();
    b.log.printk(`${KERN(3)}error\n`);
    b.log.printk(`${KERN(6)}info\n`);
    b.log.printk(`${KERN(0)}emerg\n`);
    expect(b.texts()).toEqual(["error", "info", "emerg"]);
    expect(b.levels()).toEqual([3, 6, 0]);
  });

  it("logs at the default message level (4) without a prefix", () => {
    const b = buffer();
    b.log.printk("plain\n");
    expect(b.log.read()[0]).toMatchObject({ level: 4, text: "plain" });
  });

  it("lets an explicit level win over a prefix", () => {
    const b = buffer();
    b.log.printk(`${KERN(3)}explicit\n`, 6);
    expect(b.log.read()[0]).toMatchObject({ level: 6, text: "explicit" });
  });

  it("continues an unterminated line with KERN_CONT", () => {
    const b = buffer();
    b.log.printk(`${KERN(6)}a`);
    b.log.printk(`${KERN_CONT}b`);
    b.log.printk(`${KERN_CONT}c\n`);
    b.log.printk(`${KERN_CONT}d\n`);
    expect(b.texts()).toEqual(["abc", "d"]);
    expect(b.levels()).toEqual([6, 4]);
  });

  it("starts a new record for a prefixed line even after an unterminated one", () => {
    const b = buffer();
    b.log.printk(`${KERN(6)}open`);
    b.log.printk(`${KERN(3)}next\n`);
    expect(b.texts()).toEqual(["open", "next"]);
  });

  it("numbers and timestamps records from the clock", () => {
    const b = buffer();
    b.tick(1500.7);
    b.log.printk("one\n");
    b.tick(3141592);
    b.log.printk("two\n");
    expect(b.log.read().map((r: LogRecord) => [r.seq, r.usec])).toEqual([[0, 1500], [1, 3141592]]);
  });

  it("drops the oldest records when the ring is full", () => {
    // Each record costs its text plus a 16-byte header: 4 records of 4 characters fit in 80 bytes.
    const b = buffer(80);
    for (const t of ["r0__", "r1__", "r2__", "r3__"]) b.log.printk(`${t}\n`);
    expect(b.texts()).toEqual(["r0__", "r1__", "r2__", "r3__"]);
    b.log.printk("r4__\n");
    expect(b.texts()).toEqual(["r1__", "r2__", "r3__", "r4__"]);
    expect(b.log.read()[0]!.seq).toBe(1);
    b.log.printk(`${"x".repeat(40)}\n`);
    expect(b.texts()).toEqual(["r4__", "x".repeat(40)]);
  });

  it("cuts a record too big for the whole ring to a quarter of it, as truncate_msg does", () => {
    const b = buffer(400);
    b.log.printk(`${"y".repeat(800)}\n`);
    expect(b.texts()).toEqual([`${"y".repeat(89)}<truncated>`]);
  });

  it("drops a record that does not fit the ring even cut", () => {
    const b = buffer(20);
    expect(b.log.printk(`${"y".repeat(100)}\n`)).toBe(0);
    expect(b.texts()).toEqual([]);
  });

  it("cuts a message at LOG_LINE_MAX - 1 bytes, prefix included; the cut line stays open", () => {
    const b = buffer();
    b.log.printk(`${KERN(6)}${"a".repeat(5000)}\n`);
    expect(b.texts()).toEqual(["a".repeat(LOG_LINE_MAX - 3)]);
    b.log.printk(`${KERN_CONT}bb\n`);
    expect(b.texts()).toEqual(["a".repeat(LOG_LINE_MAX - 3), "bb"]);
    b.log.clear();
    b.log.printk(`${KERN(6)}${"a".repeat(900)}`);
    b.log.printk(`${KERN_CONT}bb\n`);
    expect(b.texts()).toEqual([`${"a".repeat(900)}bb`]);
  });

  it("counts bytes, not characters, and cuts only between characters", () => {
    const b = buffer();
    b.log.printk(`${"é".repeat(1000)}\n`);
    expect(b.texts()).toEqual(["é".repeat((LOG_LINE_MAX - 1) >> 1)]);
  });

  it("never holds more than its size in bytes", () => {
    const b = buffer(4096);
    for (let i = 0; i < 100; i++) b.log.printk(`${"é".repeat(500)}\n`);
    const held = b.log.read().reduce((n, r) => n + Buffer.byteLength(r.text) + 16, 0);
    expect(held).toBeLessThanOrEqual(4096);
    expect(b.texts()).toHaveLength(4);
  });

  it("clears", () => {
    const b = buffer();
    b.log.printk("gone\n");
    b.log.clear();
    expect(b.texts()).toEqual([]);
    b.log.printk("new\n");
    expect(b.log.read()[0]!.seq).toBe(1);
  });

  it("shows the console records below the console level only", () => {
    const seen: string[] = [];
    const log = new LogBuffer(() => 0, undefined, (r) => void seen.push(r.text));
    log.printk(`${KERN(6)}shown\n`);
    log.printk(`${KERN(7)}hidden\n`);
    log.levels.console = 4;
    log.printk(`${KERN(4)}hidden too\n`);
    log.printk(`${KERN(3)}shown too\n`);
    expect(seen).toEqual(["shown", "shown too"]);
  });
});

describe("formatTimestamp", () => {
  it("prints seconds and microseconds as dmesg does", () => {
    expect(formatTimestamp(3141592)).toBe("[    3.141592]");
    expect(formatTimestamp(0)).toBe("[    0.000000]");
    expect(formatTimestamp(12345678901)).toBe("[12345.678901]");
  });
});

describe("/proc/sys/kernel/printk", () => {
  it("reads the four console levels", () => {
    expect(new Kernel().read("/proc/sys/kernel/printk")).toBe("7\t4\t1\t7\n");
  });

  it("accepts new levels, and printk uses the new default", () => {
    const k = new Kernel();
    k.write("/proc/sys/kernel/printk", "8 6 1 7\n");
    expect(k.read("/proc/sys/kernel/printk")).toBe("8\t6\t1\t7\n");
    k.log.clear();
    k.printk("default level\n");
    expect(k.log.read()[0]!.level).toBe(6);
  });

  it("accepts fewer than four values", () => {
    const k = new Kernel();
    k.write("/proc/sys/kernel/printk", "3\n");
    expect(k.read("/proc/sys/kernel/printk")).toBe("3\t4\t1\t7\n");
  });

  it("refuses what is not a list of integers with EINVAL", () => {
    const k = new Kernel();
    expectRefused(k, () => k.write("/proc/sys/kernel/printk", "loud\n"), "EINVAL");
    expectRefused(k, () => k.write("/proc/sys/kernel/printk", "1 2 3 4 5\n"), "EINVAL");
    expect(k.read("/proc/sys/kernel/printk")).toBe("7\t4\t1\t7\n");
  });
});

// A module that prints what no record can hold: a 300-million-column field (twice), a precision past 16 bits,
// a 200,000-character format and a 200,000-character argument.
const LOUD = `
import { pr_info } from "@abi/include/kernel";
MODULE_LICENSE("GPL");
export function init_module(): i32 {
  pr_info("wide: [%300000000d]\\n", 5);
  pr_info("wide again: [%300000000d]\\n", 6);
  pr_info("precise: [%.100000s]\\n", "abc");
  pr_info("x".repeat(200000) + "\\n");
  pr_info("%s\\n", "y".repeat(200000));
  pr_info("still here\\n");
  return 0;
}
export function cleanup_module(): void {}
`;

describe("printk from a module", () => {
  const fixtures = moduleFixtures("printk", { loud: LOUD });

  it("keeps every record within LOG_LINE_MAX and the module alive, warning once per clamp", () => {
    const k = new Kernel();
    k.log.clear();
    const mod = k.insmod(fixtures.get("loud")!);
    expect(mod.state).toBe("LIVE");
    expect(mod.dead).toBe(false);
    const lines = dmesg(k);
    const records = lines.filter((l) => /^(wide|precise|x|y|still)/.test(l));
    expect(records).toEqual([
      `wide: [${" ".repeat(LOG_LINE_MAX - 8)}`,
      `wide again: [${" ".repeat(LOG_LINE_MAX - 14)}`,
      "precise: [abc]",
      "x".repeat(LOG_LINE_MAX - 1),
      "y".repeat(LOG_LINE_MAX - 1),
      "still here",
    ]);
    expect(lines.filter((l) => l === "------------[ cut here ]------------")).toHaveLength(2);
    const at = lines.indexOf("field width 300000000 too large");
    expect(lines.slice(at - 1, at + 2)).toEqual([
      "------------[ cut here ]------------",
      "field width 300000000 too large",
      "WARNING: CPU: 0 PID: 1 at lib/vsprintf.c set_field_width",
    ]);
    expect(lines.slice(at + 2, at + 9)).toEqual([
      expect.stringMatching(/^CPU: 0 UID: 0 PID: 1 Comm: insmod Not tainted \S+ #1$/),
      "Call Trace:",
      " <TASK>",
      expect.stringMatching(/^ {2}pr_info \[loud\] /),
      expect.stringMatching(/^ {2}init_module \[loud\] /),
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
    ]);
    expect(lines).toContain("precision 100000 too large");
    expect(k.taint.test("WARN")).toBe(true);
    expect(lines.some((l) => l.startsWith("Oops"))).toBe(false);
  });
});
