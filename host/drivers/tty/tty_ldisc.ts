// Line disciplines (drivers/tty/tty_ldisc.c): the table tty_register_ldisc fills, /proc/tty/ldiscs, and
// TIOCSETD's change of a tty's discipline.
//
// A discipline is looked up by number when a tty takes it; one nobody registered is asked for as
// "tty-ldisc-N" (Linux's alias, so modprobe finds slip by N_SLIP) before the change fails with EINVAL. The
// module that registered a discipline is pinned for as long as any tty uses it, so rmmod is refused
// meanwhile.

import { NR_LDISCS, N_TTY, type Termios } from "../../../abi/termios.js";
import { KernelError } from "../../kernel/error.js";
import type { PollTable } from "../../kernel/wait.js";
import type { File } from "../../fs/fs.js";
import type { Module } from "../../module/internal.js";
import type { Tty } from "./tty_io.js";

/**
 * struct tty_ldisc_ops as the tty core calls it. read and write move bytes between the tty and a user
 * buffer; receive_buf takes what the driver received; a method may throw a KernelError (ERESTARTSYS to wait).
 * ioctl returns undefined for a command it leaves to the core (-ENOIOCTLCMD).
 */
export interface LdiscOps {
  readonly num: number;
  readonly name: string;
  /** The module that registered it, pinned while a tty uses it; null for N_TTY. */
  readonly owner: Module | null;
  open?(tty: Tty): void;
  close?(tty: Tty): void;
  read?(tty: Tty, file: File, ubuf: number, count: number): number;
  write?(tty: Tty, file: File, ubuf: number, count: number): number;
  ioctl?(tty: Tty, file: File, cmd: number, arg: number): number | undefined;
  poll?(tty: Tty, file: File, pt: PollTable): number;
  receiveBuf?(tty: Tty, bytes: Uint8Array): void;
  writeWakeup?(tty: Tty): void;
  /** The termios changed from old (n_tty_set_termios): a change of ICANON, say. */
  setTermios?(tty: Tty, old: Termios): void;
  /** Input is thrown away (TCFLSH, TCSETSF, a signal without NOFLSH). */
  flushBuffer?(tty: Tty): void;
  /** Bytes a read could take now (TIOCINQ). */
  charsInBuffer?(tty: Tty): number;
}

export interface LdiscContext {
  /** request_module(): modprobe's exit status, or -errno. */
  requestModule(name: string): number;
  getOwner(owner: Module | null): boolean;
  putOwner(owner: Module | null): void;
  warn(message: string): void;
}

export class Ldiscs {
  private readonly table: (LdiscOps | undefined)[] = new Array<LdiscOps | undefined>(NR_LDISCS);

  constructor(private readonly ctx: LdiscContext) {}

  /** tty_register_ldisc(): EINVAL outside 0..NR_LDISCS-1, EBUSY where another discipline is registered. */
  register(ops: LdiscOps): void {
    if (!Number.isInteger(ops.num) || ops.num < N_TTY || ops.num >= NR_LDISCS) {
      throw new KernelError("EINVAL", `tty_register_ldisc: ${ops.name}: discipline ${ops.num} is outside 0..${NR_LDISCS - 1}`);
    }
    const held = this.table[ops.num];
    if (held) throw new KernelError("EBUSY", `tty_register_ldisc: ${ops.name}: discipline ${ops.num} is ${held.name}'s`);
    this.table[ops.num] = ops;
  }

  /** tty_unregister_ldisc(): only the registering module's; another's is refused with a warning. */
  unregister(num: number, owner: Module | null): void {
    const ops = this.table[num];
    if (!ops || ops.owner !== owner) {
      const message = `${owner?.name ?? "kernel"}: tty_unregister_ldisc of discipline ${num}, which it did not register`;
      this.ctx.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.table[num] = undefined;
  }

  /** The disciplines a module left registered, withdrawn at its rmmod: a line for each. */
  reclaim(owner: Module): string[] {
    const kept = this.table.filter((ops): ops is LdiscOps => ops?.owner === owner);
    for (const ops of kept) this.table[ops.num] = undefined;
    return kept.map((ops) => `line discipline ${ops.num} (${ops.name}) still registered at unload; unregistered`);
  }

  /**
   * tty_ldisc_get(): the discipline, its module pinned; demand-loaded as tty-ldisc-N. EINVAL for a
   * number outside the table or one nobody provides, EAGAIN while its module goes away.
   */
  get(num: number): LdiscOps {
    if (!Number.isInteger(num) || num < N_TTY || num >= NR_LDISCS) throw new KernelError("EINVAL", `line discipline ${num}: Invalid argument`);
    if (!this.table[num]) this.ctx.requestModule(`tty-ldisc-${num}`);
    const ops = this.table[num];
    if (!ops) throw new KernelError("EINVAL", `line discipline ${num}: Invalid argument`);
    if (!this.ctx.getOwner(ops.owner)) throw new KernelError("EAGAIN", `line discipline ${num} (${ops.name}): its module is going away`);
    return ops;
  }

  put(ops: LdiscOps): void {
    this.ctx.putOwner(ops.owner);
  }

  /** tty_set_ldisc(): close the old discipline, open the new; if the new refuses, the old is reopened. */
  set(tty: Tty, num: number): void {
    if (tty.ldisc.num === num) return;
    const next = this.get(num);
    const old = tty.ldisc;
    old.close?.(tty);
    try {
      tty.ldisc = next;
      next.open?.(tty);
    } catch (e) {
      tty.ldisc = old;
      this.put(next);
      old.open?.(tty);
      throw e;
    }
    this.put(old);
    tty.termios.line = num;
  }

  /** /proc/tty/ldiscs: "%-10s %2d" for each registered discipline, by number. */
  show(): string {
    return this.table.map((ops) => (ops ? `${ops.name.padEnd(10)} ${String(ops.num).padStart(2)}\n` : "")).join("");
  }
}
