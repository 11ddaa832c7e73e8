// The device models `hw attach` knows, with the places a PC has the first of each.

import { resolve } from "node:path";
import { IdeDisk } from "./ide.js";
import type { HwModel, HwParams } from "./machine.js";
import { isValidEtherAddr, parseMac } from "../net/ethernet/eth.js";
import { Ne2000 } from "./ne2000.js";
import { Pit } from "./pit.js";
import { Uart16550 } from "./uart16550.js";

/** Refuse the parameters a model does not take. */
function only(kind: string, params: HwParams, known: readonly string[]): void {
  const bad = Object.keys(params).find((p) => !known.includes(p));
  if (bad !== undefined) throw new Error(`${kind} takes no option '${bad}'`);
}

/** A size for size=: bytes, or with K, M or G (binary). */
function bytes(word: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(word);
  if (!m) throw new Error(`bad size '${word}' (bytes, or a number with K, M or G)`);
  return Number(m[1]) * { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!]!;
}

/** The primary IDE channel's master disk: file=PATH (the host image), ro, size=N (what the image must hold). */
function ideDisk(base: number, irq: Parameters<HwModel["create"]>[1], params: HwParams): IdeDisk {
  only("ide", params, ["file", "ro", "size"]);
  if (!params.file) throw new Error("ide needs file=PATH, the host image");
  if (params.ro !== undefined && params.ro !== "") throw new Error("ro takes no value");
  const claimedBytes = params.size === undefined ? undefined : bytes(params.size);
  return new IdeDisk({ base, ctl: base + 0x206, irq, file: resolve(params.file), readOnly: params.ro !== undefined, claimedBytes });
}

/** QEMU's first address for a NIC, 52:54:00:12:34:56; each further card in this process takes the next. */
let nextMac = 0x56;

/** An NE2000 on a wire: net=WIRE (required), mac=XX:XX:XX:XX:XX:XX (default 52:54:00:12:34:56, then :57...). */
function ne2000(base: number, irq: Parameters<HwModel["create"]>[1], params: HwParams): Ne2000 {
  only("ne2000", params, ["net", "mac"]);
  if (!params.net) throw new Error("ne2000 needs net=WIRE (a name, or udp:LPORT:127.0.0.1:PPORT)");
  const mac = params.mac === undefined ? Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, nextMac & 0xff) : parseMac(params.mac);
  if (!mac || !isValidEtherAddr(mac)) throw new Error(`bad mac '${params.mac}' (six hex pairs, unicast, not all zeros)`);
  const card = new Ne2000({ base, irq, mac, net: params.net });
  if (params.mac === undefined) nextMac++;
  return card;
}

/** A 16550A: line=WIRE (a null-modem cable to another UART), timing=baud (characters take their time on the line). */
function uart(base: number, irq: Parameters<HwModel["create"]>[1], params: HwParams): Uart16550 {
  only("uart16550", params, ["line", "timing"]);
  if (params.line === "") throw new Error("line needs a cable (a name, or udp:LPORT:127.0.0.1:PPORT)");
  if (params.timing !== undefined && params.timing !== "instant" && params.timing !== "baud") {
    throw new Error(`bad timing '${params.timing}' (instant or baud)`);
  }
  return new Uart16550({ base, irq, line: params.line, timing: params.timing });
}

export const HW_MODELS: readonly HwModel[] = [
  { kind: "uart16550", defaults: { port: 0x3f8, irq: 4 }, create: uart },
  { kind: "pit", defaults: { port: 0x40, irq: 0 }, create: (base, irq, params) => (only("pit", params, []), new Pit(base, irq)) },
  { kind: "ide", defaults: { port: 0x1f0, irq: 14 }, create: ideDisk },
  { kind: "ne2000", defaults: { port: 0x300, irq: 9 }, create: ne2000 },
];
