// The 16550A model against its datasheet: registers, FIFOs, line status, interrupt identification and
// priority, OUT2 gating, loopback and, in baud timing, characters taking their time.

import { beforeEach, describe, expect, it } from "vitest";
import { Uart16550 } from "../../host/hw/uart16550.js";

const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

let levels: boolean[];
let u: Uart16550;
const irq = () => levels.at(-1) ?? false;
beforeEach(() => {
  levels = [];
  u = new Uart16550({ base: 0x3f8, irq: (l) => void levels.push(l) });
});

describe("registers", () => {
  it("keeps the scratch register and the divisor latch behind DLAB", () => {
    u.write(SCR, 0x5a, 1);
    expect(u.read(SCR, 1)).toBe(0x5a);
    u.write(LCR, 0x83, 1);
    u.write(DLL, 0x0c, 1);
    u.write(DLM, 0x01, 1);
    expect([u.read(DLL, 1), u.read(DLM, 1)]).toEqual([0x0c, 0x01]);
    u.write(LCR, 0x03, 1);
    expect(u.read(IER, 1)).toBe(0);
    expect(u.read(LCR, 1)).toBe(0x03);
  });

  it("reads IIR as no interrupt, with the FIFO bits once FCR enables them", () => {
    expect(u.read(IIR, 1)).toBe(0x01);
    u.write(FCR, 0x01, 1);
    expect(u.read(IIR, 1)).toBe(0xc1);
  });

  it("reports THRE and TEMT with nothing to send, DR once a byte arrives", () => {
    expect(u.read(LSR, 1)).toBe(0x60);
    u.type("a");
    expect(u.read(LSR, 1)).toBe(0x61);
    expect(u.read(RBR, 1)).toBe(0x61);
    expect(u.read(LSR, 1)).toBe(0x60);
  });
});

describe("receiving", () => {
  it("holds one byte without FIFOs and sets OE when the next is lost", () => {
    u.type("ab");
    expect(u.read(LSR, 1) & 0x03).toBe(0x03);
    expect(u.read(RBR, 1)).toBe(0x61);
    expect(u.read(LSR, 1) & 0x02).toBe(0);
  });

  it("holds sixteen bytes in the FIFO, the seventeenth overruns", () => {
    u.write(FCR, 0x01, 1);
    u.type("0123456789abcdefX");
    expect(u.read(LSR, 1) & 0x02).toBe(0x02);
    let got = "";
    while (u.read(LSR, 1) & 1) got += String.fromCharCode(u.read(RBR, 1));
    expect(got).toBe("0123456789abcdef");
  });

  it("clears the receive FIFO on FCR bit 1", () => {
    u.write(FCR, 0x01, 1);
    u.type("abc");
    u.write(FCR, 0x03, 1);
    expect(u.read(LSR, 1) & 1).toBe(0);
  });
});

describe("interrupts", () => {
  it("raises received data available, cleared by reading RBR, only with OUT2", () => {
    u.write(IER, 0x01, 1);
    u.type("x");
    expect(u.read(IIR, 1)).toBe(0x04);
    expect(irq()).toBe(false);
    u.write(MCR, 0x08, 1);
    expect(irq()).toBe(true);
    u.read(RBR, 1);
    expect(u.read(IIR, 1)).toBe(0x01);
    expect(irq()).toBe(false);
  });

  it("waits for the FIFO trigger level, or gives the character timeout below it", () => {
    u.write(FCR, 0x81, 1);
    u.write(IER, 0x01, 1);
    u.write(MCR, 0x08, 1);
    u.type("abc");
    expect(u.read(IIR, 1)).toBe(0xcc);
    const baud = new Uart16550({ base: 0, irq: () => {}, timing: "baud" });
    baud.write(FCR, 0x81, 1);
    baud.write(IER, 0x01, 1);
    baud.type("abc");
    baud.tick(3 * 1e9 / 1152);
    expect(baud.read(IIR, 1)).toBe(0xc1);
    baud.tick(5 * 1e9 / 1152);
    expect(baud.read(IIR, 1)).toBe(0xcc);
  });

  it("raises THR empty when ETBEI is enabled with THR empty; reading IIR clears it, as does writing THR", () => {
    u.write(MCR, 0x08, 1);
    u.write(IER, 0x02, 1);
    expect(irq()).toBe(true);
    expect(u.read(IIR, 1)).toBe(0x02);
    expect(u.read(IIR, 1)).toBe(0x01);
    u.write(THR, 0x41, 1);
    expect(u.readOutput()).toEqual(new Uint8Array([0x41]));
    expect(u.read(IIR, 1)).toBe(0x02);
  });

  it("orders sources: line status, then received data, then THR empty, then modem status", () => {
    u.write(IER, 0x0f, 1);
    u.write(THR, 0x41, 1);
    u.setModemInputs({ cts: true });
    u.type("a");
    u.injectError("framing");
    expect(u.read(IIR, 1)).toBe(0x06);
    u.read(LSR, 1);
    expect(u.read(IIR, 1)).toBe(0x04);
    u.read(RBR, 1);
    expect(u.read(IIR, 1)).toBe(0x02);
    expect(u.read(IIR, 1)).toBe(0x00);
    expect(u.read(MSR, 1)).toBe(0x11);
    expect(u.read(IIR, 1)).toBe(0x01);
  });
});

