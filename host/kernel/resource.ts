// I/O port regions (kernel/resource.c) and port access (asm/io.h's inb/outb/inw/outw/inl/outl).
//
// A driver reaches a device's registers only through ports it claimed with request_region; an access
// outside its regions is refused with a warning (reads see all ones), where Linux would let it through.
// Each region records the module that requested it: only that module reaches its ports or releases it.

import type { IoBus } from "../hw/bus.js";
import { discardRefusal, KernelError, refusal } from "./error.js";
import type { Module } from "../module/internal.js";
import type { KernelFunctions } from "../module/ksyms.js";

/** IO_SPACE_LIMIT on x86. */
const IO_SPACE_LIMIT = 0xffff;

export interface IoRegion {
  readonly start: number;
  readonly end: number;
  readonly name: string;
  readonly owner: Module;
}

export class IoPorts {
  private readonly regions: IoRegion[] = [];
  /** The ports each module has been warned about, once each. */
  private readonly warned = new WeakMap<Module, Set<number>>();

  constructor(
    private readonly bus: IoBus,
    private readonly warn: (message: string) => void,
  ) {}

  /** __request_region(): null when any port of [start, start + n) is taken or out of range. */
  request(start: number, n: number, name: string, owner: Module): IoRegion | null {
    const end = start + n - 1;
    if (n <= 0 || start < 0 || end > IO_SPACE_LIMIT) return null;
    if (this.regions.some((r) => start <= r.end && r.start <= end)) return null;
    const region = { start, end, name, owner };
    this.regions.push(region);
    this.regions.sort((a, b) => a.start - b.start);
    return region;
  }

  /**
   * __release_region(): the caller's region goes. When it has none there (the region is another
   * module's, or nobody's): Linux's "Trying to free nonexistent resource" and EINVAL, nothing released.
   */
  release(start: number, n: number, owner: Module): void {
    const at = this.regions.findIndex((r) => r.start === start && r.end === start + n - 1 && r.owner === owner);
    if (at < 0) {
      const message = `Trying to free nonexistent resource <${hex4(start)}-${hex4(start + n - 1)}>`;
      this.warn(message);
      throw new KernelError("EINVAL", message);
    }
    this.regions.splice(at, 1);
  }

  /** The regions a module kept, released now: a line for each. */
  reclaim(owner: Module): string[] {
    const kept = this.regions.filter((r) => r.owner === owner);
    for (const r of kept) this.regions.splice(this.regions.indexOf(r), 1);
    return kept.map((r) => `I/O ports ${hex4(r.start)}-${hex4(r.end)} (${r.name}) still requested at unload; released`);
  }

  /** The region a driver holds among ports [start, start + n), if any (a device with a driver is busy). */
  holder(start: number, n: number): IoRegion | undefined {
    return this.regions.find((r) => start <= r.end && r.start <= start + n - 1);
  }

  /** /proc/ioports: "%04x-%04x : name" per region. */
  show(): string {
    return this.regions.map((r) => `${hex4(r.start)}-${hex4(r.end)} : ${r.name}\n`).join("");
  }

  private owns(owner: Module, port: number, width: number): boolean {
    return this.regions.some((r) => r.owner === owner && port >= r.start && port + width - 1 <= r.end);
  }

  private refuse(owner: Module, port: number): void {
    const warned = this.warned.get(owner) ?? new Set<number>();
    if (warned.has(port)) return;
    this.warned.set(owner, warned.add(port));
    this.warn(`${owner.name}: access to port ${hex4(port)} outside its requested regions refused`);
  }

  in(owner: Module, port: number, width: 1 | 2 | 4): number {
    if (!this.owns(owner, port, width)) {
      this.refuse(owner, port);
      return width === 4 ? 0xffffffff : (1 << (width * 8)) - 1;
    }
    return this.bus.read(port, width);
  }

  out(owner: Module, value: number, port: number, width: 1 | 2 | 4): void {
    if (!this.owns(owner, port, width)) return this.refuse(owner, port);
    const mask = width === 4 ? 0xffffffff : (1 << (width * 8)) - 1;
    this.bus.write(port, (value & mask) >>> 0, width);
  }

  /** rep insw / rep outsw between a requested port and the module's memory; EFAULT for a bad buffer. */
  private words(owner: Module, port: number, buf: number, count: number, into: boolean): void {
    const bytes = owner.memory.bytes(buf, count * 2);
    const words = new Uint16Array(count);
    if (!this.owns(owner, port, 2)) {
      this.refuse(owner, port);
      if (into) bytes.fill(0xff);
      return;
    }
    if (into) {
      this.bus.readWords(port, words);
      bytes.set(new Uint8Array(words.buffer));
    } else {
      words.set(new Uint16Array(bytes.slice().buffer));
      this.bus.writeWords(port, words);
    }
  }

  symbols(mod: Module): Pick<KernelFunctions, "request_region" | "release_region" | "inb" | "outb" | "inw" | "outw" | "inl" | "outl" | "insw" | "outsw"> {
    const o = mod;
    return {
      request_region: (start, n, name) => {
        try {
          return this.request(start >>> 0, n >>> 0, mod.memory.readName(name, "I/O region name"), o) !== null;
        } catch (e) {
          // A name it may not have (reported by readName): the region is not given, as for any refusal.
          refusal(e);
          return false;
        }
      },
      release_region: (start, n) => discardRefusal(() => this.release(start >>> 0, n >>> 0, o)),
      inb: (port) => this.in(o, port >>> 0, 1),
      inw: (port) => this.in(o, port >>> 0, 2),
      inl: (port) => this.in(o, port >>> 0, 4),
      outb: (value, port) => this.out(o, value, port >>> 0, 1),
      outw: (value, port) => this.out(o, value, port >>> 0, 2),
      outl: (value, port) => this.out(o, value, port >>> 0, 4),
      insw: (port, buf, count) => discardRefusal(() => this.words(o, port >>> 0, buf >>> 0, count >>> 0, true)),
      outsw: (port, buf, count) => discardRefusal(() => this.words(o, port >>> 0, buf >>> 0, count >>> 0, false)),
    };
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}

