// The device models `hw attach` knows, with the places a PC has the first of each.

import type { HwModel } from "./machine.js";
import { Pit } from "./pit.js";
import { Uart16550 } from "./uart16550.js";

export const HW_MODELS: readonly HwModel[] = [
  { kind: "uart16550", defaults: { port: 0x3f8, irq: 4 }, create: (base, irq) => new Uart16550({ base, irq }) },
  { kind: "pit", defaults: { port: 0x40, irq: 0 }, create: (base, irq) => new Pit(base, irq) },
];
