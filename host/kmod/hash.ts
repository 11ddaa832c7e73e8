// kmod's shared/hash.c, for the order it iterates in: depmod lists modules (when modules.order does not
// say) and modules.symbols in the order of its hash tables, so that order is part of kmod's output.
//
// A table has a power-of-two number of buckets; a key goes to bucket hash_superfast(key) & (n - 1), and
// each bucket keeps its keys sorted by strcmp. Iterating walks the buckets in order.

/** hash_superfast() (Paul Hsieh's), over the key's bytes as x86 reads them: little-endian, char signed. */
export function hashSuperfast(key: string): number {
  const bytes = new TextEncoder().encode(key);
  const u16 = (i: number) => bytes[i]! | (bytes[i + 1]! << 8);
  const s8 = (i: number) => (bytes[i]! << 24) >> 24;
  let len = bytes.length;
  let hash = len >>> 0;
  const rem = len & 3;
  let at = 0;
  for (len >>>= 2; len > 0; len--) {
    hash = (hash + u16(at)) >>> 0;
    const tmp = ((u16(at + 2) << 11) ^ hash) >>> 0;
    hash = ((hash << 16) ^ tmp) >>> 0;
    at += 4;
    hash = (hash + (hash >>> 11)) >>> 0;
  }
  if (rem === 3) {
    hash = (hash + u16(at)) >>> 0;
    hash = (hash ^ (hash << 16)) >>> 0;
    hash = (hash ^ (s8(at + 2) << 18)) >>> 0;
    hash = (hash + (hash >>> 11)) >>> 0;
  } else if (rem === 2) {
    hash = (hash + u16(at)) >>> 0;
    hash = (hash ^ (hash << 11)) >>> 0;
    hash = (hash + (hash >>> 17)) >>> 0;
  } else if (rem === 1) {
    hash = (hash + s8(at)) >>> 0;
    hash = (hash ^ (hash << 10)) >>> 0;
    hash = (hash + (hash >>> 1)) >>> 0;
  }
  hash = (hash ^ (hash << 3)) >>> 0;
  hash = (hash + (hash >>> 5)) >>> 0;
  hash = (hash ^ (hash << 4)) >>> 0;
  hash = (hash + (hash >>> 17)) >>> 0;
  hash = (hash ^ (hash << 25)) >>> 0;
  hash = (hash + (hash >>> 6)) >>> 0;
  return hash;
}

/** strcmp() of two keys: by their UTF-8 bytes, unsigned. */
export function strcmp(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The items in the order hash_iter_next() visits their keys in a table of `buckets` buckets (hash_new rounds up to a power of two). */
export function hashOrder<T>(items: readonly T[], key: (item: T) => string, buckets: number): T[] {
  const n = 2 ** Math.ceil(Math.log2(Math.max(buckets, 1)));
  const keyed = items.map((item) => ({ item, key: key(item), bucket: hashSuperfast(key(item)) & (n - 1) }));
  return keyed.sort((a, b) => a.bucket - b.bucket || strcmp(a.key, b.key)).map((k) => k.item);
}
