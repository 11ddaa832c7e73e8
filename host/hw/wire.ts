// Wires for emulated devices: network wires carry one Ethernet frame at a time between the cards plugged
// into them, null-modem cables the bytes one UART sends to the other.
//
// An in-process wire is a named hub: every card attached with `net=NAME` in this process (two cards of
// one kernel, or cards of two kernels) hears what the others send; a cable (`line=NAME`) has two ends. A
// UDP wire (`net=udp:LPORT:127.0.0.1:PPORT`) carries one frame per datagram between two processes on the
// loopback address, as QEMU's `-netdev socket,udp=` does, so two `wasm-lkm boot` kernels (or a socat
// bridge to a TAP) can talk; a UDP cable carries what a UART sends in datagrams of at most WIRE_MTU bytes,
// as QEMU's `-serial udp:` does.

import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { KernelError } from "../kernel/error.js";

/** The largest frame a wire carries: an Ethernet frame without its FCS. */
export const WIRE_MTU = 1514;

/** A card's plug into a wire: it sends with send() and hears frames through the receiver it gave. */
export interface WirePort {
  send(frame: Uint8Array): void;
  /** Unplug (the card is detached). */
  close(): void;
}

export type Receiver = (frame: Uint8Array) => void;

/** The in-process wires and cables, by name: a network wire and a cable of one name are two things. */
const hubs = { net: new Map<string, Set<Receiver>>(), line: new Map<string, Set<Receiver>>() };

/** Plug into the in-process wire of that name, made on first use and gone with its last card. */
function hub(kind: keyof typeof hubs, name: string, rx: Receiver): WirePort {
  const all = hubs[kind];
  const ends = all.get(name) ?? new Set<Receiver>();
  if (kind === "line" && ends.size === 2) throw new Error(`cable '${name}' already joins two UARTs`);
  all.set(name, ends);
  ends.add(rx);
  return {
    send: (frame) => {
      for (const other of [...ends]) if (other !== rx) other(frame.slice());
    },
    close: () => {
      ends.delete(rx);
      if (ends.size === 0) all.delete(name);
    },
  };
}

/** The local ports this process's UDP wires hold: bound, or still binding (node binds asynchronously). */
const udpPorts = new Set<number>();

/**
 * The local addresses, as /proc/net/udp and udp6 print them, whose socket on a port keeps 127.0.0.1 from
 * binding it: 127.0.0.1, 0.0.0.0, :: (dual-stack, as bindv6only=0 has it) and ::ffff:127.0.0.1.
 */
const CLASHING = new Set(["0100007F", "00000000", "00000000000000000000000000000000", "0000000000000000FFFF00000100007F"]);

/** Whether a socket on this host holds UDP port `port` where 127.0.0.1 would clash, as /proc/net/udp* list them. */
function hostUdpPortTaken(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [addr, p] = (line.trim().split(/\s+/)[1] ?? "").split(":");
      if (p === hex && CLASHING.has(addr ?? "")) return true;
    }
  }
  return false;
}

/**
 * A UDP wire: frames from 127.0.0.1:peer to our port, frames sent to the peer. EADDRINUSE, before anything
 * is made, for a local port another wire of this process or a socket of the host holds.
 */
function udp(spec: string, rx: Receiver): WirePort {
  const m = /^udp:(\d{1,5}):127\.0\.0\.1:(\d{1,5})$/.exec(spec);
  const local = Number(m?.[1]);
  const peer = Number(m?.[2]);
  if (!m || local < 1 || local > 65535 || peer < 1 || peer > 65535) {
    throw new Error(`bad wire '${spec}' (udp:LOCALPORT:127.0.0.1:PEERPORT)`);
  }
  if (udpPorts.has(local) || hostUdpPortTaken(local)) throw new KernelError("EADDRINUSE", `wire ${spec}: local port ${local}: Address already in use`);
  udpPorts.add(local);
  const sock: Socket = createSocket("udp4");
  sock.on("message", (msg, from) => {
    if (from.address === "127.0.0.1" && from.port === peer && msg.length <= WIRE_MTU) rx(new Uint8Array(msg));
  });
  let open = true;
  const shut = () => {
    if (open) sock.close();
    open = false;
    udpPorts.delete(local);
  };
  // A port taken between the check and the bind leaves the wire dead: frames sent on it are lost, as on a cut cable.
  sock.on("error", shut);
  sock.bind(local, "127.0.0.1");
  sock.unref();
  return {
    send: (frame) => {
      if (open) sock.send(frame, peer, "127.0.0.1");
    },
    close: shut,
  };
}

function named(kind: keyof typeof hubs, spec: string, rx: Receiver): WirePort {
  if (spec.startsWith("udp:")) return udp(spec, rx);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(spec)) throw new Error(`bad wire name '${spec}' (letters, digits, _ . -)`);
  return hub(kind, spec, rx);
}

/** Plug a card into the wire `spec` names: udp:LPORT:127.0.0.1:PPORT, or any other name for an in-process wire. */
export function plug(spec: string, rx: Receiver): WirePort {
  return named("net", spec, rx);
}

/**
 * Plug a UART into the null-modem cable `spec` names, as plug() names wires: what it sends reaches the
 * other end in pieces of at most WIRE_MTU bytes. A third UART on an in-process cable is refused.
 */
export function plugCable(spec: string, rx: Receiver): WirePort {
  const port = named("line", spec, rx);
  return {
    send: (bytes) => {
      for (let at = 0; at < bytes.length; at += WIRE_MTU) port.send(bytes.subarray(at, at + WIRE_MTU));
    },
    close: () => port.close(),
  };
}
