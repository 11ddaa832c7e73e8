// The 8254 channel 0 model: programming the count, one interrupt edge a period, the latch command.

import { beforeEach, describe, expect, it } from "vitest";
import { Pit, PIT_TICK_RATE } from "../../host/hw/pit.js";

let edges: number;
let pit: Pit;
beforeEach(() => {
  edges = 0;
  pit = new Pit(0x40, (asserted) => void (asserted && edges++));
});

function program(mode: number, count: number): void {
  pit.write(3, 0x30 | (mode << 1), 1);
  pit.write(0, count & 0xff, 1);
  pit.write(0, count >> 8, 1);
}

describe("PIT channel 0", () => {
  it("raises one edge per period in mode 2, several in one long tick", () => {
    program(2, Math.round(PIT_TICK_RATE / 100));
    pit.tick(1e9);
    // 11932 input clocks a period is a shade over 10 ms: 99 whole periods in the second.
    expect(edges).toBe(99);
  });

  it("does the same in mode 3, and nothing before a count is loaded", () => {
    pit.write(3, 0x36, 1);
    pit.tick(1e9);
    expect(edges).toBe(0);
    pit.write(0, 0x9c, 1);
    pit.write(0, 0x2e, 1);
    pit.tick(1e8);
    expect(edges).toBe(Math.floor((0.1 * PIT_TICK_RATE) / 0x2e9c));
  });

  it("takes a count of 0 as 65536", () => {
    program(2, 0);
    pit.tick(1e9);
    expect(edges).toBe(Math.floor(PIT_TICK_RATE / 65536));
  });

  it("latches the count for reading, low byte first", () => {
    program(2, 1000);
    pit.tick((500 * 1e9) / PIT_TICK_RATE + 1);
    pit.write(3, 0x00, 1);
    pit.tick(1e5);
    const count = pit.read(0, 1) | (pit.read(0, 1) << 8);
    expect(count).toBe(500);
  });

  it("ignores control words for the other channels and for modes it does not model", () => {
    program(2, 1000);
    pit.write(3, 0x70, 1);
    pit.write(3, 0x30, 1);
    pit.write(0, 0xe8, 1);
    pit.write(0, 0x03, 1);
    pit.tick(1e9);
    expect(edges).toBe(0);
    expect(pit.read(1, 1)).toBe(0xff);
  });

  it("restarts the period when reprogrammed", () => {
    program(2, 1000);
    pit.tick((999 * 1e9) / PIT_TICK_RATE);
    program(2, 2000);
    pit.tick((1500 * 1e9) / PIT_TICK_RATE);
    expect(edges).toBe(0);
  });
});
