// IPv4 addresses as the stack holds them (host-order u32) and as people write them (dotted quads), and
// the Internet checksum (RFC 1071) the IP, ICMP and UDP headers carry.

/** inet_aton() in its strict form: four decimal parts 0-255, or null. */
export function parseIp(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIp(addr: number): string {
  return [24, 16, 8, 0].map((s) => (addr >>> s) & 0xff).join(".");
}

/** The netmask of a prefix length, as a host-order u32. */
export function prefixMask(prefixlen: number): number {
  return prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
}

export function inPrefix(addr: number, net: number, prefixlen: number): boolean {
  const mask = prefixMask(prefixlen);
  return ((addr & mask) >>> 0) === ((net & mask) >>> 0);
}

/** ADDR/N as ip takes it (N defaults to 32), or null. */
export function parsePrefix(text: string): { addr: number; prefixlen: number } | null {
  const [a, n, extra] = text.split("/");
  const addr = parseIp(a ?? "");
  const prefixlen = n === undefined ? 32 : /^\d{1,2}$/.test(n) ? Number(n) : -1;
  if (addr === null || extra !== undefined || prefixlen < 0 || prefixlen > 32) return null;
  return { addr, prefixlen };
}

/** The one's-complement sum of 16-bit words, folded and complemented (0 over a correct header). */
export function ipChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  for (let i = start; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if ((end - start) % 2 === 1) sum += bytes[end - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function get16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

export function get32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function put32(b: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (24 - 8 * i)) & 0xff;
}
