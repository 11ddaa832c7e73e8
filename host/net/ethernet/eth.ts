// Ethernet II framing (net/ethernet/eth.c): the 14-byte header in front of every frame an Ethernet or
// loopback device carries, and hardware addresses as ip writes them.

import { ETH_ALEN, ETH_HLEN } from "../../../abi/netdevice.js";

export const ETH_BROADCAST = new Uint8Array(ETH_ALEN).fill(0xff);

/** eth_header(): destination, source, and the protocol in network order, then the payload. */
export function ethFrame(dst: Uint8Array, src: Uint8Array, protocol: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETH_HLEN + payload.length);
  frame.set(dst.subarray(0, ETH_ALEN), 0);
  frame.set(src.subarray(0, ETH_ALEN), ETH_ALEN);
  frame[12] = protocol >> 8;
  frame[13] = protocol & 0xff;
  frame.set(payload, ETH_HLEN);
  return frame;
}

/** A hardware address as ip takes it (six hex pairs and colons), or null. */
export function parseMac(text: string): Uint8Array | null {
  if (!/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(text)) return null;
  return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
}

/** is_valid_ether_addr(): not multicast (nor broadcast), not all zeros. */
export function isValidEtherAddr(mac: Uint8Array): boolean {
  return (mac[0]! & 1) === 0 && mac.some((b) => b !== 0);
}

export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
