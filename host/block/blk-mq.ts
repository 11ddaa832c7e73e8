// The request path (block/blk-mq.c, block/blk-core.c): requests of sector ranges queued to a disk's driver,
// one at a time, ended by the driver now or later (from its interrupt handler), or failed by the timeout.
//
// A request's data is the buffers it was made from (its segments, in order); the driver reaches it only
// through blk_rq_copy_to / blk_rq_copy_from, within the request's bytes, so it can write nowhere else. A
// caller that needs the result waits with waitRequest(): interrupts are taken and simulated time runs a
// jiffy at a time until the request ends, which the timeout (BLK_DEFAULT_TIMEOUT) bounds.

import { ERRNO, strerror } from "../../abi/errno.js";
import { HZ } from "../../abi/poll.js";
import { KernelError, refusal } from "../kernel/error.js";
import type { Clock, KernelTimer } from "../kernel/time/timer.js";
import { Idr } from "../lib/idr.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";

export const SECTOR_SIZE = 512;
export const SECTOR_SHIFT = 9;
/** The most a request carries (max_sectors_kb 1280 in Linux; 256 KiB here keeps copies small). */
export const MAX_REQUEST_SECTORS = 512;
/** rq_timeout: 30 seconds, as blk-mq sets it. */
export const BLK_DEFAULT_TIMEOUT = 30 * HZ;
/** The jiffy a waiting caller lets pass at a time. */
const NS_PER_JIFFY = 1e9 / HZ;

/** What a driver does with a request: take it (0) or fail it at once (-errno); it may throw for a module fault. */
export type QueueRq = (rq: Request) => number;

/** The queue of one disk: where its requests go, and its name for the error lines. */
export interface RequestTarget {
  readonly name: string;
  /** The driver's queue_rq, through the gate; null once the disk is gone (its requests fail at once). */
  queueRq: QueueRq | null;
  readonly owner: Module | null;
}

export class Request {
  /** 0 while pending, then 0 for success or a positive errno. */
  error = 0;
  done = false;
  timer: KernelTimer | null = null;
  readonly onEnd: (() => void)[] = [];

  constructor(
    readonly target: RequestTarget,
    /** The first sector, on the whole disk. */
    readonly sector: number,
    readonly write: boolean,
    /** The data, each a whole number of sectors, in order. */
    readonly segments: readonly Uint8Array[],
  ) {}

  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.length, 0);
  }

  get sectors(): number {
    return this.bytes >>> SECTOR_SHIFT;
  }

  /** Copy between the request's bytes at offset and buf: into the request (READ data) or out of it (WRITE). */
  copy(offset: number, buf: Uint8Array, into: boolean): void {
    if (offset < 0 || offset + buf.length > this.bytes) {
      throw new KernelError("EINVAL", `${this.target.name}: ${buf.length} bytes at ${offset} outside a request of ${this.bytes}`);
    }
    let at = 0;
    let skip = offset;
    for (const seg of this.segments) {
      if (at === buf.length) return;
      if (skip >= seg.length) {
        skip -= seg.length;
        continue;
      }
      const n = Math.min(seg.length - skip, buf.length - at);
      if (into) seg.set(buf.subarray(at, at + n), skip);
      else buf.set(seg.subarray(skip, skip + n), at);
      at += n;
      skip = 0;
    }
  }
}

/** blk_errors[]: the status word blk_print_req_error() gives an errno. */
const STATUS_WORDS: Readonly<Record<number, string>> = {
  [ERRNO.ETIMEDOUT[0]]: "timeout",
  [ERRNO.ENOSPC[0]]: "critical space allocation",
  [ERRNO.ENODATA[0]]: "critical medium",
  [ERRNO.ENOMEM[0]]: "kernel resource",
  [ERRNO.ENODEV[0]]: "device offline",
  [ERRNO.EOPNOTSUPP[0]]: "operation not supported",
};

/** What the request path needs from the kernel. */
export interface BlkMqContext {
  readonly clock: Clock;
  log(level: number, message: string): void;
  /** Take the interrupts that came in, then let ns of simulated time pass (with interrupts on). */
  idle(ns: number): void;
}

/** One queue per disk, its requests taken by the driver one at a time (a queue depth of one). */
export class RequestQueue {
  private readonly pending: Request[] = [];
  private inflight: Request | null = null;
  /** Inside the driver's queue_rq: a request it ends at once does not start the next one from inside it. */
  private starting = false;

  constructor(
    private readonly ctx: BlkMqContext,
    private readonly requests: Idr<Request>,
  ) {}

  submit(rq: Request): void {
    this.pending.push(rq);
    this.run();
  }

