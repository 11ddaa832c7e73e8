// Taint: the flags that say why the kernel is no longer pristine, and the strings Linux prints for them.

export interface TaintFlag {
  readonly bit: number;
  readonly char: string;
  /** The character printed while the flag is clear (only P has one: G). */
  readonly clear: string;
  /** Whether a module can carry it (shown in /proc/modules and /sys/module/NAME/taint). */
  readonly module: boolean;
}

const flag = (bit: number, char: string, module: boolean, clear = " "): TaintFlag => ({ bit, char, clear, module });

/** kernel/panic.c's taint_flags[], in bit order. */
export const TAINT_FLAGS = {
  PROPRIETARY_MODULE: flag(0, "P", true, "G"),
  FORCED_MODULE: flag(1, "F", true),
  CPU_OUT_OF_SPEC: flag(2, "S", false),
  FORCED_RMMOD: flag(3, "R", false),
  MACHINE_CHECK: flag(4, "M", false),
  BAD_PAGE: flag(5, "B", false),
  USER: flag(6, "U", false),
  DIE: flag(7, "D", false),
  OVERRIDDEN_ACPI_TABLE: flag(8, "A", false),
  WARN: flag(9, "W", false),
  CRAP: flag(10, "C", true),
  FIRMWARE_WORKAROUND: flag(11, "I", false),
  OOT_MODULE: flag(12, "O", true),
  UNSIGNED_MODULE: flag(13, "E", true),
  SOFTLOCKUP: flag(14, "L", false),
  LIVEPATCH: flag(15, "K", true),
  AUX: flag(16, "X", true),
  RANDSTRUCT: flag(17, "T", true),
  TEST: flag(18, "N", true),
  FWCTL: flag(19, "J", false),
} as const satisfies Record<string, TaintFlag>;

export type TaintName = keyof typeof TAINT_FLAGS;
const ALL: readonly TaintFlag[] = Object.values(TAINT_FLAGS);

/** The kernel-wide taint mask (/proc/sys/kernel/tainted). Taint is never cleared. */
export class Taint {
  private mask = 0;

  add(name: TaintName): void {
    this.mask |= 1 << TAINT_FLAGS[name].bit;
  }

  test(name: TaintName): boolean {
    return (this.mask & (1 << TAINT_FLAGS[name].bit)) !== 0;
  }

  get value(): number {
    return this.mask;
  }

  /** print_tainted(): "Not tainted", or "Tainted: " and one character per flag. */
  toString(): string {
    if (this.mask === 0) return "Not tainted";
    return "Tainted: " + ALL.map((f) => (this.mask & (1 << f.bit) ? f.char : f.clear)).join("");
  }
}

/** module_flags_taint(): the letters of a module's own taints, in bit order ("OE"). */
export function moduleTaintLetters(names: ReadonlySet<TaintName>): string {
  return ALL.filter((f) => f.module && [...names].some((n) => TAINT_FLAGS[n] === f)).map((f) => f.char).join("");
}