describe("transmitting", () => {
  it("takes a character time per character in baud timing, THRE and TEMT coming when the FIFO drains", () => {
    const b = new Uart16550({ base: 0, irq: () => {}, timing: "baud" });
    b.write(LCR, 0x83, 1);
    b.write(DLL, 12, 1);
    b.write(LCR, 0x03, 1);
    b.write(FCR, 0x01, 1);
    for (const c of "hello") b.write(THR, c.charCodeAt(0), 1);
    expect(b.read(LSR, 1) & 0x60).toBe(0);
    const charNs = 10 * 1e9 / 9600;
    b.tick(2.5 * charNs);
    expect(new TextDecoder().decode(b.readOutput())).toBe("he");
    b.tick(10 * charNs);
    expect(new TextDecoder().decode(b.readOutput())).toBe("llo");
    expect(b.read(LSR, 1) & 0x60).toBe(0x60);
  });

  it("loops transmitted bytes back to the receiver and the modem outputs to MSR in loopback", () => {
    u.write(MCR, 0x10 | 0x02 | 0x01, 1);
    u.write(THR, 0x5a, 1);
    expect(u.readOutput()).toEqual(new Uint8Array());
    expect(u.read(RBR, 1)).toBe(0x5a);
    expect(u.read(MSR, 1) & 0xf0).toBe(0x30);
  });
});

describe("a null-modem cable", () => {
  it("carries what one UART sends to the other's receiver, holding what its FIFO cannot take until it is read", () => {
    u = new Uart16550({ base: 0x3f8, irq: () => {}, line: "cable-test" });
    const peer = new Uart16550({ base: 0x2f8, irq: () => {}, line: "cable-test" });
    for (const x of [u, peer]) x.write(FCR, 0x01, 1);
    for (let i = 0; i < 40; i++) u.write(THR, i, 1);
    const got: number[] = [];
    while (peer.read(LSR, 1) & 0x01) got.push(peer.read(RBR, 1));
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peer.read(LSR, 1) & 0x02).toBe(0);
    peer.write(THR, 0x42, 1);
    expect(u.read(RBR, 1)).toBe(0x42);
    expect(u.readOutput().length).toBe(0);
    u.close();
    peer.close();
  });

  it("has two ends: a third UART is refused, and an unplugged end's place is free again", () => {
    const a = new Uart16550({ base: 0x3f8, irq: () => {}, line: "cable-ends" });
    const b = new Uart16550({ base: 0x2f8, irq: () => {}, line: "cable-ends" });
    expect(() => new Uart16550({ base: 0x3e8, irq: () => {}, line: "cable-ends" })).toThrow("cable 'cable-ends' already joins two UARTs");
    b.close();
    const c = new Uart16550({ base: 0x3e8, irq: () => {}, line: "cable-ends" });
    c.write(THR, 0x37, 1);
    expect(a.read(RBR, 1)).toBe(0x37);
    a.close();
    c.close();
  });

  it("runs over UDP between two UARTs, the bytes arriving in order", async () => {
    const base = 21000 + (process.pid % 2000) * 10;
    const a = new Uart16550({ base: 0x3f8, irq: () => {}, line: `udp:${base}:127.0.0.1:${base + 1}` });
    const b = new Uart16550({ base: 0x2f8, irq: () => {}, line: `udp:${base + 1}:127.0.0.1:${base}` });
    try {
      for (const x of [a, b]) x.write(FCR, 0x01, 1);
      await new Promise((r) => setTimeout(r, 20));
      for (const c of "hello, line") a.write(THR, c.charCodeAt(0), 1);
      const got: number[] = [];
      for (let i = 0; i < 200 && got.length < 11; i++) {
        await new Promise((r) => setTimeout(r, 5));
        while (b.read(LSR, 1) & 0x01) got.push(b.read(RBR, 1));
      }
      expect(String.fromCharCode(...got)).toBe("hello, line");
    } finally {
      a.close();
      b.close();
    }
  });
});
