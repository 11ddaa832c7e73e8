// hw: the simulated machine. attach a device model at a port and line, list what is attached, type into a
// serial line's far end or read what it sent, and let simulated time pass.

import { Command } from "commander";
import type { Kernel } from "../init/main.js";
import { parseArgs, SCHEDULE, withUsage, type CliCommand, type CommandContext, type CommandSteps } from "./command.js";
import { unescape } from "./coreutils.js";

/** port=0x3f8 (or io=, as ne2000's docs say it) irq=4 as `hw attach` takes them, and the model's own (file=PATH, ro, net=WIRE, line=WIRE). */
function options(words: readonly string[]): { port?: number; irq?: number; params: Record<string, string> } {
  const opts: { port?: number; irq?: number; params: Record<string, string> } = { params: {} };
  for (const w of words) {
    const m = /^(port|io|irq)=(0x[0-9a-fA-F]+|\d+)$/.exec(w);
    if (m) opts[m[1] === "irq" ? "irq" : "port"] = Number(m[2]);
    else if (/^(port|io|irq)=/.test(w)) throw new Error(`bad option '${w}' (port=N or irq=N)`);
    else opts.params[w.includes("=") ? w.slice(0, w.indexOf("=")) : w] = w.includes("=") ? w.slice(w.indexOf("=") + 1) : "";
  }
  return opts;
}

/** A duration for `hw tick`: a number of jiffies, or with a unit (ns, us, ms, s). */
function duration(word: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s)?$/.exec(word);
  if (!m) throw new Error(`bad duration '${word}' (jiffies, or a number with ns, us, ms or s)`);
  const n = Number(m[1]);
  const unit = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[m[2] ?? ""] ?? 1e9 / 250;
  return n * unit;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** How much simulated time `hw tick` lets pass in one step, between which others run and Ctrl-C is heard. */
const TICK_SLICE_NS = 1e9;

/** Let ns of simulated time pass, a slice at a time. */
function* tick(k: Kernel, ns: number): CommandSteps {
  for (let left = ns; left > 0; left -= TICK_SLICE_NS) {
    k.tick(Math.min(left, TICK_SLICE_NS));
    yield SCHEDULE;
  }
  return 0;
}

function subcommand(k: Kernel, ctx: CommandContext, sub: string, rest: readonly string[]): CommandSteps | void {
  const m = k.machine;
  switch (sub) {
    case "attach": {
      const [kind, ...opts] = rest;
      if (!kind) throw new Error("attach: which model? (uart16550, pit, ide, ne2000)");
      const att = m.attach(kind, options(opts));
      ctx.out(`${att.name}: ${att.device.kind} at ${hex(att.device.base)} irq ${att.irq}\n`);
      return;
    }
    case "detach": {
      const att = m.find(rest[0] ?? "");
      const held = k.ioports.holder(att.device.base, att.device.size);
      if (held) throw new Error(`${att.name}: in use by ${held.owner.name} (ports ${hex(held.start)}-${hex(held.end)}): Device or resource busy`);
      return m.detach(att.name);
    }
    case "list":
      for (const a of m.list()) ctx.out(`${a.name}\t${a.device.kind}\t${hex(a.device.base)}-${hex(a.device.base + a.device.size - 1)}\tirq ${a.irq}\n`);
      return;
    case "type": {
      // echo -e's escapes, so a control character can be typed ('\x03' is ^C); \c leaves the newline off.
      m.line(rest[0] ?? "").type(unescape(`${rest.slice(1).join(" ")}\\n`).bytes);
      return;
    }
    case "read":
      ctx.out(new TextDecoder().decode(m.line(rest[0] ?? "").readOutput()));
      return;
    case "tick":
      return tick(k, duration(rest[0] ?? "1"));
    default:
      throw new Error(`unknown subcommand '${sub}' (attach, detach, list, type, read, tick)`);
  }
}

export const hw: CliCommand = {
  name: "hw",
  usage: "hw attach MODEL [port=N] [irq=N] [file=PATH] [ro] [net=WIRE] [mac=MAC] [line=WIRE] [timing=baud] | detach DEV | list | type DEV TEXT | read DEV | tick N",
  help: "the simulated machine: attach devices, type into a UART, read what it sent, let time pass",
  run: (args, ctx) =>
    withUsage(() => {
      const cmd: Command = parseArgs("hw", args, ctx, (c) => c.argument("<subcommand>").argument("[args...]"));
      const [sub, rest] = cmd.processedArgs as [string, string[]];
      try {
        return subcommand(ctx.kernel, ctx, sub, rest ?? []) ?? 0;
      } catch (e) {
        ctx.err(`hw: ${(e as Error).message}\n`);
        return 1;
      }
    }),
};
