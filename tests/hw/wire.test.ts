// Wires between emulated cards: a UDP wire on the loopback address carries one frame per datagram, so
// kernels that share no memory (two `wasm-lkm boot` processes, or a socat bridge to Linux) can talk.
// Here both kernels are in this process but reach each other only through real UDP sockets.

import { afterEach, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { Kernel } from "../../host/init/main.js";
import { plug } from "../../host/hw/wire.js";
import { netHost, ok, unplug } from "../net/net_helpers.js";
import { cliRunner, expectErrno, snapshot } from "../helpers.js";

const base = 20000 + (process.pid % 2000) * 10;
let kernels: Kernel[] = [];
afterEach(() => {
  unplug(...kernels);
  kernels = [];
});

describe("a UDP wire", () => {
  it("carries ARP and pings between two kernels", async () => {
    const a = await netHost(`udp:${base}:127.0.0.1:${base + 1}`, "52:54:00:00:02:01", "10.2.0.1");
    const b = await netHost(`udp:${base + 1}:127.0.0.1:${base}`, "52:54:00:00:02:02", "10.2.0.2");
    kernels = [a.k, b.k];
    const r = await a.run("ping -c 2 10.2.0.2");
    expect(r.out).toContain("2 packets transmitted, 2 received, 0% packet loss");
    expect(b.k.read("/proc/net/arp")).toContain("10.2.0.1         0x1         0x2         52:54:00:00:02:01     *        eth0\n");
    await ok(b.run, "true");
  });

  it("puts one frame in each datagram, from the local port to the peer's", async () => {
    const peer = createSocket("udp4");
    await new Promise<void>((resolve) => peer.bind(base + 3, "127.0.0.1", resolve));
    const got = new Promise<Buffer>((resolve) => peer.once("message", (m) => resolve(m)));
    const frames: Uint8Array[] = [];
    const port = plug(`udp:${base + 2}:127.0.0.1:${base + 3}`, (f) => frames.push(f));
    try {
      await new Promise((r) => setTimeout(r, 20));
      port.send(Uint8Array.of(1, 2, 3));
      expect([...(await got)]).toEqual([1, 2, 3]);
      peer.send(Uint8Array.of(9, 8, 7, 6), base + 2, "127.0.0.1");
      for (let i = 0; i < 100 && frames.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(frames.map((f) => [...f])).toEqual([[9, 8, 7, 6]]);
    } finally {
      port.close();
      peer.close();
    }
  });

  it("refuses a local port the host holds at attach, EADDRINUSE naming it, the machine as it was", async () => {
    const holder = createSocket("udp4");
    await new Promise<void>((resolve) => holder.bind(base + 4, "127.0.0.1", resolve));
    try {
      const k = new Kernel();
      kernels = [k];
      const run = cliRunner(k);
      const before = snapshot(k);
      expect(await run(`hw attach ne2000 net=udp:${base + 4}:127.0.0.1:${base + 5}`)).toEqual({
        status: 1, out: "", err: `hw: wire udp:${base + 4}:127.0.0.1:${base + 5}: local port ${base + 4}: Address already in use\n`,
      });
      expect(snapshot(k)).toEqual(before);
      expect(k.machine.list()).toEqual([]);
      expectErrno(() => plug(`udp:${base + 4}:127.0.0.1:${base + 5}`, () => {}), "EADDRINUSE");
    } finally {
      holder.close();
    }
  });

  it("refuses a local port another card of this process took, until that card is detached", async () => {
    const k = new Kernel();
    kernels = [k];
    const run = cliRunner(k);
    await ok(run, `hw attach ne2000 net=udp:${base + 6}:127.0.0.1:${base + 7}`);
    const r = await run(`hw attach ne2000 io=0x320 net=udp:${base + 6}:127.0.0.1:${base + 8}`);
    expect(r.err).toBe(`hw: wire udp:${base + 6}:127.0.0.1:${base + 8}: local port ${base + 6}: Address already in use\n`);
    expect(k.machine.list().map((a) => a.name)).toEqual(["ne0"]);
    await ok(run, "hw detach ne0");
    await ok(run, `hw attach ne2000 io=0x320 net=udp:${base + 6}:127.0.0.1:${base + 8}`);
  });

  it("refuses a spec that is not udp:LPORT:127.0.0.1:PPORT", () => {
    expect(() => plug("udp:1:10.0.0.1:2", () => {})).toThrow("bad wire 'udp:1:10.0.0.1:2' (udp:LOCALPORT:127.0.0.1:PEERPORT)");
    expect(() => plug("udp:0:127.0.0.1:2", () => {})).toThrow("bad wire");
    expect(() => plug("a b", () => {})).toThrow("bad wire name 'a b'");
  });
});