  /** blk_mq_run_hw_queue(): hand the driver the next request while none is in flight. */
  private run(): void {
    if (this.starting) return;
    this.starting = true;
    try {
      while (!this.inflight && this.pending.length > 0) this.start(this.pending.shift()!);
    } finally {
      this.starting = false;
    }
  }

  private start(rq: Request): void {
    this.inflight = rq;
    const queueRq = rq.target.queueRq;
    if (!queueRq) return this.end(rq, ERRNO.EIO[0]);
    rq.timer = this.ctx.clock.once(null, this.ctx.clock.jiffies + BLK_DEFAULT_TIMEOUT, () => this.end(rq, ERRNO.ETIMEDOUT[0]));
    let ret: number;
    try {
      ret = queueRq(rq);
    } catch (e) {
      ret = refusal(e);
    }
    if (ret < 0 && !rq.done) this.end(rq, -ret);
  }

  /** blk_mq_end_request(): the request is done; the next one starts. */
  end(rq: Request, error: number): void {
    if (rq.done) return;
    rq.done = true;
    rq.error = error;
    if (rq.timer) this.ctx.clock.cancel(rq.timer);
    this.requests.remove(rq);
    if (error !== 0) this.printReqError(rq);
    if (this.inflight === rq) this.inflight = null;
    for (const fn of rq.onEnd) fn();
    this.run();
  }

  /** blk_print_req_error(). */
  private printReqError(rq: Request): void {
    const word = STATUS_WORDS[rq.error] ?? "I/O";
    const op = rq.write ? "0x1:(WRITE)" : "0x0:(READ)";
    this.ctx.log(3, `${word} error, dev ${rq.target.name}, sector ${rq.sector} op ${op} flags 0x0 phys_seg ${rq.segments.length} prio class 0`);
  }

  /** Fail every request not yet ended (the disk went away). */
  abort(): void {
    for (const rq of [...this.pending]) this.end(rq, ERRNO.EIO[0]);
    this.pending.length = 0;
    if (this.inflight) this.end(this.inflight, ERRNO.EIO[0]);
  }
}

/**
 * Wait for requests to end: take interrupts, then let a jiffy pass at a time. The timeout ends a request
 * whose driver never does, so this returns within BLK_DEFAULT_TIMEOUT of simulated time.
 */
export function waitRequests(ctx: BlkMqContext, rqs: readonly Request[]): void {
  if (rqs.every((rq) => rq.done)) return;
  ctx.idle(0);
  while (!rqs.every((rq) => rq.done)) ctx.idle(NS_PER_JIFFY);
}

/** The errno a set of ended requests gives their caller: EIO if any failed (as a buffer left !uptodate does). */
export function requestsError(rqs: readonly Request[]): KernelError | null {
  const failed = rqs.find((rq) => rq.error !== 0);
  return failed ? new KernelError("EIO", `${failed.target.name}: ${strerror(ERRNO.EIO[0])}`) : null;
}

type RequestSymbols = Pick<
  KernelFunctions,
  "blk_rq_pos" | "blk_rq_sectors" | "rq_data_dir" | "blk_rq_copy_to" | "blk_rq_copy_from" | "blk_mq_end_request"
>;

/**
 * The request symbols as module `mod` imports them: it reaches only requests queued to its own disks,
 * and only while they are in flight.
 */
export function requestSymbols(requests: Idr<Request>, queueOf: (rq: Request) => RequestQueue, mod: Module): RequestSymbols {
  const EINVAL = -ERRNO.EINVAL[0];
  const own = (handle: number): Request | undefined => {
    const rq = requests.find(handle);
    return rq && rq.target.owner === mod ? rq : undefined;
  };
  const copy = (handle: number, offset: number, ptr: number, n: number, write: boolean): number => {
    const rq = own(handle);
    if (!rq || rq.write !== write) return EINVAL;
    try {
      const buf = mod.memory.bytes(ptr >>> 0, n >>> 0);
      rq.copy(offset >>> 0, buf, !write);
      return 0;
    } catch (e) {
      return refusal(e);
    }
  };
  return {
    blk_rq_pos: (h) => own(h)?.sector ?? 0,
    blk_rq_sectors: (h) => own(h)?.sectors ?? 0,
    rq_data_dir: (h) => {
      const rq = own(h);
      return rq ? (rq.write ? 1 : 0) : EINVAL;
    },
    blk_rq_copy_to: (h, offset, from, n) => copy(h, offset, from, n, false),
    blk_rq_copy_from: (h, offset, to, n) => copy(h, offset, to, n, true),
    blk_mq_end_request: (h, error) => {
      const rq = own(h);
      if (rq) queueOf(rq).end(rq, error < 0 ? Math.min(-error, 4095) : 0);
    },
  };
}
