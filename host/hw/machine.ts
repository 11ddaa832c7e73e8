// The simulated machine the shell and tests put together: devices attached by model name at a port base
// with an interrupt line, each named like its kind and number (uart0, pit0), and the far end of a serial
// line to type into and read from.

import type { IoBus, IoDevice, IrqSink } from "./bus.js";

/** A model's own settings as `hw attach` takes them: file=PATH, a bare flag as "" (ro). */
export type HwParams = Readonly<Record<string, string>>;

/** Makes a device of one model at a port base, wired to an interrupt sink. */
export interface HwModel {
  readonly kind: string;
  /** The usual base and line of the first such device on a PC (COM1 is 0x3f8 on IRQ 4). */
  readonly defaults: { readonly port: number; readonly irq: number };
  /** Throws an Error naming what is wrong with the parameters (an unknown one, a missing file...). */
  create(base: number, irq: IrqSink, params: HwParams): IoDevice;
}

/** A device with a serial line's other end: what the far side types, and what the device sent. */
export interface SerialLine {
  type(data: Uint8Array | string): void;
  readOutput(): Uint8Array;
}

export interface Attached {
  readonly name: string;
  readonly irq: number;
  readonly device: IoDevice;
}

export function isSerialLine(dev: IoDevice): dev is IoDevice & SerialLine {
  return typeof (dev as Partial<SerialLine>).type === "function" && typeof (dev as Partial<SerialLine>).readOutput === "function";
}

export class Machine {
  private readonly attached: Attached[] = [];

  constructor(
    private readonly bus: IoBus,
    private readonly setLevel: (irq: number, asserted: boolean) => void,
    private readonly models: readonly HwModel[],
  ) {}

  /**
   * Attach a device of a model (ide0 names the model ide); the port base and line default to the model's PC
   * ones. A device the model refuses to make, or whose ports are taken, is not attached.
   */
  attach(kind: string, opts: { port?: number; irq?: number; params?: HwParams } = {}): Attached {
    const model = this.models.find((m) => m.kind === kind || m.kind === kind.replace(/\d+$/, ""));
    if (!model) throw new Error(`unknown device model '${kind}' (known: ${this.models.map((m) => m.kind).join(", ")})`);
    const irq = opts.irq ?? model.defaults.irq;
    if (!Number.isInteger(irq) || irq < 0 || irq > 15) throw new Error(`irq ${irq} is not a line of the PIC (0-15)`);
    const device = model.create(opts.port ?? model.defaults.port, (asserted) => this.setLevel(irq, asserted), opts.params ?? {});
    try {
      this.bus.attach(device);
    } catch (e) {
      device.close?.();
      throw e;
    }
    const n = this.attached.filter((a) => a.device.kind === model.kind).length;
    const att = { name: `${model.kind.replace(/\d+$/, "")}${n}`, irq, device };
    this.attached.push(att);
    return att;
  }

  detach(name: string): void {
    const att = this.find(name);
    this.bus.detach(att.device);
    att.device.close?.();
    this.attached.splice(this.attached.indexOf(att), 1);
  }

  /** A device by its name (uart0) or its port base (0x3f8). */
  find(ref: string): Attached {
    const port = /^(0x[0-9a-f]+|\d+)$/i.test(ref) ? Number(ref) : null;
    const att = this.attached.find((a) => a.name === ref || a.device.base === port);
    if (!att) throw new Error(`no device '${ref}' attached`);
    return att;
  }

  /** The serial line of a UART, for `hw type` and `hw read`. */
  line(ref: string): SerialLine {
    const att = this.find(ref);
    if (!isSerialLine(att.device)) throw new Error(`${att.name} has no serial line`);
    return att.device;
  }

  list(): readonly Attached[] {
    return this.attached;
  }
}
