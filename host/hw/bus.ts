// The simulated machine's I/O: devices attached at port ranges, each with an interrupt line it can raise.
//
// This is the hardware side, below the kernel: drivers reach it only through inb/outb/inl/outl (after
// request_region), and the kernel sees a device's interrupt line through the IRQ controller.

/** A device's interrupt output, level-triggered as on the ISA bus: true while it asserts its IRQ. */
export type IrqSink = (asserted: boolean) => void;

/** A device on the port I/O bus. Offsets are relative to its base; width is 1, 2 or 4 bytes. */
export interface IoDevice {
  /** The model's name, as `hw attach` takes it ("uart16550", "pit"). */
  readonly kind: string;
  readonly base: number;
  /** Ports it decodes, from base. */
  readonly size: number;
  read(offset: number, width: 1 | 2 | 4): number;
  write(offset: number, value: number, width: 1 | 2 | 4): void;
  /** Port ranges it decodes besides [base, base + size) (an IDE channel's control block). */
  readonly companions?: readonly IoDevice[];
  /** The device is detached: let go of what it holds (a disk's image file). */
  close?(): void;
  /** rep insw / rep outsw on a data port, when the device moves blocks of words faster than word by word. */
  readWords?(offset: number, into: Uint16Array): void;
  writeWords?(offset: number, from: Uint16Array): void;
  /** The simulated clock advanced: devices that work over time (a timer, a UART's baud rate) act. */
  tick?(ns: number): void;
}

/** The I/O bus: which device decodes which port. An unclaimed port reads as all ones, as on a PC. */
export class IoBus {
  private readonly devices: IoDevice[] = [];

  /** Attach a device and its companions; an overlap with a device there already is refused, attaching none. */
  attach(dev: IoDevice): void {
    const all = [dev, ...(dev.companions ?? [])];
    for (const d of all) {
      const clash = this.devices.find((o) => d.base < o.base + o.size && o.base < d.base + d.size);
      if (clash) throw new Error(`ports 0x${d.base.toString(16)}-0x${(d.base + d.size - 1).toString(16)} overlap ${clash.kind} at 0x${clash.base.toString(16)}`);
    }
    this.devices.push(...all);
  }

  detach(dev: IoDevice): void {
    for (const d of [dev, ...(dev.companions ?? [])]) {
      const at = this.devices.indexOf(d);
      if (at >= 0) this.devices.splice(at, 1);
    }
  }

  list(): readonly IoDevice[] {
    return this.devices;
  }

  private at(port: number): IoDevice | undefined {
    return this.devices.find((d) => port >= d.base && port < d.base + d.size);
  }

  read(port: number, width: 1 | 2 | 4): number {
    const dev = this.at(port);
    return dev ? dev.read(port - dev.base, width) : width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff;
  }

  write(port: number, value: number, width: 1 | 2 | 4): void {
    this.at(port)?.write(port - this.base(port), value, width);
  }

  private base(port: number): number {
    return this.at(port)?.base ?? 0;
  }

  /** rep insw: count words from one port. */
  readWords(port: number, into: Uint16Array): void {
    const dev = this.at(port);
    if (dev?.readWords) return dev.readWords(port - dev.base, into);
    for (let i = 0; i < into.length; i++) into[i] = this.read(port, 2);
  }

  /** rep outsw. */
  writeWords(port: number, from: Uint16Array): void {
    const dev = this.at(port);
    if (dev?.writeWords) return dev.writeWords(port - dev.base, from);
    for (const w of from) this.write(port, w, 2);
  }

  tick(ns: number): void {
    for (const d of this.devices) d.tick?.(ns);
  }
}
