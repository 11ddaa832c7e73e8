// A line's port (drivers/tty/tty_port.c, tty_buffer.c): what outlives an open of the tty, and the flip
// buffer through which the driver hands received bytes to the line discipline.
//
// A driver inserts bytes (tty_insert_flip_string) and pushes them (tty_flip_buffer_push); with a tty open
// on the port they go to its discipline's receive_buf, else they wait in the buffer for the next open, as
// flush_to_ldisc leaves them when the port has no tty. The buffer is bounded (TTYB_DEFAULT_MEM_LIMIT's
// role): bytes past it are dropped and counted.

import type { Tty, TtyDriver } from "./tty_io.js";

/** How many received bytes a port keeps while no tty is open on it. */
export const FLIP_BUFFER_LIMIT = 4096;

export class TtyPort {
  /** The tty open on this port (port->itty), null while none is. */
  tty: Tty | null = null;
  private pending: number[] = [];
  /** Bytes dropped because the flip buffer was full. */
  dropped = 0;

  constructor(
    readonly driver: TtyDriver,
    readonly index: number,
  ) {}

  /** tty_insert_flip_string(): the bytes taken (all of them, less any past the limit). */
  insert(bytes: Uint8Array): number {
    const room = Math.max(0, FLIP_BUFFER_LIMIT - this.pending.length);
    const taken = Math.min(room, bytes.length);
    for (let i = 0; i < taken; i++) this.pending.push(bytes[i]!);
    this.dropped += bytes.length - taken;
    return taken;
  }

  /** tty_flip_buffer_push(): hand what is buffered to the open tty's discipline. */
  push(): void {
    const tty = this.tty;
    if (!tty || this.pending.length === 0) return;
    const bytes = Uint8Array.from(this.pending);
    this.pending = [];
    tty.receive(bytes);
  }

  /** tty_port_tty_wakeup(): the driver has room to send again. */
  wakeup(): void {
    this.tty?.wakeup();
  }
}
